package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// ReviveDeadLettered implements store.Store.
func (s *Store) ReviveDeadLettered(ctx context.Context, parents []store.Parent, now time.Time) (int, error) {
	return s.makePending(ctx, "dead_lettered", parents, now)
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
