// Package orchestrator is the msisync orchestrator: the suite's only public entry point.
// It enforces the MSI sync order, issues and checks access tokens, serves the
// Marketo-compatible API and msisync's own API over gRPC, and exposes both over HTTP
// through its REST gateway.
package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"

	accountv1 "github.com/msisync/msisync/gen/msisync/account/v1"
	identityv1 "github.com/msisync/msisync/gen/msisync/identity/v1"
	opportunityv1 "github.com/msisync/msisync/gen/msisync/opportunity/v1"
	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
	scoringv1 "github.com/msisync/msisync/gen/msisync/scoring/v1"
	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/grpcclient"
	"github.com/msisync/msisync/platform/grpcserver"
	"github.com/msisync/msisync/platform/mtls"
	"github.com/msisync/msisync/platform/runner"
	"github.com/msisync/msisync/services/orchestrator/internal/apply"
	"github.com/msisync/msisync/services/orchestrator/internal/auth"
	"github.com/msisync/msisync/services/orchestrator/internal/console"
	"github.com/msisync/msisync/services/orchestrator/internal/fault"
	"github.com/msisync/msisync/services/orchestrator/internal/gateway"
	"github.com/msisync/msisync/services/orchestrator/internal/insight"
	"github.com/msisync/msisync/services/orchestrator/internal/limits"
	"github.com/msisync/msisync/services/orchestrator/internal/links"
	"github.com/msisync/msisync/services/orchestrator/internal/marketoapi"
	"github.com/msisync/msisync/services/orchestrator/internal/objects"
	"github.com/msisync/msisync/services/orchestrator/internal/store/sqlstore"
	"github.com/msisync/msisync/services/orchestrator/internal/syncrun"
	"github.com/msisync/msisync/services/orchestrator/internal/upstream"
)

// Name is the service's name in logs, traces, its SQLite file and its PostgreSQL schema.
const Name = "orchestrator"

// tokenKeyName names the persisted key that signs access-token ids.
const tokenKeyName = "access-token"

// syncPageKeyName names the persisted key that signs the sync-run API's page tokens.
const syncPageKeyName = "sync-run-page-token"

// insightPageKeyName names the persisted key that signs the CRM findings' page tokens.
const insightPageKeyName = "insight-page-token"

// Service is a built orchestrator.
type Service struct {
	cfg    Config
	log    *slog.Logger
	store  *sqlstore.Store
	auth   *auth.Authenticator
	grpc   *grpcserver.Server
	conns  map[string]*grpc.ClientConn // downstream services, by name
	metric http.Handler
	syncs  *syncrun.Engine
	prune  *syncrun.Pruner
	limits *limits.Limiter
	alerts *alerts // nil without MSISYNC_ALERT_WEBHOOK_URL
	// upstream is the delivery to the customer's Marketo; nil in embedded mode.
	upstream *upstreamMode
	// consoleKey marks the console's own calls, which skip the API limits (see console.Unlimited).
	consoleKey string
}

var _ runner.Service = (*Service)(nil)

// New opens the orchestrator store, makes sure an API client exists (see Config), connects
// to the downstream services and builds the gRPC server. metrics serves /metrics on the
// gateway.
func New(ctx context.Context, cfg Config, log *slog.Logger, metrics http.Handler) (_ *Service, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.Effective()
	custom, _ := objects.ParseCustomFields(cfg.CustomFields) // checked by Validate
	if _, ok := custom[objects.Lead]; !ok {
		custom[objects.Lead] = nil // no declaration: leads have no custom fields
	}
	objects.DeclareCustomFields(custom)
	st, err := sqlstore.Open(ctx, cfg.Store.Override(cfg.DatabaseURL), log.With("service", Name))
	if err != nil {
		return nil, fmt.Errorf("orchestrator store: %w", err)
	}
	s := &Service{cfg: cfg, log: log.With("service", Name), store: st, conns: map[string]*grpc.ClientConn{}, metric: metrics}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if err := ensureClient(ctx, cfg, st, log); err != nil {
		return nil, err
	}
	key, err := st.Secret(ctx, tokenKeyName)
	if err != nil {
		return nil, err
	}
	s.auth = auth.New(st, key, cfg.TokenTTL)

	creds, err := mtls.Load(cfg.TLS, cfg.Store.DataDir, mtls.Client, log)
	if err != nil {
		return nil, err
	}
	s.upstream = newUpstreamMode(cfg, st, s.log)
	for name, addr := range cfg.downstream() {
		conn, err := grpcclient.DialInternal(addr, creds.Transport(), s.upstream.dialOptions(name)...)
		if err != nil {
			return nil, err
		}
		s.conns[name] = conn
	}

	// The API limits apply after authentication, to REST and gRPC callers alike; rate and
	// concurrency are per replica, the daily quota is shared through the store.
	s.limits = limits.New(cfg.limits(), st, s.log)
	if err := s.limits.Load(ctx); err != nil {
		return nil, fmt.Errorf("loading the daily quota counts: %w", err)
	}
	s.alerts = newAlerts(cfg, st, s.limits.Usage, s.log)
	// Internal error text never reaches a caller: fault logs it under an error id and
	// answers a sentence quoting the id; outermost of the orchestrator's own interceptors,
	// so that it sees theirs too.
	// The console's page loads (marked with this process's console key) skip the limits.
	s.consoleKey = console.NewKey()
	s.grpc = grpcserver.New(Name, log, fault.UnaryServerInterceptor(s.log), s.auth.UnaryInterceptor(), console.Unlimited(s.consoleKey, s.limits.UnaryInterceptor()))
	g := s.grpc.GRPC
	orchestratorv1.RegisterAuthServiceServer(g, auth.NewServer(s.auth))
	applier := apply.New(links.Clients{
		SalesPersons:  identityv1.NewSalesPersonServiceClient(s.conns["identity"]),
		Companies:     accountv1.NewCompanyServiceClient(s.conns["account"]),
		Leads:         personv1.NewLeadServiceClient(s.conns["person"]),
		Opportunities: opportunityv1.NewOpportunityServiceClient(s.conns["opportunity"]),
		Roles:         opportunityv1.NewOpportunityRoleServiceClient(s.conns["opportunity"]),
	}, scoringv1.NewScoringServiceClient(s.conns["scoring"]))
	// Writes that name a parent and deletes of that parent take record locks in the shared
	// store, so the sync order holds under concurrency, across replicas.
	applier.Locks = st
	orchestratorv1.RegisterMarketoSalesPersonServiceServer(g, marketoapi.NewSalesPersons(applier))
	orchestratorv1.RegisterMarketoCompanyServiceServer(g, marketoapi.NewCompanies(applier).WithCrmFindings(st))
	orchestratorv1.RegisterMarketoLeadServiceServer(g, marketoapi.NewLeads(applier).WithCrmFindings(st).WithUpstream(cfg.Marketo.Upstream()))
	orchestratorv1.RegisterMarketoOpportunityServiceServer(g, marketoapi.NewOpportunities(applier).WithCrmFindings(st))
	orchestratorv1.RegisterMarketoOpportunityRoleServiceServer(g, marketoapi.NewRoles(applier))
	pageKey, err := st.Secret(ctx, syncPageKeyName)
	if err != nil {
		return nil, err
	}
	retry, err := parseDeadLetterRetry(cfg.DeadLetterRetry, cfg.DeadLetterRetryMaxAge)
	if err != nil {
		return nil, err
	}
	s.syncs = syncrun.New(st, syncrun.FromApplier(applier), syncrun.Options{ParkTTL: cfg.ParkTTL, Sweep: min(time.Minute, cfg.ParkTTL), DeadLetterRetry: retry, Log: s.log})
	orchestratorv1.RegisterSyncRunServiceServer(g, syncrun.NewServer(st, s.syncs, pageKey).WithMerges(applier, st))
	retention, err := parseRetention(cfg.SyncRunRetention)
	if err != nil {
		return nil, err
	}
	s.prune = syncrun.NewPruner(st, retention, s.log)
	// The services below answer UNIMPLEMENTED until their behaviour lands.
	orchestratorv1.RegisterMarketoActivityServiceServer(g, marketoapi.NewActivities(applier.Scoring))
	orchestratorv1.RegisterMarketoUsageServiceServer(g, marketoapi.NewUsage(s.limits))
	insightPageKey, err := st.Secret(ctx, insightPageKeyName)
	if err != nil {
		return nil, err
	}
	insightServer := insight.New(applier.Clients, applier.Scoring, cfg.WritebackColumns, st, insightPageKey)
	orchestratorv1.RegisterInsightServiceServer(g, insightServer)
	upstreamServer := upstream.NewServer("", nil, nil, nil, nil)
	if s.upstream != nil {
		s.upstream.start(st, applier.Clients, putInsights(applier.Scoring, s.log))
		insightServer.WithUpstream(st)
		upstreamServer = upstream.NewServer(cfg.Marketo.URL, st, s.upstream.client, s.upstream.forwarder, s.upstream.poller)
		if s.alerts != nil {
			s.alerts.upstream = s.upstream.forwarder.Health
		}
	}
	orchestratorv1.RegisterUpstreamServiceServer(g, upstreamServer)
	return s, nil
}

// Run implements runner.Service: it listens on the configured gRPC and HTTP addresses.
func (s *Service) Run(ctx context.Context) error {
	grpcLis, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return config.ListenError("orchestrator", "MSISYNC_ORCHESTRATOR_ADDR", s.cfg.Addr, err)
	}
	httpLis, err := net.Listen("tcp", s.cfg.HTTPAddr)
	if err != nil {
		grpcLis.Close()
		return config.ListenError("orchestrator", "MSISYNC_HTTP_ADDR", s.cfg.HTTPAddr, err)
	}
	return s.Serve(ctx, grpcLis, httpLis)
}

// Serve serves gRPC on grpcLis and the REST gateway on httpLis until ctx ends.
func (s *Service) Serve(ctx context.Context, grpcLis, httpLis net.Listener) error {
	self, err := grpcclient.Dial(dialable(grpcLis.Addr()))
	if err != nil {
		return err
	}
	defer self.Close()
	services := map[string]*grpc.ClientConn{Name: self}
	for name, conn := range s.conns {
		services[name] = conn
	}
	health := gateway.Health{Services: services}
	handler, err := gateway.New(ctx, gateway.Config{
		AllowAccessTokenParam: s.cfg.AllowAccessTokenParam,
		MaxBodyBytes:          gateway.DefaultConfig.MaxBodyBytes,
		MaxURIBytes:           gateway.DefaultConfig.MaxURIBytes,
		Log:                   s.log,
		Console: console.New(console.Config{
			Conn: self, Key: s.consoleKey, Health: health.States, Quota: s.quotaToday, Log: s.log,
		}),
	}, self, health, s.metric)
	if err != nil {
		return err
	}
	// Slow or idle clients are cut off, and connections past MSISYNC_HTTP_MAX_CONNECTIONS
	// wait in the accept queue, so that no client can hold the gateway's connections.
	srv := gateway.NewServer(s.cfg.HTTP.server(), handler)
	httpLis = gateway.Limit(httpLis, s.cfg.HTTP.server())

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return s.grpc.ServeListener(gctx, grpcLis) })
	g.Go(func() error {
		s.log.InfoContext(gctx, "REST gateway listening", "addr", httpLis.Addr().String())
		if err := srv.Serve(httpLis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("orchestrator: serving HTTP: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), grpcserver.ShutdownGrace)
		defer cancel()
		return srv.Shutdown(sctx)
	})
	g.Go(func() error { s.pruneTokens(gctx); return nil })
	g.Go(func() error { return s.syncs.Run(gctx) })
	g.Go(func() error { s.prune.Run(gctx); return nil })
	g.Go(func() error { s.limits.Run(gctx); return nil })
	g.Go(func() error { return s.alerts.run(gctx) })
	g.Go(func() error { return s.upstream.run(gctx) })
	err = g.Wait()
	// Calls that finished during the graceful stop counted too: save them.
	fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if ferr := s.limits.Flush(fctx); ferr != nil {
		s.log.Warn("saving the daily quota counts at shutdown", "error", ferr)
	}
	return err
}

// pruneTokens deletes tokens that expired more than a day ago, once an hour.
func (s *Service) pruneTokens(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := s.store.DeleteExpiredTokens(ctx, time.Now().Add(-24*time.Hour)); err != nil {
				s.log.WarnContext(ctx, "pruning expired tokens", "error", err)
			} else if n > 0 {
				s.log.InfoContext(ctx, "pruned expired tokens", "count", n)
			}
		}
	}
}

// Close implements runner.Service.
func (s *Service) Close() error {
	var errs []error
	for _, c := range s.conns {
		errs = append(errs, c.Close())
	}
	errs = append(errs, s.store.Close())
	return errors.Join(errs...)
}

// dialable turns a listener address into one a client can dial: a wildcard host becomes
// loopback.
func dialable(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
