package auth

import (
	"context"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	"github.com/msisync/msisync/platform/marketo"
)

// publicMethods are callable without a token.
var publicMethods = map[string]bool{
	orchestratorv1.AuthService_IssueToken_FullMethodName: true,
}

// ClientIDHeader is the response header in which the orchestrator names the API client it
// authenticated (the REST gateway's access log reads it and does not pass it on).
const ClientIDHeader = "x-msisync-client-id"

type principalKey struct{}

// FromContext returns the client an authenticated call acts as.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// UnaryInterceptor requires a valid "authorization: Bearer <token>" on every call except
// the token endpoint and the standard gRPC services (health, reflection), and puts the
// caller's Principal in the context. A missing token is 600, an unknown one 601, an
// expired one 602; a read-only client calling an RPC that writes (writeMethods) gets 603.
func (a *Authenticator) UnaryInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if publicMethods[info.FullMethod] || strings.HasPrefix(info.FullMethod, "/grpc.") {
			return handler(ctx, req)
		}
		token := bearer(ctx)
		if token == "" {
			return nil, marketo.NewError(codes.Unauthenticated, marketo.CodeEmptyAccessToken, "Access token not specified: send Authorization: Bearer <access_token>")
		}
		p, err := a.Verify(ctx, token)
		if err != nil {
			return nil, err
		}
		// The caller learns its own id; the gateway reads it for its access log.
		_ = grpc.SetHeader(ctx, metadata.Pairs(ClientIDHeader, p.ClientID))
		if err := authorize(p, info.FullMethod); err != nil {
			return nil, err
		}
		return handler(context.WithValue(ctx, principalKey{}, p), req)
	}
}

func bearer(ctx context.Context) string {
	md, _ := metadata.FromIncomingContext(ctx)
	for _, v := range md.Get("authorization") {
		scheme, token, ok := strings.Cut(strings.TrimSpace(v), " ")
		if ok && strings.EqualFold(scheme, "bearer") {
			return strings.TrimSpace(token)
		}
	}
	return ""
}

// WithPrincipal returns ctx acting as p, as UnaryInterceptor does for an authenticated
// call (tests of later interceptors use it too).
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}
