package limits

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	"github.com/msisync/msisync/services/orchestrator/internal/auth"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

const leadsMethod = "/msisync.orchestrator.v1.MarketoLeadService/GetLeads"

func call(ctx context.Context, i grpc.UnaryServerInterceptor, method string, handler grpc.UnaryHandler) error {
	_, err := i(ctx, nil, &grpc.UnaryServerInfo{FullMethod: method}, handler)
	return err
}

func ok(context.Context, any) (any, error) { return "ok", nil }

func TestInterceptorConcurrency615(t *testing.T) {
	t.Parallel()
	l := New(Config{MaxConcurrency: 2}, nil, nil)
	i := l.UnaryInterceptor()
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{ClientID: "a", Role: store.RoleReadWrite})
	started := make(chan struct{}, 2)
	unblock := make(chan struct{})
	slow := func(context.Context, any) (any, error) {
		started <- struct{}{}
		<-unblock
		return "ok", nil
	}
	errs := make(chan error, 2)
	for range 2 {
		go func() { errs <- call(ctx, i, leadsMethod, slow) }()
	}
	<-started
	<-started
	if err := call(ctx, i, leadsMethod, ok); codeOf(err) != "615" {
		t.Errorf("3rd concurrent call: %v, want 615", err)
	}
	other := auth.WithPrincipal(context.Background(), auth.Principal{ClientID: "b", Role: store.RoleReadWrite})
	if err := call(other, i, leadsMethod, ok); err != nil {
		t.Errorf("another client: %v", err)
	}
	if err := call(ctx, i, orchestratorv1.AuthService_IssueToken_FullMethodName, ok); err != nil {
		t.Errorf("token call while at the limit: %v", err)
	}
	if err := call(ctx, i, "/grpc.health.v1.Health/Check", ok); err != nil {
		t.Errorf("health check while at the limit: %v", err)
	}
	close(unblock)
	for range 2 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	// Released when the calls ended.
	if err := call(ctx, i, leadsMethod, ok); err != nil {
		t.Errorf("after the calls ended: %v", err)
	}
}

func TestInterceptorExemptsTokenCalls(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	l := newLimiter(Config{Calls: 2, Window: time.Minute, DailyQuota: 3}, nil, &now)
	i := l.UnaryInterceptor()
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{ClientID: "a", Role: store.RoleReadWrite})
	for range 10 {
		if err := call(ctx, i, orchestratorv1.AuthService_IssueToken_FullMethodName, ok); err != nil {
			t.Fatalf("token call: %v", err)
		}
	}
	for n := range 2 {
		if err := call(ctx, i, leadsMethod, ok); err != nil {
			t.Fatalf("call %d: %v", n+1, err)
		}
	}
	if err := call(ctx, i, leadsMethod, ok); codeOf(err) != "606" {
		t.Errorf("3rd call in the window: %v, want 606", err)
	}
	now = now.Add(time.Minute)
	if err := call(ctx, i, leadsMethod, ok); err != nil {
		t.Errorf("3rd counted call: %v", err)
	}
	now = now.Add(time.Minute)
	if err := call(ctx, i, leadsMethod, ok); codeOf(err) != "607" {
		t.Errorf("4th counted call on a quota of 3: %v, want 607", err)
	}
	// Without a principal (authentication let it through) the call is not limited.
	if err := call(context.Background(), i, leadsMethod, ok); err != nil {
		t.Errorf("call without a principal: %v", err)
	}
}

func TestInterceptorDisabled(t *testing.T) {
	t.Parallel()
	l := New(Config{}, nil, nil)
	i := l.UnaryInterceptor()
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{ClientID: "a", Role: store.RoleReadWrite})
	for range 1000 {
		if err := call(ctx, i, leadsMethod, ok); err != nil {
			t.Fatal(err)
		}
	}
}
