package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/msisync/msisync/platform/records"
)

// Table is one table of an entity store whose records have an id (an integer id or a GUID)
// and a unique external key: it holds the reads, deletes and creates every such store makes
// the same way. The store keeps what is its own: its columns, how a row is scanned, its
// filters and its updates.
type Table[R any, ID comparable] struct {
	// DB is the database the table lives in.
	DB *DB
	// Name is the table's name; What names its records in errors ("sales persons").
	Name, What string
	// IDColumn holds the id and KeyColumn the external key (unique when not empty).
	IDColumn, KeyColumn string
	// KeyGuard, when set, is ANDed to every condition on KeyColumn: the predicate of a
	// partial unique index, so that both engines use the index.
	KeyGuard string
	// OrderColumn is the ascending column List pages by; IDColumn when empty.
	OrderColumn string
	// Columns is what every read selects; Scan reads one row of it into r.
	Columns string
	Scan    func(rows *sql.Rows, r *R) error
	// IDOf and KeyOf return a record's id and external key.
	IDOf  func(R) ID
	KeyOf func(R) string
}

// Select returns the records matching where, in the order it gives.
func (t *Table[R, ID]) Select(ctx context.Context, q Querier, where string, args ...any) ([]R, error) {
	var out []R
	err := t.scanAll(ctx, q, "reading "+t.What, "SELECT "+t.Columns+" FROM "+t.Name+" WHERE "+where, args, func(rows *sql.Rows) error {
		var r R
		if err := t.Scan(rows, &r); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// List returns one keyset page: the records whose column holds one of values, after the
// record whose OrderColumn is after, ordered by OrderColumn, at most limit of them (1 to
// records.MaxBatch+1: one more than a page, to see whether another follows). No values
// match nothing.
func (t *Table[R, ID]) List(ctx context.Context, column string, values []any, after any, limit int) ([]R, error) {
	if limit < 1 || limit > records.MaxBatch+1 {
		return nil, fmt.Errorf("%w: limit %d", records.ErrInvalidCall, limit)
	}
	if len(values) == 0 {
		return nil, nil
	}
	order := t.OrderColumn
	if order == "" {
		order = t.IDColumn
	}
	where := column + " IN (" + Placeholders(len(values)) + ") AND " + order + " > ? ORDER BY " + order + " LIMIT ?"
	return t.Select(ctx, t.DB, where, append(values, after, limit)...)
}

// keyIn returns the condition matching any of keys on KeyColumn.
func (t *Table[R, ID]) keyIn(keys []string) (string, []any) {
	in, args := In(keys)
	cond := t.KeyColumn + " IN (" + in + ")"
	if t.KeyGuard != "" {
		cond = "(" + t.KeyGuard + " AND " + cond + ")"
	}
	return cond, args
}

// Get returns the records that have one of ids or one of the external keys, each once, in
// no particular order; empty keys match nothing.
func (t *Table[R, ID]) Get(ctx context.Context, q Querier, ids []ID, keys []string) ([]R, error) {
	where, args := t.KeyWhere(ids, keys)
	if where == "" {
		return nil, nil
	}
	return t.Select(ctx, q, where, args...)
}

// KeyWhere returns the condition matching any of ids or of the external keys (empty keys
// match nothing), with its arguments; "" when there are none.
func (t *Table[R, ID]) KeyWhere(ids []ID, keys []string) (string, []any) {
	var conds []string
	var args []any
	if len(ids) > 0 {
		in, a := In(ids)
		conds = append(conds, t.IDColumn+" IN ("+in+")")
		args = append(args, a...)
	}
	if keys = NonEmpty(keys); len(keys) > 0 {
		cond, a := t.keyIn(keys)
		conds = append(conds, cond)
		args = append(args, a...)
	}
	return strings.Join(conds, " OR "), args
}

// Delete removes, in one transaction, the records that n keys name (at most
// records.MaxBatch) — key returns key i: an id, or the zero ID and an external key — and
// returns, for each key, the id of the record it deleted, or the zero ID when it named none
// (a second key for a record deleted earlier in the batch names none).
func (t *Table[R, ID]) Delete(ctx context.Context, n int, key func(i int) (ID, string)) ([]ID, error) {
	if n > records.MaxBatch {
		return nil, fmt.Errorf("%w: %d keys, at most %d", records.ErrInvalidCall, n, records.MaxBatch)
	}
	var deleted []ID
	err := t.DB.InTx(ctx, func(tx *sql.Tx) error {
		var zero ID
		var ids []ID
		var keys []string
		for i := range n {
			if id, k := key(i); id != zero {
				ids = append(ids, id)
			} else {
				keys = append(keys, k)
			}
		}
		found, err := t.Get(ctx, tx, ids, keys)
		if err != nil {
			return err
		}
		deleted, err = t.DeleteFound(ctx, tx, n, key, found)
		return err
	})
	if err != nil {
		return nil, err
	}
	return deleted, nil
}

// DeleteFound is Delete within tx for a table whose keys Get cannot read (a compound key):
// found are the records the keys may name, read in tx, and key returns key i as an id or
// the zero ID and the KeyOf of the record it names.
func (t *Table[R, ID]) DeleteFound(ctx context.Context, tx *sql.Tx, n int, key func(i int) (ID, string), found []R) ([]ID, error) {
	var zero ID
	live := make(map[ID]bool, len(found))
	byKey := make(map[string]ID, len(found))
	for _, r := range found {
		live[t.IDOf(r)] = true
		if k := t.KeyOf(r); k != "" {
			byKey[k] = t.IDOf(r)
		}
	}
	deleted := make([]ID, n)
	var doomed []ID
	for i := range n {
		id, k := key(i)
		if id == zero && k != "" {
			id = byKey[k]
		}
		if id == zero || !live[id] {
			continue
		}
		delete(live, id) // a second key for the same record finds it gone
		deleted[i] = id
		doomed = append(doomed, id)
	}
	if len(doomed) == 0 {
		return deleted, nil
	}
	in, args := In(doomed)
	if _, err := tx.ExecContext(ctx, t.DB.Rebind("DELETE FROM "+t.Name+" WHERE "+t.IDColumn+" IN ("+in+")"), args...); err != nil {
		return nil, fmt.Errorf("deleting %s: %w", t.What, err)
	}
	return deleted, nil
}

// NonEmpty returns keys without the empty ones, which match nothing.
func NonEmpty(keys []string) []string {
	out := keys[:0:0]
	for _, k := range keys {
		if k != "" {
			out = append(out, k)
		}
	}
	return out
}

// DeleteKeys is Table.Delete for a table keyed by an integer id and an external key, with
// the results a store returns.
func DeleteKeys[R any](ctx context.Context, t *Table[R, int32], keys []records.Key) ([]records.DeleteResult, error) {
	deleted, err := t.Delete(ctx, len(keys), func(i int) (int32, string) { return keys[i].ID, keys[i].ExternalKey })
	return Convert(deleted, err, func(id int32) records.DeleteResult { return records.DeleteResult{Deleted: id != 0, ID: id} })
}

// Convert returns f of each of in, or err when it is not nil: it turns what a Table returns
// into a store's results.
func Convert[A, B any](in []A, err error, f func(A) B) ([]B, error) {
	if err != nil {
		return nil, err
	}
	out := make([]B, len(in))
	for i, a := range in {
		out[i] = f(a)
	}
	return out, nil
}

// CountBy counts the rows of table per value of column among values, with one GROUP BY, and
// returns the counts of the values that have rows.
func CountBy[V comparable](ctx context.Context, db *DB, table, column string, values []V) (map[V]int, error) {
	counts := make(map[V]int)
	if len(values) == 0 {
		return counts, nil
	}
	in, args := In(values)
	rows, err := db.QueryContext(ctx, db.Rebind("SELECT "+column+", COUNT(*) FROM "+table+" WHERE "+column+" IN ("+in+") GROUP BY "+column), args...)
	if err != nil {
		return nil, fmt.Errorf("counting %s by %s: %w", table, column, err)
	}
	defer rows.Close()
	for rows.Next() {
		var v V
		var n int
		if err := rows.Scan(&v, &n); err != nil {
			return nil, fmt.Errorf("counting %s by %s: %w", table, column, err)
		}
		counts[v] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("counting %s by %s: %w", table, column, err)
	}
	return counts, nil
}
