package syncrun

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/platform/records"
	"github.com/msisync/msisync/services/orchestrator/internal/apply"
)

// attempt is what writing one record through the backend gave: its outcome, or why the
// backend refused it (a data error: the record goes to the dead-letter list).
type attempt struct {
	out    apply.Outcome
	failed *commonv1.Reason
	// ambiguous marks a failure that may be the service's rather than the record's.
	ambiguous bool
}

// isolate writes ins with call. A transient failure (see transient) is returned, so that
// the run is retried later as a whole; any other failure is a data error of some record in
// ins, which is found by bisecting: the halves are written apart until each failing record
// stands alone, so that the good records of the batch are still written and each bad one
// comes back with the reason it was refused.
//
// An internal failure (Internal, Unknown, DataLoss) is ambiguous: one record's bad data, or
// the service's database failing for everyone. It is bisected like a data error, but when
// no record of the batch could be written at all it is taken for an outage and returned as
// transient, so that a database failover never sends a whole run to the dead letters.
func isolate[T any](ctx context.Context, ins []T, call func([]T) ([]apply.Outcome, error)) ([]attempt, error) {
	at, first, err := bisect(ctx, ins, call)
	if err != nil {
		return nil, err
	}
	for _, a := range at {
		if !a.ambiguous {
			return at, nil
		}
	}
	return nil, first
}

// bisect is isolate without the outage rule; first is the first failure it met.
func bisect[T any](ctx context.Context, ins []T, call func([]T) ([]apply.Outcome, error)) (at []attempt, first error, err error) {
	outs, err := call(ins)
	if err == nil {
		if len(outs) != len(ins) {
			return nil, nil, status.Errorf(codes.Internal, "applying %d records returned %d outcomes", len(ins), len(outs))
		}
		at := make([]attempt, len(outs))
		for i, o := range outs {
			at[i].out = o
		}
		return at, nil, nil
	}
	if transient(ctx, err) {
		return nil, nil, err
	}
	if len(ins) == 1 {
		return []attempt{{failed: refusal(err), ambiguous: ambiguous(err)}}, err, nil
	}
	mid := len(ins) / 2
	left, first, err := bisect(ctx, ins[:mid], call)
	if err != nil {
		return nil, nil, err
	}
	right, second, err := bisect(ctx, ins[mid:], call)
	if err != nil {
		return nil, nil, err
	}
	if first == nil {
		first = second
	}
	return append(left, right...), first, nil
}

// ambiguous reports whether a failure may be the service's rather than the record's.
func ambiguous(err error) bool {
	switch status.Code(err) {
	case codes.Internal, codes.Unknown, codes.DataLoss:
		return true
	}
	return false
}

// transient reports whether a backend failure may pass if the batch is tried again later:
// the run is stopping, a service is unreachable, overloaded or timed out, or a write lost a
// race (Unavailable, DeadlineExceeded, ResourceExhausted, Aborted, Canceled), or the error
// carries no gRPC status at all (a connection failure before any service answered). Any
// other failure is a data error: trying the same records again gives the same answer.
func transient(ctx context.Context, err error) bool {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	st, ok := status.FromError(err)
	if !ok {
		return true
	}
	switch st.Code() {
	case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Aborted, codes.Canceled:
		return true
	}
	return false
}

// refusal is the dead-letter reason of a record the backend refused with err: the Marketo
// code the error carries (or the nearest one) and the service's message.
func refusal(err error) *commonv1.Reason {
	code, _ := marketo.FromError(err)
	msg := err.Error()
	if st, ok := status.FromError(err); ok {
		msg = st.Message()
	}
	return records.Reason(code, "the owning service refused the record: %s", msg)
}
