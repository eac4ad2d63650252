package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/platform/sqldb"
	"github.com/msisync/msisync/services/account/internal/store"
)

// Delete implements store.Store.
func (s *Store) Delete(ctx context.Context, keys []store.Key) ([]store.DeleteResult, error) {
	if len(keys) > store.MaxBatch {
		return nil, fmt.Errorf("%w: %d keys, at most %d", store.ErrInvalid, len(keys), store.MaxBatch)
	}
	results := make([]store.DeleteResult, len(keys))
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var ids []int32
		var extKeys []string
		for _, k := range keys {
			if k.ID != 0 {
				ids = append(ids, k.ID)
			} else if k.ExternalKey != "" {
				extKeys = append(extKeys, k.ExternalKey)
			}
		}
		found, err := s.get(ctx, tx, ids, extKeys)
		if err != nil {
			return err
		}
		byID := make(map[int32]bool, len(found))
		byKey := make(map[string]int32, len(found))
		for _, c := range found {
			byID[c.ID] = true
			byKey[extid.Key(c.ExternalID)] = c.ID
		}
		var doomed []int32
		for i, k := range keys {
			id := k.ID
			if id == 0 {
				id = byKey[k.ExternalKey]
			}
			if id == 0 || !byID[id] {
				continue
			}
			delete(byID, id) // a second key for the same record finds it gone
			results[i] = store.DeleteResult{Deleted: true, ID: id}
			doomed = append(doomed, id)
		}
		if len(doomed) == 0 {
			return nil
		}
		in, args := sqldb.In(doomed)
		if _, err := tx.ExecContext(ctx, s.db.Rebind("DELETE FROM companies WHERE id IN ("+in+")"), args...); err != nil {
			return fmt.Errorf("deleting companies: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}
