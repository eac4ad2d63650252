package upstream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	scoringv1 "github.com/msisync/msisync/gen/msisync/scoring/v1"
	"github.com/msisync/msisync/platform/marketoclient"
	"github.com/msisync/msisync/services/orchestrator/internal/objects"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// msiFields are the lead fields the poller reads from Marketo.
var msiFields = []string{
	"id", "leadScore", "urgency", "priority", "relativeScore", "relativeUrgency",
	"msiLastInterestingMomentType", "msiLastInterestingMomentDate", "msiLastInterestingMomentDesc", "msiLastInterestingMomentSource",
}

// The activity types whose activities say a lead's MSI fields changed.
const (
	typeInterestingMoment = "Interesting Moment"
	typeChangeScore       = "Change Score"
)

// upstream_state names the poller keeps.
const (
	stateToken        = "msi_token"         // the paging token to read activities after
	stateBackfill     = "msi_backfill"      // the last Marketo lead id read by the backfill; "" when none runs
	stateBackfillDone = "msi_backfill_done" // when the last backfill ended (RFC 3339)
)

// Sink stores Marketo's MSI values of leads (the scoring service's PutInsights).
type Sink func(ctx context.Context, insights []*scoringv1.ReportedInsight) error

// Poller brings Marketo's MSI fields back: the leads that have new Change Score or
// Interesting Moment activities since the stored paging token, and every delivered lead on
// the first start, on request and every Refresh.
type Poller struct {
	store    store.UpstreamStore
	mk       *marketoclient.Client
	sink     Sink
	interval time.Duration
	refresh  time.Duration
	log      *slog.Logger
	now      func() time.Time
	wake     chan struct{}

	// Leading, when set, says whether this process polls: the one holding the forwarder
	// lease does (Forwarder.Leading).
	Leading func() bool
	// Existing, when set, gives the leads Marketo already had when msisync first delivered
	// them, whose MSI fields are read at the next poll (the Forwarder).
	Existing interface {
		TakeExisting(n int) []int64
		ReturnExisting(ids []int64)
	}

	mu     sync.Mutex
	status MSIStatus
	types  []int // the activity type ids, once looked up
}

// MSIStatus is what the poller did last.
type MSIStatus struct {
	// LastPoll is when the last poll ended; LastError what it failed with ("" when it did
	// not).
	LastPoll  time.Time
	LastError string
	// Leads counts the leads whose MSI fields were read since start; Unknown the leads in
	// activities that msisync did not deliver.
	Leads, Unknown int64
	// Backfilling is true while a backfill runs; BackfillAfter the last Marketo lead id
	// it read.
	Backfilling   bool
	BackfillAfter int64
}

// NewPoller returns a poller reading mk's instance every interval into sink, with a full
// backfill every refresh (0: only on the first start and on request).
func NewPoller(st store.UpstreamStore, mk *marketoclient.Client, sink Sink, interval, refresh time.Duration, log *slog.Logger) *Poller {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Poller{store: st, mk: mk, sink: sink, interval: interval, refresh: refresh, log: log, now: time.Now, wake: make(chan struct{}, 1)}
}

// Status returns what the poller did last.
func (p *Poller) Status() MSIStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status
}

// Backfill starts a full read of every delivered lead's MSI fields.
func (p *Poller) Backfill(ctx context.Context) error {
	if err := p.store.PutUpstreamState(ctx, stateBackfill, "0"); err != nil {
		return err
	}
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return nil
}

// Run polls until ctx ends.
func (p *Poller) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		if p.Leading != nil && !p.Leading() {
			// Another replica forwards and polls.
			p.wait(ctx, time.Second)
			continue
		}
		err := p.Poll(ctx)
		p.mu.Lock()
		p.status.LastPoll, p.status.LastError = p.now(), ""
		if err != nil {
			p.status.LastError = err.Error()
		}
		p.mu.Unlock()
		if err != nil && ctx.Err() == nil {
			p.log.Warn("reading MSI fields from Marketo", "error", err)
		}
		p.wait(ctx, p.interval)
	}
	return nil
}

// wait sleeps for d, or until ctx ends or a backfill is asked for.
func (p *Poller) wait(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-p.wake:
	}
}

// Poll reads what changed since the stored token, then a step of a running backfill.
func (p *Poller) Poll(ctx context.Context) error {
	token, err := p.store.GetUpstreamState(ctx, stateToken)
	if err != nil {
		return err
	}
	if token == "" {
		// First start: the token comes first, so that nothing changed during the backfill
		// is missed.
		if token, err = p.mk.PagingToken(ctx, p.now()); err != nil {
			return fmt.Errorf("taking a paging token: %w", err)
		}
		if err := p.store.PutUpstreamState(ctx, stateToken, token); err != nil {
			return err
		}
		if err := p.store.PutUpstreamState(ctx, stateBackfill, "0"); err != nil {
			return err
		}
	}
	if err := p.changes(ctx, token); err != nil {
		return err
	}
	if err := p.existing(ctx); err != nil {
		return err
	}
	return p.backfill(ctx)
}

// existing reads the MSI fields of the leads Marketo already had when msisync first
// delivered them (Existing), 300 per call.
func (p *Poller) existing(ctx context.Context) error {
	if p.Existing == nil {
		return nil
	}
	for {
		ids := p.Existing.TakeExisting(marketoclient.MaxBatch)
		if len(ids) == 0 {
			return nil
		}
		if err := p.read(ctx, ids); err != nil {
			p.Existing.ReturnExisting(ids)
			return err
		}
	}
}

// typeIDs looks the activity types up by name, once per process.
func (p *Poller) typeIDs(ctx context.Context) ([]int, error) {
	p.mu.Lock()
	ids := p.types
	p.mu.Unlock()
	if ids != nil {
		return ids, nil
	}
	types, err := p.mk.ActivityTypes(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing activity types: %w", err)
	}
	for _, t := range types {
		if t.Name == typeInterestingMoment || t.Name == typeChangeScore {
			ids = append(ids, t.ID)
		}
	}
	if len(ids) != 2 {
		return nil, fmt.Errorf("the Marketo instance lacks the %q or %q activity type, so msisync cannot learn which leads' MSI fields changed: check that MSI is enabled", typeInterestingMoment, typeChangeScore)
	}
	p.mu.Lock()
	p.types = ids
	p.mu.Unlock()
	return ids, nil
}

// changes reads the activities after token page by page, and for each page the MSI fields
// of its leads; the next token is stored only once a page's leads are stored.
func (p *Poller) changes(ctx context.Context, token string) error {
	ids, err := p.typeIDs(ctx)
	if err != nil {
		return err
	}
	for {
		page, err := p.mk.Activities(ctx, token, ids)
		if err != nil {
			var api *marketoclient.APIError
			if errors.As(err, &api) && (api.Code == "1029" || api.Code == "1003") {
				// The token expired or was refused: start from now, with a backfill.
				p.log.Warn("the activity paging token was refused; reading every lead again", "error", err)
				if err := p.store.PutUpstreamState(ctx, stateToken, ""); err != nil {
					return err
				}
			}
			return fmt.Errorf("reading activities: %w", err)
		}
		var leads []int64
		for _, a := range page.Activities {
			leads = append(leads, a.LeadID)
		}
		slices.Sort(leads)
		if err := p.read(ctx, slices.Compact(leads)); err != nil {
			return err
		}
		if page.NextPageToken != "" && page.NextPageToken != token {
			if err := p.store.PutUpstreamState(ctx, stateToken, page.NextPageToken); err != nil {
				return err
			}
			token = page.NextPageToken
		}
		if !page.MoreResult || len(page.Activities) == 0 {
			return nil
		}
	}
}

// backfill reads the next 300 delivered leads of a running backfill, until none is left;
// it starts one when the last ended Refresh ago.
func (p *Poller) backfill(ctx context.Context) error {
	for ctx.Err() == nil {
		at, err := p.store.GetUpstreamState(ctx, stateBackfill)
		if err != nil {
			return err
		}
		if at == "" {
			done, err := p.store.GetUpstreamState(ctx, stateBackfillDone)
			if err != nil {
				return err
			}
			last, _ := time.Parse(time.RFC3339, done)
			if p.refresh <= 0 || p.now().Sub(last) < p.refresh {
				p.setBackfill(false, 0)
				return nil
			}
			at = "0"
		}
		after, _ := strconv.ParseInt(at, 10, 64)
		p.setBackfill(true, after)
		rows, err := p.store.ListDelivered(ctx, store.UpstreamLead, after, marketoclient.MaxBatch)
		if err != nil {
			return err
		}
		ids := make([]int64, len(rows))
		for i, d := range rows {
			ids[i] = d.MarketoID
		}
		if err := p.read(ctx, ids); err != nil {
			return err
		}
		if len(rows) < marketoclient.MaxBatch {
			p.setBackfill(false, 0)
			if err := p.store.PutUpstreamState(ctx, stateBackfillDone, p.now().UTC().Format(time.RFC3339)); err != nil {
				return err
			}
			return p.store.PutUpstreamState(ctx, stateBackfill, "")
		}
		if err := p.store.PutUpstreamState(ctx, stateBackfill, strconv.FormatInt(ids[len(ids)-1], 10)); err != nil {
			return err
		}
	}
	return ctx.Err()
}

func (p *Poller) setBackfill(on bool, after int64) {
	p.mu.Lock()
	p.status.Backfilling, p.status.BackfillAfter = on, after
	p.mu.Unlock()
}

// read reads the MSI fields of the Marketo leads (300 per call) and stores those of the
// leads msisync delivered.
func (p *Poller) read(ctx context.Context, marketoIDs []int64) error {
	for chunk := range slices.Chunk(marketoIDs, marketoclient.MaxBatch) {
		known, err := p.store.DeliveredByMarketoID(ctx, store.UpstreamLead, chunk)
		if err != nil {
			return err
		}
		local := make(map[int64]int32, len(known))
		values := make([]string, 0, len(known))
		for _, d := range known {
			id, err := strconv.ParseInt(d.Key.LocalID, 10, 32)
			if err != nil {
				continue
			}
			local[d.MarketoID] = int32(id)
			values = append(values, strconv.FormatInt(d.MarketoID, 10))
		}
		p.count(0, int64(len(chunk)-len(values)))
		if len(values) == 0 {
			continue
		}
		page, err := p.mk.QueryLeads(ctx, "id", values, msiFields, "")
		if err != nil {
			return fmt.Errorf("reading MSI fields: %w", err)
		}
		var out []*scoringv1.ReportedInsight
		for _, rec := range page.Records {
			id, ok := local[int64(number(rec["id"]))]
			if !ok {
				continue
			}
			out = append(out, insightOf(id, rec))
		}
		if err := p.sink(ctx, out); err != nil {
			return fmt.Errorf("storing Marketo's MSI fields: %w", err)
		}
		p.count(int64(len(out)), 0)
	}
	return nil
}

func (p *Poller) count(leads, unknown int64) {
	p.mu.Lock()
	p.status.Leads += leads
	p.status.Unknown += unknown
	p.mu.Unlock()
}

// insightOf reads one lead's MSI fields as Marketo answered them.
func insightOf(leadID int32, rec marketoclient.Record) *scoringv1.ReportedInsight {
	in := &scoringv1.ReportedInsight{
		LeadId:                      leadID,
		LeadScore:                   int32(number(rec["leadScore"])),
		Urgency:                     number(rec["urgency"]),
		Priority:                    int32(number(rec["priority"])),
		RelativeScore:               int32(number(rec["relativeScore"])),
		RelativeUrgency:             int32(number(rec["relativeUrgency"])),
		LastInterestingMomentDesc:   text(rec["msiLastInterestingMomentDesc"]),
		LastInterestingMomentSource: text(rec["msiLastInterestingMomentSource"]),
	}
	if t, ok := objects.MomentType(text(rec["msiLastInterestingMomentType"])); ok {
		in.LastInterestingMomentType = t
	}
	if d, err := time.Parse(time.RFC3339, text(rec["msiLastInterestingMomentDate"])); err == nil {
		in.LastInterestingMomentTime = timestamppb.New(d)
	}
	return in
}

// number reads a JSON number or numeric string; anything else is 0.
func number(v any) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case string:
		f, _ := strconv.ParseFloat(n, 64)
		return f
	}
	return 0
}

// text reads a JSON string; anything else is "".
func text(v any) string {
	s, _ := v.(string)
	return s
}
