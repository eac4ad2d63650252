package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/msisync/msisync/services/person/internal/store"
)

// rawColumns holds, for the row being scanned, the columns that scan converts after the
// scan.
type rawColumns struct {
	custom           string
	created, updated int64
}

// readDests gives, for each readable column, where rows.Scan stores it: a field of the lead
// being read, or of raw.
var readDests = func() map[store.Column]func(l *store.Lead, raw *rawColumns) any {
	dests := map[store.Column]func(l *store.Lead, raw *rawColumns) any{
		store.ColumnExternalPersonID:      func(l *store.Lead, _ *rawColumns) any { return &l.ExternalPersonID },
		store.ColumnExternalCompanyID:     func(l *store.Lead, _ *rawColumns) any { return &l.ExternalCompanyID },
		store.ColumnExternalSalesPersonID: func(l *store.Lead, _ *rawColumns) any { return &l.ExternalSalesPersonID },
		store.ColumnAnnualRevenue:         func(l *store.Lead, _ *rawColumns) any { return &l.AnnualRevenue },
		store.ColumnNumberOfEmployees:     func(l *store.Lead, _ *rawColumns) any { return &l.NumberOfEmployees },
		store.ColumnUnsubscribed:          func(l *store.Lead, _ *rawColumns) any { return &l.Unsubscribed },
		store.ColumnDoNotCall:             func(l *store.Lead, _ *rawColumns) any { return &l.DoNotCall },
		store.ColumnCustomFields:          func(_ *store.Lead, raw *rawColumns) any { return &raw.custom },
		store.ColumnCreatedAt:             func(_ *store.Lead, raw *rawColumns) any { return &raw.created },
		store.ColumnUpdatedAt:             func(_ *store.Lead, raw *rawColumns) any { return &raw.updated },
	}
	for _, f := range store.Fields {
		dests[store.Column(f)] = func(l *store.Lead, _ *rawColumns) any { return l.Text(f) }
	}
	return dests
}()

// selection is what one read selects: the SELECT list (id first, then the columns in
// store.Columns order) and how to scan each row of it.
type selection struct {
	// list is the SELECT list.
	list string
	// dests are the scan destinations of the columns after id, in list order.
	dests []func(l *store.Lead, raw *rawColumns) any
	// custom, created and updated say whether the columns that need converting are read.
	custom, created, updated bool
}

// fullSelection reads every column: what a read without a projection uses.
var fullSelection = newSelection(store.Columns)

// newSelection returns the selection of id and cols, which must be known columns in
// store.Columns order, each once.
func newSelection(cols []store.Column) *selection {
	sel := &selection{dests: make([]func(l *store.Lead, raw *rawColumns) any, len(cols))}
	names := make([]string, 0, 1+len(cols))
	names = append(names, "id")
	for i, c := range cols {
		names = append(names, string(c))
		sel.dests[i] = readDests[c]
		switch c {
		case store.ColumnCustomFields:
			sel.custom = true
		case store.ColumnCreatedAt:
			sel.created = true
		case store.ColumnUpdatedAt:
			sel.updated = true
		}
	}
	sel.list = strings.Join(names, ", ")
	return sel
}

// selectionOf returns the selection of a projection: every column when it is empty. An
// unknown column is store.ErrInvalid.
func selectionOf(p store.Projection) (*selection, error) {
	if len(p) == 0 {
		return fullSelection, nil
	}
	want := make(map[store.Column]bool, len(p))
	for _, c := range p {
		if c == store.ColumnID {
			continue // always read
		}
		if readDests[c] == nil {
			return nil, fmt.Errorf("%w: unknown column %q", store.ErrInvalid, c)
		}
		want[c] = true
	}
	if len(want) == len(store.Columns) {
		return fullSelection, nil
	}
	cols := make([]store.Column, 0, len(want))
	for _, c := range store.Columns {
		if want[c] {
			cols = append(cols, c)
		}
	}
	return newSelection(cols), nil
}

// query runs a SELECT of sel's list and scans every row; expect is how many rows are
// likely, to size the result.
func (s *Store) query(ctx context.Context, sel *selection, expect int, q string, args ...any) ([]store.Lead, error) {
	rows, err := s.DB.QueryContext(ctx, s.DB.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("reading leads: %w", err)
	}
	defer rows.Close()
	out := make([]store.Lead, 0, expect)
	dest := make([]any, 1+len(sel.dests))
	var raw rawColumns
	for rows.Next() {
		out = append(out, store.Lead{})
		if err := sel.scan(rows, dest, &out[len(out)-1], &raw); err != nil {
			return nil, fmt.Errorf("reading leads: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading leads: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// scan reads the current row of rows into l, using dest (of length 1+len(sel.dests)) for
// the scan destinations and raw for the columns converted after the scan.
func (sel *selection) scan(rows *sql.Rows, dest []any, l *store.Lead, raw *rawColumns) error {
	dest[0] = &l.ID
	for i, d := range sel.dests {
		dest[1+i] = d(l, raw)
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	if sel.custom && raw.custom != "" && raw.custom != "{}" {
		if err := json.Unmarshal([]byte(raw.custom), &l.Custom); err != nil {
			return fmt.Errorf("custom fields of lead %d: %w", l.ID, err)
		}
	}
	if sel.created {
		l.CreatedAt = time.UnixMicro(raw.created).UTC()
	}
	if sel.updated {
		l.UpdatedAt = time.UnixMicro(raw.updated).UTC()
	}
	return nil
}
