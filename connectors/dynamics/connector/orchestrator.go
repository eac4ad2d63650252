package connector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/platform/retry"
)

// orchestrator is the connector's view of the orchestrator's gRPC API: the connector acts as
// one API client, with a bearer token it renews before expiry, and it retries what the
// orchestrator asks it to retry (rate limits, a service briefly unavailable).
type orchestrator struct {
	conn         *grpc.ClientConn
	clientID     string
	clientSecret string
	log          *slog.Logger

	auth    orchestratorv1.AuthServiceClient
	runs    orchestratorv1.SyncRunServiceClient
	insight orchestratorv1.InsightServiceClient
	leads   orchestratorv1.MarketoLeadServiceClient
	company orchestratorv1.MarketoCompanyServiceClient
	opps    orchestratorv1.MarketoOpportunityServiceClient
	roles   orchestratorv1.MarketoOpportunityRoleServiceClient
	retry   retry.Policy // for calls the orchestrator asks to retry

	mu      sync.Mutex
	token   string
	expires time.Time
}

func newOrchestrator(conn *grpc.ClientConn, clientID, clientSecret string, log *slog.Logger) *orchestrator {
	return &orchestrator{
		conn: conn, clientID: clientID, clientSecret: clientSecret, log: log,
		auth:    orchestratorv1.NewAuthServiceClient(conn),
		runs:    orchestratorv1.NewSyncRunServiceClient(conn),
		insight: orchestratorv1.NewInsightServiceClient(conn),
		leads:   orchestratorv1.NewMarketoLeadServiceClient(conn),
		company: orchestratorv1.NewMarketoCompanyServiceClient(conn),
		opps:    orchestratorv1.NewMarketoOpportunityServiceClient(conn),
		roles:   orchestratorv1.NewMarketoOpportunityRoleServiceClient(conn),
		// Twelve attempts over about half a minute on average (full jitter over 250ms,
		// doubling up to 10s): long enough to ride out a rate limit window.
		retry: retry.Policy{MaxAttempts: 12, Base: 250 * time.Millisecond, Max: 10 * time.Second},
	}
}

// bearer returns a valid access token, asking for a new one a minute before expiry (or when
// renew is set, after the orchestrator refused the current one).
func (o *orchestrator) bearer(ctx context.Context, renew bool) (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !renew && o.token != "" && time.Now().Before(o.expires) {
		return o.token, nil
	}
	resp, err := o.auth.IssueToken(ctx, &orchestratorv1.IssueTokenRequest{GrantType: "client_credentials", ClientId: o.clientID, ClientSecret: o.clientSecret})
	if err != nil {
		return "", fmt.Errorf("getting an orchestrator token for API client %q (MSISYNC_CLIENT_ID / MSISYNC_CLIENT_SECRET): %w", o.clientID, err)
	}
	o.token = resp.GetAccessToken()
	o.expires = time.Now().Add(time.Duration(resp.GetExpiresIn())*time.Second - time.Minute)
	return o.token, nil
}

// call runs fn with an authenticated context, renewing the token once when refused and
// retrying with backoff (o.retry) while the orchestrator is rate limiting (606, 615) or
// unavailable. A daily quota (607) is not retried: it lasts until midnight UTC.
func call[T any](ctx context.Context, o *orchestrator, what string, fn func(ctx context.Context) (T, error)) (T, error) {
	var out T
	p := o.retry
	p.OnRetry = func(r retry.Retrying) {
		o.log.DebugContext(ctx, "orchestrator asked to retry", "call", what, "code", status.Code(r.Err).String(), "attempt", r.Attempts, "wait", r.Wait)
	}
	_, err := retry.Do(ctx, p, func(ctx context.Context) error {
		tok, err := o.bearer(ctx, false)
		if err != nil {
			return err
		}
		res, err := fn(withBearer(ctx, tok))
		if status.Code(err) == codes.Unauthenticated {
			// The token was refused (expired or revoked early): get a new one, call once more.
			if tok, err = o.bearer(ctx, true); err != nil {
				return err
			}
			res, err = fn(withBearer(ctx, tok))
		}
		if err == nil {
			out = res
			return nil
		}
		st := status.Convert(err)
		switch {
		case st.Code() == codes.ResourceExhausted && marketo.CodeOf(st) == marketo.CodeDailyQuotaReached:
			return fmt.Errorf("%s: the orchestrator's daily quota for this API client is used up: %w", what, err)
		case st.Code() == codes.ResourceExhausted || st.Code() == codes.Unavailable:
			return retry.Retry(err)
		}
		return fmt.Errorf("%s: %w", what, err)
	})
	if ex := (*retry.ExhaustedError)(nil); errors.As(err, &ex) {
		return out, fmt.Errorf("%s: %w", what, err)
	}
	return out, err
}

// withBearer returns ctx carrying tok as the call's bearer token.
func withBearer(ctx context.Context, tok string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
}
