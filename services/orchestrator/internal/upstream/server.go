package upstream

import (
	"context"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	"github.com/msisync/msisync/platform/marketoclient"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// Server implements orchestratorv1.UpstreamServiceServer. Its zero parts mean embedded
// mode.
type Server struct {
	orchestratorv1.UnimplementedUpstreamServiceServer
	url       string
	store     store.UpstreamStore
	client    *marketoclient.Client
	forwarder *Forwarder
	poller    *Poller
}

// NewServer returns the status and controls of upstream mode; NewServer("", nil, nil, nil,
// nil) is embedded mode's.
func NewServer(url string, st store.UpstreamStore, client *marketoclient.Client, f *Forwarder, p *Poller) *Server {
	return &Server{url: url, store: st, client: client, forwarder: f, poller: p}
}

// errEmbedded answers the controls in embedded mode.
var errEmbedded = status.Error(codes.FailedPrecondition, "msisync runs in embedded mode (it is the Marketo): set MSISYNC_MARKETO_URL to deliver to your Marketo instance")

func (s *Server) embedded() bool { return s.forwarder == nil }

// ts converts a time to a Timestamp; the zero time is unset.
func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// GetUpstreamStatus implements orchestratorv1.UpstreamServiceServer.
func (s *Server) GetUpstreamStatus(ctx context.Context, _ *orchestratorv1.GetUpstreamStatusRequest) (*orchestratorv1.GetUpstreamStatusResponse, error) {
	if s.embedded() {
		return &orchestratorv1.GetUpstreamStatusResponse{Mode: "embedded"}, nil
	}
	now := time.Now()
	queues, err := s.store.CountUpstream(ctx, now)
	if err != nil {
		return nil, err
	}
	out := &orchestratorv1.GetUpstreamStatusResponse{Mode: "upstream", MarketoUrl: s.url}
	for _, q := range queues {
		out.Objects = append(out.Objects, &orchestratorv1.UpstreamQueue{
			Object: string(q.Object), Pending: q.Pending, InFlight: q.InFlight, Waiting: q.Waiting,
			Skipped: q.Skipped, Delivered: q.Delivered, OldestWaiting: ts(q.OldestWaiting),
		})
	}
	st := s.client.Status()
	l := st.Limits
	out.Calls = &orchestratorv1.UpstreamCalls{
		UsedToday: l.UsedToday, Allowed: l.Allowed, Left: l.Left, ResetAt: ts(l.ResetAt),
		InWindow: int32(l.InWindow), Rate: l.Rate, Running: int32(l.Running),
		Sent: st.Calls, Retries: st.Retries, Failed: st.Failed,
	}
	out.LastError, out.LastErrorTime = st.LastError, ts(st.LastErrorTime)
	until, why := s.forwarder.paused()
	if until.IsZero() && now.Before(l.PausedUntil) {
		until, why = l.PausedUntil, "Marketo's daily API quota is spent (607)"
	}
	out.PausedUntil, out.PausedReason = ts(until), why
	rate, total := s.forwarder.stats.rate(now)
	out.Delivery = &orchestratorv1.UpstreamDelivery{RecordsPerSecond: rate, DeliveredSinceStart: total}
	m := s.poller.Status()
	out.Msi = &orchestratorv1.UpstreamMsi{LastPoll: ts(m.LastPoll), LastError: m.LastError, LeadsRead: m.Leads, UnknownLeads: m.Unknown, Backfilling: m.Backfilling}
	return out, nil
}

// ResumeUpstream implements orchestratorv1.UpstreamServiceServer.
func (s *Server) ResumeUpstream(ctx context.Context, _ *orchestratorv1.ResumeUpstreamRequest) (*orchestratorv1.ResumeUpstreamResponse, error) {
	if s.embedded() {
		return nil, errEmbedded
	}
	s.client.Limits().Resume()
	if err := s.store.ReleaseOutbox(ctx); err != nil {
		return nil, err
	}
	s.forwarder.Resume()
	return &orchestratorv1.ResumeUpstreamResponse{}, nil
}

// RetryUpstream implements orchestratorv1.UpstreamServiceServer.
func (s *Server) RetryUpstream(ctx context.Context, _ *orchestratorv1.RetryUpstreamRequest) (*orchestratorv1.RetryUpstreamResponse, error) {
	if s.embedded() {
		return nil, errEmbedded
	}
	n, err := s.store.MarkSkipped(ctx, time.Now())
	if err != nil {
		return nil, err
	}
	// Their children, waiting for them, are due as soon as they are delivered.
	if err := s.store.ReleaseOutbox(ctx); err != nil {
		return nil, err
	}
	s.forwarder.Wake()
	return &orchestratorv1.RetryUpstreamResponse{Queued: n}, nil
}

// BackfillUpstream implements orchestratorv1.UpstreamServiceServer.
func (s *Server) BackfillUpstream(ctx context.Context, _ *orchestratorv1.BackfillUpstreamRequest) (*orchestratorv1.BackfillUpstreamResponse, error) {
	if s.embedded() {
		return nil, errEmbedded
	}
	if err := s.poller.Backfill(ctx); err != nil {
		return nil, err
	}
	return &orchestratorv1.BackfillUpstreamResponse{}, nil
}
