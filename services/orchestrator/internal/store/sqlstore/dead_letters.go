package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/msisync/msisync/platform/sqldb"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// ReviveDeadLettered implements store.Store.
func (s *Store) ReviveDeadLettered(ctx context.Context, parents []store.Parent, now time.Time) (int, error) {
	byKind := map[string][]string{}
	for _, p := range parents {
		if p.Key != "" {
			byKind[p.Kind] = append(byKind[p.Kind], p.Key)
		}
	}
	if len(byKind) == 0 {
		return 0, nil
	}
	kinds := make([]string, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	revived := 0
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		revived = 0
		var runs []string
		for _, kind := range kinds {
			keys := byKind[kind]
			slices.Sort(keys)
			keys = slices.Compact(keys)
			for start := 0; start < len(keys); start += inChunk {
				ph, args := sqldb.In(keys[start:min(start+inChunk, len(keys))])
				got, err := s.returningStrings(ctx, tx, "UPDATE sync_records SET state = 'pending', update_time = ? WHERE state = 'dead_lettered' AND missing_kind = ? AND missing_key IN ("+ph+") RETURNING run_id",
					append([]any{micros(now), kind}, args...)...)
				if err != nil {
					return fmt.Errorf("reviving dead-lettered records: %w", err)
				}
				revived += len(got)
				runs = append(runs, got...)
			}
		}
		return s.settle(ctx, tx, runs, now)
	})
	return revived, err
}

// DeadLetteredParents implements store.Store.
func (s *Store) DeadLetteredParents(ctx context.Context, after store.Parent, limit int) ([]store.ParkedParent, error) {
	rows, err := s.db.QueryContext(ctx, s.db.Rebind("SELECT missing_kind, missing_key, MIN(missing_display) FROM sync_records "+
		"WHERE state = 'dead_lettered' AND missing_kind <> '' AND (missing_kind > ? OR (missing_kind = ? AND missing_key > ?)) "+
		"GROUP BY missing_kind, missing_key ORDER BY missing_kind, missing_key LIMIT ?"), after.Kind, after.Kind, after.Key, limit)
	if err != nil {
		return nil, fmt.Errorf("listing parents of dead-lettered records: %w", err)
	}
	defer rows.Close()
	var out []store.ParkedParent
	for rows.Next() {
		var p store.ParkedParent
		if err := rows.Scan(&p.Kind, &p.Key, &p.Display); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
