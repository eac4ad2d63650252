package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/msisync/msisync/platform/records"
)

// Upsert is one write of a batch as Table.Upsert sees it: its mode and its key.
type Upsert[ID comparable] struct {
	// Mode is what the write does with a record that exists or not.
	Mode records.Mode
	// ID is the key when it is not the zero ID (UpdateOnly only); Key, an external key, is
	// the key otherwise.
	ID  ID
	Key string
}

// Written is the outcome of one Upsert.
type Written[ID comparable] struct {
	// Outcome is what the write did; 0 when the create function refused to create it.
	Outcome records.Outcome
	// ID is the record's id; the zero ID for NotFound and refused creates.
	ID ID
}

// CheckUpserts enforces the contract every batch write shares before anything is read: at
// most max writes, each with a key, a write by id only with UpdateOnly, and no key twice.
// It returns an error wrapping records.ErrInvalidCall.
func CheckUpserts[ID comparable](writes []Upsert[ID], max int) error {
	if len(writes) > max {
		return fmt.Errorf("%w: %d writes, at most %d", records.ErrInvalidCall, len(writes), max)
	}
	var zero ID
	seen := records.Repeats{}
	for i, w := range writes {
		if w.ID == zero && w.Key == "" {
			return fmt.Errorf("%w: write %d has no key", records.ErrInvalidCall, i)
		}
		key := "k" + w.Key
		if w.ID != zero {
			if w.Mode != records.UpdateOnly {
				return fmt.Errorf("%w: write %d is keyed by id but does not update only", records.ErrInvalidCall, i)
			}
			key = fmt.Sprintf("#%v", w.ID)
		}
		if seen.Seen(key) {
			return fmt.Errorf("%w: write %d repeats a key of an earlier write", records.ErrInvalidCall, i)
		}
	}
	return nil
}

// Upserts makes the Upsert of each of n writes with upsert, which also returns the error of
// a write that breaks the store's own contract (see KnownFields), and checks them with
// CheckUpserts.
func Upserts[ID comparable](n, max int, upsert func(i int) (Upsert[ID], error)) ([]Upsert[ID], error) {
	out := make([]Upsert[ID], n)
	for i := range n {
		var err error
		if out[i], err = upsert(i); err != nil {
			return nil, err
		}
	}
	if err := CheckUpserts(out, max); err != nil {
		return nil, err
	}
	return out, nil
}

// KnownFields returns an error wrapping records.ErrInvalidCall that names a field of fields
// that known lacks, or nil.
func KnownFields[F comparable, V any](known []F, fields map[F]V) error {
	for f := range fields {
		if !slices.Contains(known, f) {
			return fmt.Errorf("%w: unknown field %v", records.ErrInvalidCall, f)
		}
	}
	return nil
}

// Upsert applies a batch of writes in one transaction and returns one result per write, in
// order. It finds which keys exist; creates the records that their mode creates with one
// multi-row INSERT of columns, whose values create returns for write i (ok false leaves the
// write alone: nothing is written and its result is zero); applies the existing-record rule
// to the keys another writer created meanwhile (another replica on PostgreSQL); and calls
// update for each record to update. now is the time of the batch, in Unix microseconds.
// The writes must pass CheckUpserts.
func (t *Table[R, ID]) Upsert(ctx context.Context, writes []Upsert[ID], columns []string,
	create func(i int, now int64) (values []any, ok bool),
	update func(ctx context.Context, tx *sql.Tx, i int, id ID, now int64) error,
) ([]Written[ID], error) {
	results := make([]Written[ID], len(writes))
	err := t.DB.InTx(ctx, func(tx *sql.Tx) error {
		var zero ID
		var ids []ID
		var keys []string
		for _, w := range writes {
			if w.ID != zero {
				ids = append(ids, w.ID)
			} else {
				keys = append(keys, w.Key)
			}
		}
		byKey, err := t.idsByKey(ctx, tx, keys)
		if err != nil {
			return err
		}
		byID, err := t.exist(ctx, tx, ids)
		if err != nil {
			return err
		}
		now := time.Now().UTC().UnixMicro()
		var inserts, updates []int
		var values []any
		for i, w := range writes {
			id, found := byKey[w.Key], false
			if w.ID != zero {
				id, found = w.ID, byID[w.ID]
			} else {
				found = id != zero
			}
			switch outcome := records.Decide(w.Mode, found); outcome {
			case records.Created:
				if v, ok := create(i, now); ok {
					inserts = append(inserts, i)
					values = append(values, v...)
				}
			case records.Updated:
				updates = append(updates, i)
				results[i] = Written[ID]{Outcome: outcome, ID: id}
			case records.NotFound:
				results[i] = Written[ID]{Outcome: outcome}
			default:
				results[i] = Written[ID]{Outcome: outcome, ID: id}
			}
		}
		created, err := t.insert(ctx, tx, columns, len(inserts), values)
		if err != nil {
			return err
		}
		var raced []string
		for _, i := range inserts {
			if id, ok := created[writes[i].Key]; ok {
				results[i] = Written[ID]{Outcome: records.Created, ID: id}
			} else {
				raced = append(raced, writes[i].Key)
			}
		}
		// A concurrent writer created some keys between our read and our insert: they now
		// exist, so apply the existing-record rule to them.
		if len(raced) > 0 {
			again, err := t.idsByKey(ctx, tx, raced)
			if err != nil {
				return err
			}
			for _, i := range inserts {
				if results[i].Outcome != 0 {
					continue
				}
				id, ok := again[writes[i].Key]
				if !ok {
					return fmt.Errorf("%s %q neither created nor found", t.What, writes[i].Key)
				}
				outcome := records.Decide(writes[i].Mode, true)
				results[i] = Written[ID]{Outcome: outcome, ID: id}
				if outcome == records.Updated {
					updates = append(updates, i)
				}
			}
		}
		for _, i := range updates {
			if err := update(ctx, tx, i, results[i].ID, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// idsByKey returns the ids of the stored records with the given external keys.
func (t *Table[R, ID]) idsByKey(ctx context.Context, q Querier, keys []string) (map[string]ID, error) {
	byKey := make(map[string]ID, len(keys))
	if len(keys) == 0 {
		return byKey, nil
	}
	cond, args := t.keyIn(keys)
	err := t.scanAll(ctx, q, "finding existing "+t.What, "SELECT "+t.IDColumn+", "+t.KeyColumn+" FROM "+t.Name+" WHERE "+cond, args, func(rows *sql.Rows) error {
		var id ID
		var key string
		if err := rows.Scan(&id, &key); err != nil {
			return err
		}
		byKey[key] = id
		return nil
	})
	return byKey, err
}

// exist returns which of ids are stored.
func (t *Table[R, ID]) exist(ctx context.Context, q Querier, ids []ID) (map[ID]bool, error) {
	byID := make(map[ID]bool, len(ids))
	if len(ids) == 0 {
		return byID, nil
	}
	in, args := In(ids)
	err := t.scanAll(ctx, q, "finding existing "+t.What, "SELECT "+t.IDColumn+" FROM "+t.Name+" WHERE "+t.IDColumn+" IN ("+in+")", args, func(rows *sql.Rows) error {
		var id ID
		if err := rows.Scan(&id); err != nil {
			return err
		}
		byID[id] = true
		return nil
	})
	return byID, err
}

// insert creates rows records of columns with one multi-row statement, leaving out those
// whose external key exists, and returns the ids of the created ones by external key.
func (t *Table[R, ID]) insert(ctx context.Context, tx *sql.Tx, columns []string, rows int, values []any) (map[string]ID, error) {
	created := make(map[string]ID, rows)
	if rows == 0 {
		return created, nil
	}
	q := InsertRows(t.Name, columns, rows) + " ON CONFLICT (" + t.KeyColumn + ") DO NOTHING RETURNING " + t.IDColumn + ", " + t.KeyColumn
	err := t.scanAll(ctx, tx, "creating "+t.What, q, values, func(rows *sql.Rows) error {
		var id ID
		var key string
		if err := rows.Scan(&id, &key); err != nil {
			return err
		}
		created[key] = id
		return nil
	})
	return created, err
}

// scanAll runs q and calls scan for each row; errors say what it was doing.
func (t *Table[R, ID]) scanAll(ctx context.Context, db Querier, doing, q string, args []any, scan func(*sql.Rows) error) error {
	rows, err := db.QueryContext(ctx, t.DB.Rebind(q), args...)
	if err != nil {
		return fmt.Errorf("%s: %w", doing, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("%s: %w", doing, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", doing, err)
	}
	return nil
}
