package sqldb

import (
	"context"
	"fmt"
)

// Count returns how many rows the table holds: one SELECT COUNT(*), which both engines answer
// from an index or a table scan without reading the records into Go.
func (t *Table[R, ID]) Count(ctx context.Context) (int64, error) {
	var n int64
	if err := t.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+t.Name).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting %s: %w", t.What, err)
	}
	return n, nil
}
