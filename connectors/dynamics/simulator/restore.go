package simulator

import (
	"fmt"
	"maps"
	"strings"
)

// Restore brings back a deleted row with its id and the columns it had when it was deleted,
// as Dataverse's restore of deleted records does: change tracking shows it as a new or
// changed row (its tombstone is gone). Lookups on other rows that the delete cleared stay
// cleared.
func (s *Simulator) Restore(set, id string) error {
	s.org.mu.Lock()
	defer s.org.mu.Unlock()
	t, err := s.table(set)
	if err != nil {
		return err
	}
	id = strings.ToLower(id)
	rec, ok := t.gone[id]
	if !ok {
		return fmt.Errorf("simulator: %s(%s) was not deleted: %w", set, id, ErrNotFound)
	}
	if _, exists := t.rows[id]; exists {
		return fmt.Errorf("simulator: %s(%s) exists: only a deleted row can be restored", set, id)
	}
	vals := maps.Clone(rec.vals)
	delete(vals, "versionnumber")
	delete(vals, "modifiedon")
	s.org.put(t, id, vals, maps.Clone(rec.lk))
	delete(t.gone, id)
	return nil
}
