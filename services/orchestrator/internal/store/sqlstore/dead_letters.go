package sqlstore

import (
	"context"
	"time"

	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// ReviveDeadLettered implements store.Store.
func (s *Store) ReviveDeadLettered(ctx context.Context, parents []store.Parent, now time.Time) (int, error) {
	return s.makePending(ctx, "dead_lettered", parents, now)
}

// DeadLetteredParents implements store.Store.
func (s *Store) DeadLetteredParents(ctx context.Context, after store.Parent, limit int) ([]store.ParkedParent, error) {
	return s.missingParents(ctx, "state = 'dead_lettered' AND missing_kind <> ''", "dead-lettered records", after, limit)
}
