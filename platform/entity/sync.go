package entity

import (
	"context"
	"fmt"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/platform/records"
)

// ParseSync checks the size of a Sync call of n records (records.CheckBatch) and reads its
// action and dedupe key choice (records.ParseSync).
func ParseSync(n int, action commonv1.SyncAction, dedupe commonv1.DedupeBy) (mode records.Mode, byID bool, err error) {
	if err := records.CheckBatch(n); err != nil {
		return 0, false, err
	}
	return records.ParseSync(action, dedupe)
}

// BatchKey is the key of a write within its batch: "#" and its id when it is keyed by id,
// its external key otherwise.
func BatchKey[ID any](byID bool, id ID, externalKey string) string {
	if byID {
		return fmt.Sprintf("#%v", id)
	}
	return externalKey
}

// Batch is a Sync call in progress: a result for each input record that has one already
// (it is skipped), and the writes still planned for the others, each with the index of its
// record in the request.
type Batch[W any] struct {
	// Results holds one result per input record; nil while the record is still planned.
	Results []*commonv1.RecordResult
	// Writes are the planned writes, in request order.
	Writes []W
	// Index holds the request index of each planned write.
	Index []int
}

// NewBatch returns the batch of a Sync call of n records, with nothing planned yet. The
// caller has checked n (records.CheckBatch).
func NewBatch[W any](n int) *Batch[W] {
	return &Batch[W]{Results: make([]*commonv1.RecordResult, n), Writes: make([]W, 0, n), Index: make([]int, 0, n)}
}

// Skip skips record i for reason.
func (b *Batch[W]) Skip(i int, reason *commonv1.Reason) {
	b.Results[i] = records.Skipped(i, 0, reason)
}

// Add plans w as the write of record i.
func (b *Batch[W]) Add(i int, w W) {
	b.Writes = append(b.Writes, w)
	b.Index = append(b.Index, i)
}

// Plan checks the input records of a Sync call and plans their writes: prepare returns a
// record's write and its key within the batch, or the reason it is skipped; a record whose
// key an earlier record of the batch had is skipped as a duplicate, named by describe.
func Plan[I, W any](inputs []I, prepare func(in I) (w W, key string, why *commonv1.Reason), describe func(in I) string) *Batch[W] {
	b := NewBatch[W](len(inputs))
	seen := records.Repeats{}
	for i, in := range inputs {
		w, key, why := prepare(in)
		if why == nil && seen.Seen(key) {
			why = records.Duplicate(describe(in))
		}
		if why != nil {
			b.Skip(i, why)
			continue
		}
		b.Add(i, w)
	}
	return b
}

// Refuse gives each planned write for which refuse returns a result (i is its request index)
// that result, and drops it from the plan.
func (b *Batch[W]) Refuse(refuse func(i int, w W) *commonv1.RecordResult) {
	writes, index := b.Writes[:0], b.Index[:0]
	for n, w := range b.Writes {
		i := b.Index[n]
		if r := refuse(i, w); r != nil {
			b.Results[i] = r
			continue
		}
		writes, index = append(writes, w), append(index, i)
	}
	b.Writes, b.Index = writes, index
}

// KeepKeys applies the rule that a record's key fields (its external id, its compound key)
// cannot change once created, to the planned writes by id: id returns a write's record id
// and whether its input sends a key field at all; the records of those that do are read with
// one call of get and compared by changed, which returns the result of a write that would
// change one (it is then dropped), or nil.
func KeepKeys[W any, ID comparable, R any](ctx context.Context, b *Batch[W],
	id func(i int, w W) (ID, bool), get func(context.Context, []ID) ([]R, error), idOf func(R) ID,
	changed func(i int, w W, stored R) *commonv1.RecordResult,
) error {
	var ids []ID
	for n, w := range b.Writes {
		if id, sends := id(b.Index[n], w); sends {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	found, err := get(ctx, ids)
	if err != nil {
		return StoreError(err)
	}
	stored := make(map[ID]R, len(found))
	for _, r := range found {
		stored[idOf(r)] = r
	}
	b.Refuse(func(i int, w W) *commonv1.RecordResult {
		id, sends := id(i, w)
		if r, ok := stored[id]; ok && sends {
			return changed(i, w, r)
		}
		return nil
	})
	return nil
}

// KeepExternalID is KeepKeys for the usual key field, one external id: sent returns the
// external id the input of record i sends (nil when none), id a write's record id, get the
// store's Get (by ids and external keys), stored a record's id and external id, and refused
// the result of a write that would change it.
func KeepExternalID[W any, ID comparable, R any](ctx context.Context, b *Batch[W],
	sent func(i int) *string, id func(W) ID, get func(context.Context, []ID, []string) ([]R, error),
	stored func(R) (ID, string), refused func(i int, w W) *commonv1.RecordResult,
) error {
	return KeepKeys(ctx, b,
		func(i int, w W) (ID, bool) { return id(w), sent(i) != nil },
		func(ctx context.Context, ids []ID) ([]R, error) { return get(ctx, ids, nil) },
		func(r R) ID { id, _ := stored(r); return id },
		func(i int, w W, r R) *commonv1.RecordResult {
			if _, ext := stored(r); extid.Key(*sent(i)) != extid.Key(ext) {
				return refused(i, w)
			}
			return nil
		})
}

// Apply writes the planned writes with one call of write, gives each its result from the
// store's with result (i is its request index), and returns the results of the whole call.
func Apply[W, R any](ctx context.Context, b *Batch[W], write func(context.Context, []W) ([]R, error), result func(i int, r R) *commonv1.RecordResult) ([]*commonv1.RecordResult, error) {
	if len(b.Writes) == 0 {
		return b.Results, nil
	}
	out, err := write(ctx, b.Writes)
	if err != nil {
		return nil, StoreError(err)
	}
	for n, r := range out {
		i := b.Index[n]
		b.Results[i] = result(i, r)
	}
	return b.Results, nil
}
