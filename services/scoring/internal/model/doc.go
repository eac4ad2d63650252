// Package model is msisync's scoring model (docs/msi-contract.md, Scoring model):
// deterministic, pure functions that turn a lead's score changes and interesting moments into
// its MSI fields. MODEL.md in the service's directory says the same for readers of the README;
// keep the two in step.
//
// # Inputs
//
// Per lead: score changes (a signed delta, or a new value whose difference from the current
// score is the delta; a reason; an event time) and interesting moments (type Email, Milestone
// or Web; a description; a source; an event time).
//
// # leadScore
//
// The current score: the sum of the deltas in recording order (a new value sets it). A
// change that would leave the int32 range is refused.
//
// # urgency
//
// The recent score increase: every positive delta d recorded for an event at time t
// contributes d·2^(−(now−t)/h) at time now, where h is the half-life
// (MSISYNC_SCORING_URGENCY_HALF_LIFE, default 168h = 7 days); negative deltas do not count.
// An event time in the future counts as now. A sum of exponentials with one half-life decays
// as one exponential, so a lead keeps one number, its urgency key
//
//	L = log2(u(t)) + t/h     (t in seconds since the Unix epoch, h in seconds)
//
// which does not change as time passes: u(now) = 2^(L − now/h). Adding a change of d at time
// t adds 2^(log2(d) + t/h) in the same space: L' = log2(2^L + 2^(log2 d + t/h)), computed
// as max + log2(1 + 2^(min−max)) so that nothing under- or overflows. A lead with no positive
// change has no key (urgency 0). Urgency values returned are u(now), rounded to 6 decimals.
//
// Because every lead's urgency decays at the same rate, ranking leads by urgency at any
// instant is ranking them by L. Flame thresholds are therefore stored in L-space too, and a
// lead's flames never need re-deriving just because time passed: u(now) ≥ T(now) ⇔ L ≥ L_T,
// where T(now) = 2^(L_T − now/h) is the threshold reported at now.
//
// # Stars and flames (relativeScore, relativeUrgency, 0–3)
//
// Tier boundaries are three ascending thresholds per measure; a value at or above threshold
// N (and below N+1) earns N. Equal values always get the same tier. A lead with score < 1
// gets 0 stars, a lead with urgency 0 gets 0 flames, whatever the thresholds.
//
//   - percentile mode (MSISYNC_SCORING_TIER_MODE=percentile, the default): over the n scored
//     leads (leads with at least one recorded score change), with brackets b3, b2, b1
//     (MSISYNC_SCORING_BRACKETS="2,8,20": top 2 % → 3, next 8 % → 2, next 20 % → 1), the
//     threshold for N stars is the score of the lead at rank ceil(n·(b3+…+bN)/100) when
//     sorted descending (rank 1 is the highest). Flames likewise on L among the leads with
//     urgency > 0; if fewer leads than the rank have urgency > 0, every urgency > 0 reaches
//     that tier. With n = 0 there are no boundaries: every threshold is +Inf (everyone 0).
//   - static mode (MSISYNC_SCORING_TIER_MODE=static): score thresholds
//     MSISYNC_SCORING_STAR_THRESHOLDS (default "20,50,100") and urgency thresholds
//     MSISYNC_SCORING_FLAME_THRESHOLDS (default "5,10,20") for 1, 2, 3. Urgency thresholds
//     are converted to L-space at the computation time, like percentile ones, so between two
//     computations both modes behave alike: flames change only when the lead's score changes
//     or the boundaries are recomputed.
//
// Boundaries are recomputed on a schedule (MSISYNC_SCORING_RECOMPUTE_INTERVAL, default 24h)
// and on demand; a lead's own stars, flames and priority are re-derived with the boundaries
// in force whenever one of its score changes is recorded.
//
// # priority (0–100)
//
//	priority = 25·flames + 8·stars + (1 if flames + stars > 0 else 0)
//
// Flames dominate: one flame more (25) outweighs any number of stars (at most 24), so leads
// order by flames, then stars. A lead with neither has priority 0 (left out of Best Bets);
// 3 flames and 3 stars give exactly 100.
//
// # msiLastInterestingMoment*
//
// The most recent interesting moment by event time; of moments with equal event times the
// one recorded last wins.
//
// # Change feed
//
// A feed entry is written when a recorded score change, interesting moment or boundary
// recomputation changes any of leadScore, the urgency key (a positive delta), stars, flames,
// priority or the last interesting moment; it lists exactly the fields that changed over the
// whole batch. The mere passing of time, which lowers urgency continuously, writes nothing.
package model
