package connector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/platform/retry"
)

// fakeAuth issues tok-1, tok-2, ...
type fakeAuth struct{ issued int }

func (a *fakeAuth) IssueToken(context.Context, *orchestratorv1.IssueTokenRequest, ...grpc.CallOption) (*orchestratorv1.IssueTokenResponse, error) {
	a.issued++
	return &orchestratorv1.IssueTokenResponse{AccessToken: fmt.Sprintf("tok-%d", a.issued), ExpiresIn: 3600}, nil
}

// testOrchestrator returns an orchestrator client whose waits are recorded, not waited,
// and whose backoff always draws its ceiling.
func testOrchestrator() (*orchestrator, *fakeAuth, *[]time.Duration) {
	auth := &fakeAuth{}
	waits := &[]time.Duration{}
	o := newOrchestrator(nil, "client", "secret", slog.New(slog.DiscardHandler))
	o.auth = auth
	o.retry.Sleep = func(ctx context.Context, d time.Duration) error {
		*waits = append(*waits, d)
		return ctx.Err()
	}
	o.retry.Rand = func(n int64) int64 { return n - 1 }
	return o, auth, waits
}

// answers returns a call whose i-th attempt fails with errs[i] (nil: succeeds), recording
// the bearer token of each attempt.
func answers(tokens *[]string, errs ...error) func(ctx context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		md, _ := metadata.FromOutgoingContext(ctx)
		*tokens = append(*tokens, strings.Join(md.Get("authorization"), ","))
		i := len(*tokens) - 1
		if i < len(errs) && errs[i] != nil {
			return "", errs[i]
		}
		return "done", nil
	}
}

func TestOrchestratorCallRetriesRateLimits(t *testing.T) {
	o, _, waits := testOrchestrator()
	var tokens []string
	rateLimited := marketo.NewError(codes.ResourceExhausted, marketo.CodeRateLimitExceeded, "")
	out, err := call(context.Background(), o, "testing", answers(&tokens,
		rateLimited, status.Error(codes.Unavailable, "restarting"), marketo.NewError(codes.ResourceExhausted, marketo.CodeConcurrentAccessLimit, "")))
	if err != nil || out != "done" || len(tokens) != 4 {
		t.Fatalf("call = %q, %v after %d attempts; want done after 4", out, err, len(tokens))
	}
	// Full jitter under ceilings of 250ms, doubling: the test's random source draws the ceiling.
	if want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second}; !slices.Equal(*waits, want) {
		t.Errorf("waits = %v, want %v", *waits, want)
	}
}

func TestOrchestratorCallGivesUp(t *testing.T) {
	o, _, waits := testOrchestrator()
	var tokens []string
	errs := make([]error, 20)
	for i := range errs {
		errs[i] = status.Error(codes.Unavailable, "down")
	}
	_, err := call(context.Background(), o, "reading a sync run", answers(&tokens, errs...))
	if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "reading a sync run: giving up after 12 attempts") {
		t.Errorf("err = %v, want the Unavailable status after 12 attempts, naming the call", err)
	}
	if len(tokens) != 12 || len(*waits) != 11 || (*waits)[10] != 10*time.Second {
		t.Errorf("%d attempts, waits %v; want 12 attempts and 11 waits capped at 10s", len(tokens), *waits)
	}
}

func TestOrchestratorCallDoesNotRetry(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"daily quota", marketo.NewError(codes.ResourceExhausted, marketo.CodeDailyQuotaReached, ""), "daily quota for this API client is used up"},
		{"bad request", status.Error(codes.InvalidArgument, "no such field"), "testing: rpc error: code = InvalidArgument desc = no such field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, _, waits := testOrchestrator()
			var tokens []string
			_, err := call(context.Background(), o, "testing", answers(&tokens, tc.err))
			if err == nil || !strings.Contains(err.Error(), tc.want) || len(tokens) != 1 || len(*waits) != 0 {
				t.Errorf("err = %v after %d attempts, waits %v; want %q at once", err, len(tokens), *waits, tc.want)
			}
		})
	}
}

func TestOrchestratorCallRenewsARefusedToken(t *testing.T) {
	o, auth, waits := testOrchestrator()
	var tokens []string
	refused := status.Error(codes.Unauthenticated, "token expired")
	if _, err := call(context.Background(), o, "testing", answers(&tokens, refused)); err != nil {
		t.Fatal(err)
	}
	if want := []string{"Bearer tok-1", "Bearer tok-2"}; !slices.Equal(tokens, want) || auth.issued != 2 || len(*waits) != 0 {
		t.Errorf("tokens sent %v, issued %d, waits %v; want %v at once", tokens, auth.issued, *waits, want)
	}

	// A new token refused too ends the call.
	tokens = nil
	_, err := call(context.Background(), o, "testing", answers(&tokens, refused, refused))
	if status.Code(err) != codes.Unauthenticated || len(tokens) != 2 {
		t.Errorf("err = %v after %d attempts, want Unauthenticated after 2", err, len(tokens))
	}
}

func TestOrchestratorCallStopsWhenCancelled(t *testing.T) {
	o, _, _ := testOrchestrator()
	ctx, cancel := context.WithCancel(context.Background())
	var interrupted error
	o.retry.Sleep = func(sctx context.Context, d time.Duration) error {
		cancel() // cancelled once the wait has begun
		interrupted = retry.Sleep(sctx, d)
		return interrupted
	}
	var tokens []string
	_, err := call(ctx, o, "testing", answers(&tokens, status.Error(codes.Unavailable, "down"), nil))
	if !errors.Is(err, context.Canceled) || !errors.Is(interrupted, context.Canceled) || len(tokens) != 1 {
		t.Errorf("err = %v (wait returned %v) after %d attempts; want cancelled during the first wait", err, interrupted, len(tokens))
	}
}
