// Package fault keeps internal error text away from the orchestrator's callers. An error
// whose cause is on msisync's side (gRPC code INTERNAL, UNKNOWN, DATA_LOSS or UNAVAILABLE,
// or an error without a gRPC status) is logged with its text under a new error id, and the
// caller gets a fixed sentence quoting that id instead: the id ties a user's report to the
// log line that explains it.
package fault

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/msisync/msisync/platform/marketo"
)

// reason is the ErrorInfo reason of a hidden error; its metadata carries the id.
const reason = "INTERNAL_ERROR"

// idKey is the ErrorInfo metadata key that carries the error id.
const idKey = "errorId"

// hidden reports whether a status with code c must not show its message to callers.
func hidden(c codes.Code) bool {
	switch c {
	case codes.Internal, codes.Unknown, codes.DataLoss, codes.Unavailable:
		return true
	}
	return false
}

// Message is the sentence callers get for a hidden error of code c, starting with lead
// ("Internal error", or Marketo's "System error" on the REST API).
func Message(c codes.Code, lead, id string) string {
	if c == codes.Unavailable {
		return lead + ": a service behind the API did not answer; try again later, and quote error id " + id + " if it persists"
	}
	return lead + ": something went wrong on our side; quote error id " + id + " when reporting it"
}

// Hide returns err as a caller may see it. A status with a code whose message may hold
// internal text (see the package comment), or an error without a status, is logged at
// where (the RPC or the HTTP route) with its text and a new error id, and comes back as a
// status of the same code (INTERNAL for an error without one) whose message is Message
// and whose details carry the id (ID reads it). Errors already hidden, errors carrying a
// Marketo code (their message is written for callers), context errors and every other
// status come back unchanged.
func Hide(ctx context.Context, log *slog.Logger, where string, err error) error {
	if err == nil || ID(err) != "" {
		return err
	}
	st, ok := status.FromError(err)
	switch {
	case !ok && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
		return err
	case !ok:
		st = status.New(codes.Internal, err.Error())
	case !hidden(st.Code()) || marketo.CodeOf(st) != "":
		return err
	}
	id := newID()
	level := slog.LevelError
	if st.Code() == codes.Unavailable {
		level = slog.LevelWarn
	}
	log.Log(ctx, level, "error hidden from the caller", "error_id", id, "where", where, "code", st.Code().String(), "error", st.Message())
	out := status.New(st.Code(), Message(st.Code(), "Internal error", id))
	if st.Code() == codes.Unavailable {
		out = status.New(codes.Unavailable, Message(codes.Unavailable, "Temporarily unavailable", id))
	}
	withID, derr := out.WithDetails(&errdetails.ErrorInfo{Reason: reason, Domain: marketo.ErrorDomain, Metadata: map[string]string{idKey: id}})
	if derr != nil {
		return out.Err()
	}
	return withID.Err()
}

// ID returns the error id of an error Hide returned (also after it crossed gRPC), or "".
func ID(err error) string {
	st, ok := status.FromError(err)
	if !ok {
		return ""
	}
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.GetReason() == reason && info.GetDomain() == marketo.ErrorDomain {
			return info.GetMetadata()[idKey]
		}
	}
	return ""
}

// UnaryServerInterceptor hides the internal errors of every call (Hide), logging them with
// the RPC's name. Put it outermost among a server's own interceptors, so it sees their
// errors too.
func UnaryServerInterceptor(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		resp, err := handler(ctx, req)
		if err != nil {
			return nil, Hide(ctx, log, info.FullMethod, err)
		}
		return resp, nil
	}
}

// newID returns a random 16-hex-digit error id.
func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
