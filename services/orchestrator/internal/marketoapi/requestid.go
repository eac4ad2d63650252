// Package marketoapi implements the orchestrator's Marketo-compatible services
// (msisync.orchestrator.v1.Marketo*Service): it validates Marketo-shaped records, calls the
// owning service with one batched RPC per request, and answers in Marketo's envelope.
package marketoapi

import (
	"context"
	"time"

	"google.golang.org/grpc/metadata"

	"github.com/msisync/msisync/platform/marketo"
)

// RequestIDHeader is the HTTP header (and gRPC metadata key) that carries the request id
// the gateway assigned, so that the envelope and the gateway's error answers agree.
const RequestIDHeader = "x-request-id"

// requestID returns the id of the current request: the gateway's, or a new one for a call
// that came straight over gRPC.
func requestID(ctx context.Context) string {
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get(RequestIDHeader); len(v) > 0 && v[0] != "" && len(v[0]) <= 64 {
			return v[0]
		}
	}
	return marketo.NewRequestID(time.Now())
}
