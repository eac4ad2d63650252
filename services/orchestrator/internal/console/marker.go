package console

import (
	"context"
	"crypto/subtle"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// MarkerHeader is the gRPC metadata key that marks a call made by the console for a page
// load. Its value must be the process's console key (NewKey), which never leaves the
// process, so an outside caller cannot set it to dodge the API limits.
const MarkerHeader = "x-msisync-console"

// NewKey returns a fresh random console key for one process.
func NewKey() string { return randomToken() }

// Marked reports whether an incoming call carries the console key.
func Marked(ctx context.Context, key string) bool {
	if key == "" {
		return false
	}
	md, _ := metadata.FromIncomingContext(ctx)
	for _, v := range md.Get(MarkerHeader) {
		if subtle.ConstantTimeCompare([]byte(v), []byte(key)) == 1 {
			return true
		}
	}
	return false
}

// Unlimited wraps the API limits interceptor so that calls marked with key (the console's
// page loads, as Marketo's own UI) skip it: they neither wait for the rate or concurrency
// limits nor count against the daily quota. Authentication and roles still apply to them.
func Unlimited(key string, limits grpc.UnaryServerInterceptor) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if Marked(ctx, key) {
			return handler(ctx, req)
		}
		return limits(ctx, req, info, handler)
	}
}
