package orchestrator

import (
	"context"
	"log/slog"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	scoringv1 "github.com/msisync/msisync/gen/msisync/scoring/v1"
	"github.com/msisync/msisync/platform/marketoclient"
	"github.com/msisync/msisync/services/orchestrator/internal/links"
	"github.com/msisync/msisync/services/orchestrator/internal/store/sqlstore"
	"github.com/msisync/msisync/services/orchestrator/internal/upstream"
)

// upstreamMode is what upstream mode adds to the orchestrator (MSISYNC_MARKETO_URL set):
// the fences on the writes to the entity services, the Marketo client, the forwarder of
// the outbox and the MSI poller.
type upstreamMode struct {
	cfg       Config
	log       *slog.Logger
	fences    *upstream.Fences
	client    *marketoclient.Client
	forwarder *upstream.Forwarder
	poller    *upstream.Poller
}

// newUpstreamMode returns the upstream machinery, or nil in embedded mode.
func newUpstreamMode(cfg Config, st *sqlstore.Store, log *slog.Logger) *upstreamMode {
	if !cfg.Marketo.Upstream() {
		return nil
	}
	owner := upstream.NewOwner()
	log = log.With("marketo", cfg.Marketo.URL)
	return &upstreamMode{
		cfg: cfg, log: log,
		fences: &upstream.Fences{Store: st, Owner: owner},
		client: marketoclient.New(cfg.Marketo, marketoclient.Options{Log: log}),
	}
}

// dialOptions are the options of the connections to the entity services: in upstream
// mode their writes are fenced.
func (u *upstreamMode) dialOptions(service string) []grpc.DialOption {
	if u == nil || service == "scoring" {
		return nil
	}
	return []grpc.DialOption{grpc.WithChainUnaryInterceptor(u.fences.UnaryClientInterceptor())}
}

// start builds the forwarder and the poller over the service clients.
func (u *upstreamMode) start(st *sqlstore.Store, clients links.Clients, sink upstream.Sink) {
	u.forwarder = upstream.NewForwarder(st, clients, u.client, upstream.Options{
		Owner: u.fences.Owner, Linger: u.cfg.MarketoBatchLinger, Concurrency: u.cfg.Marketo.MaxConcurrency, Log: u.log,
	})
	u.poller = upstream.NewPoller(st, u.client, sink, u.cfg.MarketoPollInterval, u.cfg.MarketoMSIRefresh, u.log)
	u.poller.Leading = u.forwarder.Leading
	u.poller.Existing = u.forwarder
}

// run forwards, polls and reads the instance's daily usage every 5 minutes (so that the
// quota count includes the customer's other integrations) until ctx ends.
func (u *upstreamMode) run(ctx context.Context) error {
	if u == nil {
		return nil
	}
	u.log.InfoContext(ctx, "upstream mode: delivering to the customer's Marketo")
	// All three end with ctx, before the store closes.
	var g errgroup.Group
	g.Go(func() error { return u.poller.Run(ctx) })
	g.Go(func() error { u.readUsage(ctx); return nil })
	g.Go(func() error { return u.forwarder.Run(ctx) })
	return g.Wait()
}

// readUsage reads the instance's daily API usage now and every 5 minutes, which raises the
// quota count to Marketo's (the customer's other integrations included).
func (u *upstreamMode) readUsage(ctx context.Context) {
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		if _, err := u.client.DailyUsage(ctx); err != nil && ctx.Err() == nil {
			u.log.WarnContext(ctx, "reading Marketo's daily API usage", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// putInsights stores Marketo's MSI values in the scoring service. Entries it skips (a lead
// it has no link for yet, a value out of range) are logged: the next poll or refresh
// brings them again.
func putInsights(scoring scoringv1.ScoringServiceClient, log *slog.Logger) upstream.Sink {
	return func(ctx context.Context, insights []*scoringv1.ReportedInsight) error {
		if len(insights) == 0 {
			return nil
		}
		resp, err := scoring.PutInsights(ctx, &scoringv1.PutInsightsRequest{Insights: insights})
		if err != nil {
			return err
		}
		for _, r := range resp.GetResults() {
			if r.GetStatus() == commonv1.RecordStatus_RECORD_STATUS_SKIPPED && len(r.GetReasons()) > 0 {
				log.WarnContext(ctx, "the scoring service skipped Marketo's MSI values of a lead", "lead", insights[r.GetIndex()].GetLeadId(),
					"code", r.GetReasons()[0].GetCode(), "message", r.GetReasons()[0].GetMessage())
			}
		}
		return nil
	}
}
