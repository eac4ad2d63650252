// Package entity holds the request mechanics every msisync entity service (identity,
// account, person, opportunity) runs the same way over its own store: a Sync call's
// per-record plan (checks, repeats within the batch, keys that cannot change) and its
// results, the key handling of BatchGet and Delete calls, the keyset page with its signed
// page token, and the mapping of store errors to statuses. Each service keeps what is its
// own: its fields and their checks, its keys, its filters and its reason texts.
package entity

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	"github.com/msisync/msisync/platform/records"
)

// StoreError maps a store error to a status: contract violations (records.ErrInvalidCall)
// are the caller's fault, anything else is internal (the error boundary logs it).
func StoreError(err error) error {
	if errors.Is(err, records.ErrInvalidCall) {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	return err
}

// Protos converts stored records to their API form.
func Protos[R, P any](found []R, toProto func(R) P) []P {
	out := make([]P, len(found))
	for i, r := range found {
		out[i] = toProto(r)
	}
	return out
}

// Split reads the keys of a BatchGet call (1 to records.MaxBatch of them) into the two kinds
// a store's Get takes. key reads one request key into the store's key, or the reason it
// names no record; parts returns a store key's id, or the zero ID and its other key (an
// external key, a compound key), with ok false when it names no record. Keys that name no
// record are left out: they are simply not found.
func Split[P, K any, ID comparable, E any](keys []P, key func(P) (K, *commonv1.Reason), parts func(K) (id ID, other E, ok bool)) ([]ID, []E, error) {
	if err := records.CheckBatch(len(keys)); err != nil {
		return nil, nil, err
	}
	var zero ID
	var ids []ID
	var others []E
	for _, p := range keys {
		k, why := key(p)
		if why != nil {
			continue
		}
		switch id, other, ok := parts(k); {
		case !ok:
		case id != zero:
			ids = append(ids, id)
		default:
			others = append(others, other)
		}
	}
	return ids, others, nil
}

// Get runs a BatchGet call: it reads its keys with Split, gets the records with one store
// call and returns them in API form.
func Get[P, K any, ID comparable, E, R, Out any](ctx context.Context, keys []P, key func(P) (K, *commonv1.Reason),
	parts func(K) (ID, E, bool), get func(context.Context, []ID, []E) ([]R, error), toProto func(R) Out,
) ([]Out, error) {
	ids, others, err := Split(keys, key, parts)
	if err != nil {
		return nil, err
	}
	found, err := get(ctx, ids, others)
	if err != nil {
		return nil, StoreError(err)
	}
	return Protos(found, toProto), nil
}

// KeyParts is the parts function of Split for records.Key.
func KeyParts(k records.Key) (int32, string, bool) { return k.ID, k.ExternalKey, true }

// Deleted is the result function of Delete for records.DeleteResult.
func Deleted(i int, r records.DeleteResult) *commonv1.RecordResult {
	return records.Deleted(i, r.ID, r.Deleted)
}

// Delete runs a Delete call of 1 to records.MaxBatch keys and returns one result per key:
// key reads a request key into the store's key, or the reason the record is skipped; del
// deletes the keys that have one with one store call; result is the result of request key
// i from the store's.
func Delete[P, K, R any](ctx context.Context, keys []P, key func(P) (K, *commonv1.Reason),
	del func(context.Context, []K) ([]R, error), result func(i int, r R) *commonv1.RecordResult,
) ([]*commonv1.RecordResult, error) {
	if err := records.CheckBatch(len(keys)); err != nil {
		return nil, err
	}
	results := make([]*commonv1.RecordResult, len(keys))
	var ks []K
	var idx []int
	for i, p := range keys {
		k, why := key(p)
		if why != nil {
			results[i] = records.Skipped(i, 0, why)
			continue
		}
		ks = append(ks, k)
		idx = append(idx, i)
	}
	if len(ks) == 0 {
		return results, nil
	}
	out, err := del(ctx, ks)
	if err != nil {
		return nil, StoreError(err)
	}
	for n, r := range out {
		results[idx[n]] = result(idx[n], r)
	}
	return results, nil
}
