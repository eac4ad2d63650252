package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// PutRedirects implements store.Store.
func (s *Store) PutRedirects(ctx context.Context, redirects []store.Redirect, now time.Time) error {
	if len(redirects) == 0 {
		return nil
	}
	q := s.db.Rebind("INSERT INTO merges (object_type, ext_key, external_id, master_external_id, kind, merge_time) VALUES (?, ?, ?, ?, ?, ?) " +
		"ON CONFLICT (object_type, ext_key) DO UPDATE SET external_id = excluded.external_id, " +
		"master_external_id = excluded.master_external_id, kind = excluded.kind")
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		for _, r := range redirects {
			if _, err := tx.ExecContext(ctx, q, int(r.ObjectType), store.MatchKey(r.ExternalID), r.ExternalID, r.MasterExternalID, int(r.Kind), micros(now)); err != nil {
				return fmt.Errorf("recording a merge: %w", err)
			}
		}
		return nil
	})
}

// GetRedirect implements store.Store.
func (s *Store) GetRedirect(ctx context.Context, t store.ObjectType, externalID string) (store.Redirect, error) {
	r := store.Redirect{ObjectType: t}
	var kind int
	var at int64
	err := s.db.QueryRowContext(ctx, s.db.Rebind("SELECT external_id, master_external_id, kind, merge_time FROM merges WHERE object_type = ? AND ext_key = ?"),
		int(t), store.MatchKey(externalID)).Scan(&r.ExternalID, &r.MasterExternalID, &kind, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Redirect{}, store.ErrNotFound
	}
	if err != nil {
		return store.Redirect{}, fmt.Errorf("reading a merge: %w", err)
	}
	r.Kind, r.MergeTime = store.MergeKind(kind), fromMicros(at)
	return r, nil
}
