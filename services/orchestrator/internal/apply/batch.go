package apply

import (
	"context"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
)

// reply is a service's response to a write or a delete: one result per record sent.
type reply interface {
	GetResults() []*commonv1.RecordResult
}

// batch is a write or a delete in progress: one Outcome per input record, and the records
// still to send, each with the position of its input.
type batch[T any] struct {
	out  []Outcome
	send []T
	sent []int
}

// newBatch returns the batch of n input records, with nothing to send yet.
func newBatch[T any](n int) *batch[T] { return &batch[T]{out: make([]Outcome, n)} }

// add plans to send t for the input record at position i.
func (b *batch[T]) add(i int, t T) {
	b.send = append(b.send, t)
	b.sent = append(b.sent, i)
}

// sendBatch sends the planned records with one call, unless there are none, and places the
// service's results at the positions of their inputs. what names the call in its error
// ("syncing companies").
func sendBatch[T any, R reply](ctx context.Context, b *batch[T], what string, call func(context.Context, []T) (R, error)) ([]Outcome, error) {
	if len(b.send) == 0 {
		return b.out, nil
	}
	resp, err := call(ctx, b.send)
	if err != nil {
		return nil, errorf(what, err)
	}
	return b.out, merge(b.out, b.sent, resp.GetResults())
}

// mergeAll places the results of a call that sent all n input records, in order.
func mergeAll(n int, results []*commonv1.RecordResult) ([]Outcome, error) {
	out := make([]Outcome, n)
	sent := make([]int, n)
	for i := range sent {
		sent[i] = i
	}
	return out, merge(out, sent, results)
}

// then runs after, when there is one, on the outcomes of a batch that was sent without
// error. The skeletons call it while they still hold their locks.
func then(ctx context.Context, out []Outcome, err error, after func(context.Context, []Outcome) error) ([]Outcome, error) {
	if err != nil || after == nil {
		return out, err
	}
	return out, after(ctx, out)
}
