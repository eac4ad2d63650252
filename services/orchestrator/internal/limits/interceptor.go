package limits

import (
	"context"
	"strings"

	"google.golang.org/grpc"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	"github.com/msisync/msisync/services/orchestrator/internal/auth"
)

// exempt reports whether a method is outside the limits: the token endpoint (Marketo does
// not count token calls) and the standard gRPC services (health, reflection).
func exempt(fullMethod string) bool {
	return fullMethod == orchestratorv1.AuthService_IssueToken_FullMethodName || strings.HasPrefix(fullMethod, "/grpc.")
}

// UnaryInterceptor applies the limits to the client in the context (see auth.FromContext)
// and counts its calls in msisync_api_calls_total;
// it runs after authentication, so calls refused there are never counted. A call without a
// principal passes: authentication has already refused every call that needs one.
func (l *Limiter) UnaryInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if exempt(info.FullMethod) {
			return handler(ctx, req)
		}
		p, ok := auth.FromContext(ctx)
		if !ok {
			return handler(ctx, req)
		}
		if l.Enabled() {
			release, err := l.Acquire(p.ClientID)
			if err != nil {
				l.count(ctx, p.ClientID, err, true)
				return nil, err
			}
			defer release()
		}
		resp, err := handler(ctx, req)
		l.count(ctx, p.ClientID, err, false)
		return resp, err
	}
}
