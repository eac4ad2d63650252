// Package scoring is the msisync scoring service: it owns the lead links, score changes,
// interesting moments, the derived MSI fields (leadScore, urgency, relativeScore stars,
// relativeUrgency flames, priority, msiLastInterestingMoment*), the tier boundaries, Best
// Bets and the writeback change feed, and serves msisync.scoring.v1.ScoringService over gRPC.
//
// The scoring model is msisync's own, deterministic and documented in MODEL.md and in the
// doc comment of internal/model. In short: leadScore is the sum of the score changes;
// urgency is every positive change decayed with a half-life (MSISYNC_SCORING_URGENCY_HALF_LIFE,
// default 168h); stars and flames (0–3) come from tier boundaries, percentile brackets over
// all scored leads (MSISYNC_SCORING_BRACKETS, default "2,8,20") or static thresholds
// (MSISYNC_SCORING_TIER_MODE=static, MSISYNC_SCORING_STAR_THRESHOLDS,
// MSISYNC_SCORING_FLAME_THRESHOLDS); priority = 25·flames + 8·stars (+1 when either is
// non-zero). Boundaries are recomputed every MSISYNC_SCORING_RECOMPUTE_INTERVAL (default
// 24h) by a goroutine that Run starts, and on demand.
//
// In upstream mode (MSISYNC_SCORING_SOURCE=marketo) the customer's Marketo computes the MSI
// values instead: the service stores what PutInsights brings, refuses score changes,
// interesting moments and tier recomputations with FAILED_PRECONDITION, and recomputes
// nothing on schedule. In the default msisync mode PutInsights is refused, so the two
// sources never mix.
package scoring

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"

	scoringv1 "github.com/msisync/msisync/gen/msisync/scoring/v1"
	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/grpcserver"
	"github.com/msisync/msisync/platform/mtls"
	"github.com/msisync/msisync/platform/runner"
	"github.com/msisync/msisync/services/scoring/internal/model"
	"github.com/msisync/msisync/services/scoring/internal/server"
	"github.com/msisync/msisync/services/scoring/internal/store/sqlstore"
)

// Name is the service's name in logs, traces, its SQLite file and its PostgreSQL schema.
const Name = "scoring"

// Config is the scoring service's configuration, read from MSISYNC_* variables. A zero
// model setting (as in a Config built in code) means its default.
type Config struct {
	// Addr is where the gRPC server listens (MSISYNC_SCORING_ADDR).
	Addr string `env:"SCORING_ADDR" envDefault:"127.0.0.1:9105"`
	// DatabaseURL, when set, overrides MSISYNC_DATABASE_URL for this service
	// (MSISYNC_SCORING_DATABASE_URL).
	DatabaseURL config.Secret `env:"SCORING_DATABASE_URL"`
	// Store is the shared storage configuration.
	Store config.Store
	// TLS authenticates this service's callers with mutual TLS (MSISYNC_INTERNAL_TLS,
	// MSISYNC_TLS_CA, MSISYNC_TLS_CERT, MSISYNC_TLS_KEY).
	TLS mtls.Config
	// UrgencyHalfLife is the urgency decay half-life (MSISYNC_SCORING_URGENCY_HALF_LIFE).
	UrgencyHalfLife time.Duration `env:"SCORING_URGENCY_HALF_LIFE" envDefault:"168h"`
	// RecomputeInterval is how often the tier boundaries are recomputed
	// (MSISYNC_SCORING_RECOMPUTE_INTERVAL).
	RecomputeInterval time.Duration `env:"SCORING_RECOMPUTE_INTERVAL" envDefault:"24h"`
	// TierMode is percentile or static (MSISYNC_SCORING_TIER_MODE).
	TierMode string `env:"SCORING_TIER_MODE" envDefault:"percentile"`
	// Brackets are the percentile brackets for 3, 2 and 1 (MSISYNC_SCORING_BRACKETS).
	Brackets string `env:"SCORING_BRACKETS" envDefault:"2,8,20"`
	// StarThresholds are the static minimum scores for 1, 2 and 3 stars
	// (MSISYNC_SCORING_STAR_THRESHOLDS).
	StarThresholds string `env:"SCORING_STAR_THRESHOLDS" envDefault:"20,50,100"`
	// FlameThresholds are the static minimum urgencies for 1, 2 and 3 flames
	// (MSISYNC_SCORING_FLAME_THRESHOLDS).
	FlameThresholds string `env:"SCORING_FLAME_THRESHOLDS" envDefault:"5,10,20"`
	// Source says who computes the MSI values: msisync (the default) or marketo, the
	// customer's Marketo, whose values PutInsights stores (MSISYNC_SCORING_SOURCE).
	Source string `env:"SCORING_SOURCE" envDefault:"msisync"`
}

// The values of MSISYNC_SCORING_SOURCE.
const (
	// SourceMsisync: msisync computes the MSI values.
	SourceMsisync = "msisync"
	// SourceMarketo: the customer's Marketo computes them (upstream mode).
	SourceMarketo = "marketo"
)

// minHalfLife keeps urgency keys (t/h) well within float64 precision.
const minHalfLife = time.Minute

// withDefaults fills zero model settings with their defaults.
func (c Config) withDefaults() Config {
	if c.UrgencyHalfLife == 0 {
		c.UrgencyHalfLife = model.DefaultHalfLife
	}
	if c.RecomputeInterval == 0 {
		c.RecomputeInterval = 24 * time.Hour
	}
	if c.TierMode == "" {
		c.TierMode = "percentile"
	}
	if c.Brackets == "" {
		c.Brackets = "2,8,20"
	}
	if c.StarThresholds == "" {
		c.StarThresholds = "20,50,100"
	}
	if c.FlameThresholds == "" {
		c.FlameThresholds = "5,10,20"
	}
	if c.Source == "" {
		c.Source = SourceMsisync
	}
	return c
}

// tiers parses the tier settings.
func (c Config) tiers() (model.Tiers, error) {
	c = c.withDefaults()
	var t model.Tiers
	var errs []error
	switch strings.ToLower(strings.TrimSpace(c.TierMode)) {
	case "percentile", "dynamic":
		t.Mode = model.Percentile
	case "static":
		t.Mode = model.Static
	default:
		errs = append(errs, fmt.Errorf("MSISYNC_SCORING_TIER_MODE is %q; use percentile or static", c.TierMode))
	}
	var err error
	if t.Brackets, err = model.ParseTriple("MSISYNC_SCORING_BRACKETS", c.Brackets); err != nil {
		errs = append(errs, err)
	}
	if t.StarThresholds, err = model.ParseTriple("MSISYNC_SCORING_STAR_THRESHOLDS", c.StarThresholds); err != nil {
		errs = append(errs, err)
	}
	if t.FlameThresholds, err = model.ParseTriple("MSISYNC_SCORING_FLAME_THRESHOLDS", c.FlameThresholds); err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		errs = append(errs, t.Validate())
	}
	return t, errors.Join(errs...)
}

// source parses MSISYNC_SCORING_SOURCE.
func (c Config) source() (server.Source, error) {
	switch strings.ToLower(strings.TrimSpace(c.withDefaults().Source)) {
	case SourceMsisync:
		return server.SourceMsisync, nil
	case SourceMarketo:
		return server.SourceMarketo, nil
	}
	return 0, fmt.Errorf("MSISYNC_SCORING_SOURCE is %q; use msisync (msisync computes scoring) or marketo (your Marketo does, and msisync stores its values)", c.Source)
}

// Validate reports a setting that cannot work.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	errs = append(errs, config.CheckAddr("MSISYNC_SCORING_ADDR", c.Addr))
	if c.UrgencyHalfLife < minHalfLife {
		errs = append(errs, fmt.Errorf("MSISYNC_SCORING_URGENCY_HALF_LIFE is %s; use at least %s (for example 168h)", c.UrgencyHalfLife, minHalfLife))
	}
	if c.RecomputeInterval < time.Second {
		errs = append(errs, fmt.Errorf("MSISYNC_SCORING_RECOMPUTE_INTERVAL is %s; use at least 1s (for example 24h)", c.RecomputeInterval))
	}
	if _, err := c.tiers(); err != nil {
		errs = append(errs, err)
	}
	if _, err := c.source(); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.Store.Override(c.DatabaseURL).Validate())
	errs = append(errs, c.TLS.Validate(c.Store.DataDir))
	return errors.Join(errs...)
}

// Service is a built scoring service.
type Service struct {
	cfg    Config
	tiers  model.Tiers
	source server.Source
	store  *sqlstore.Store
	srv    *grpcserver.Server
	log    *slog.Logger
}

var _ runner.Service = (*Service)(nil)

// New opens and migrates the scoring store and builds the gRPC server.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	tiers, _ := cfg.tiers()   // validated above
	source, _ := cfg.source() // validated above
	params := model.Params{HalfLife: cfg.UrgencyHalfLife}
	open := func(ctx context.Context, st config.Store, log *slog.Logger) (*sqlstore.Store, error) {
		return sqlstore.Open(ctx, st, sqlstore.Options{Params: params}, log)
	}
	hosted, st, err := grpcserver.Host(ctx, Name, cfg.Addr, cfg.TLS, cfg.Store.Override(cfg.DatabaseURL), log, open,
		func(g *grpc.Server, st *sqlstore.Store, key []byte) {
			scoringv1.RegisterScoringServiceServer(g, server.New(st, key, tiers, params, source))
		})
	if err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, tiers: tiers, source: source, store: st, srv: hosted.Server, log: log.With("service", Name)}, nil
}

// Run implements runner.Service: it serves on the configured address and, unless Marketo
// computes scoring (MSISYNC_SCORING_SOURCE=marketo), recomputes the tier boundaries on
// schedule until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return s.srv.Serve(ctx, s.cfg.Addr) })
	if s.scheduled() {
		g.Go(func() error { s.recomputeOnSchedule(ctx); return nil })
	} else {
		s.log.InfoContext(ctx, "scoring is computed by your Marketo instance (MSISYNC_SCORING_SOURCE=marketo): no scheduled tier recomputation")
	}
	return g.Wait()
}

// scheduled reports whether Run recomputes the tier boundaries on schedule: only when
// msisync computes scoring.
func (s *Service) scheduled() bool { return s.source == server.SourceMsisync }

// recomputeOnSchedule recomputes the boundaries when the ones in force are older than the
// interval or were computed with another configuration (at once after such a start), then
// every interval. Replicas share the work: a recomputation that another one already did is
// skipped by the store.
func (s *Service) recomputeOnSchedule(ctx context.Context) {
	for {
		wait := time.Duration(0)
		b, err := s.store.Boundaries(ctx, s.tiers.Mode)
		if err == nil && b.Fingerprint == s.tiers.Fingerprint(model.Params{HalfLife: s.cfg.UrgencyHalfLife}) && !b.ComputedAt.IsZero() {
			wait = time.Until(b.ComputedAt.Add(s.cfg.RecomputeInterval))
		}
		if err != nil {
			s.log.ErrorContext(ctx, "reading tier boundaries", "error", err)
			wait = time.Minute
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(max(wait, 0)):
		}
		if err != nil {
			continue
		}
		start := time.Now()
		rc, err := s.store.RecomputeTiers(ctx, s.tiers, start.Add(-s.cfg.RecomputeInterval))
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			s.log.ErrorContext(ctx, "recomputing tier boundaries", "error", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Minute):
			}
		case !rc.Skipped:
			s.log.InfoContext(ctx, "recomputed tier boundaries", "scored_leads", rc.Boundaries.ScoredLeads, "changed_leads", rc.Changed, "duration", time.Since(start))
		}
	}
}

// Serve serves on lis until ctx ends (tests use it with a listener on a free port). It does
// not run the scheduled recomputation; Run does.
func (s *Service) Serve(ctx context.Context, lis net.Listener) error {
	return s.srv.ServeListener(ctx, lis)
}

// Close implements runner.Service.
func (s *Service) Close() error { return s.store.Close() }
