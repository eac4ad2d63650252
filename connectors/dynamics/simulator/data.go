package simulator

import (
	"errors"
	"fmt"
	"strings"
)

// table returns the table of set (caller holds s.org.mu).
func (s *Simulator) table(set string) (*table, error) {
	t := s.org.tables[set]
	if t == nil {
		return nil, fmt.Errorf("simulator: unknown entity set %q: %w", set, ErrNotFound)
	}
	return t, nil
}

// Upsert creates or updates a row of set and returns its id (a new GUID when row has no
// primary id). Columns not in the table's schema are refused. Lookups ("_x_value") take a
// GUID; a polymorphic lookup's target is found among the existing rows unless given as
// "_x_value@Microsoft.Dynamics.CRM.lookuplogicalname". modifiedon may be set (back-dating);
// versionnumber is always assigned.
func (s *Simulator) Upsert(set string, row map[string]any) (string, error) {
	s.org.mu.Lock()
	defer s.org.mu.Unlock()
	t, err := s.table(set)
	if err != nil {
		return "", err
	}
	id := newGUID()
	if v, ok := row[t.def.primaryID]; ok && v != nil {
		g, ok := normGUID(str(v))
		if !ok {
			return "", fmt.Errorf("simulator: invalid %s %v", t.def.primaryID, v)
		}
		id = g
	}
	vals, lks, e := s.org.normalize(t.def, row, true)
	if e != nil {
		return "", errors.New("simulator: " + e.msg)
	}
	s.org.put(t, id, vals, lks)
	return id, nil
}

// Update changes columns of an existing row (ErrNotFound when it does not exist).
func (s *Simulator) Update(set, id string, cols map[string]any) error {
	s.org.mu.Lock()
	defer s.org.mu.Unlock()
	t, err := s.table(set)
	if err != nil {
		return err
	}
	id = strings.ToLower(id)
	if _, ok := t.rows[id]; !ok {
		return fmt.Errorf("simulator: %s(%s): %w", set, id, ErrNotFound)
	}
	vals, lks, e := s.org.normalize(t.def, cols, true)
	if e != nil {
		return errors.New("simulator: " + e.msg)
	}
	s.org.put(t, id, vals, lks)
	return nil
}

// Delete removes a row, leaving a tombstone for change tracking. Deleting either row of a
// connection pair deletes both.
func (s *Simulator) Delete(set, id string) error {
	s.org.mu.Lock()
	defer s.org.mu.Unlock()
	t, err := s.table(set)
	if err != nil {
		return err
	}
	if !s.org.removeCascade(t, strings.ToLower(id)) {
		return fmt.Errorf("simulator: %s(%s): %w", set, id, ErrNotFound)
	}
	return nil
}

// Get returns a copy of a row's columns.
func (s *Simulator) Get(set, id string) (map[string]any, bool) {
	s.org.mu.RLock()
	defer s.org.mu.RUnlock()
	t := s.org.tables[set]
	if t == nil {
		return nil, false
	}
	rec, ok := t.rows[strings.ToLower(id)]
	if !ok {
		return nil, false
	}
	return copyVals(rec), true
}

// LookupTarget returns the logical name a row's lookup column points to ("" when null).
func (s *Simulator) LookupTarget(set, id, col string) string {
	s.org.mu.RLock()
	defer s.org.mu.RUnlock()
	if t := s.org.tables[set]; t != nil {
		if rec, ok := t.rows[strings.ToLower(id)]; ok {
			return rec.lk[col]
		}
	}
	return ""
}

// IDs returns the ids of set in ascending order.
func (s *Simulator) IDs(set string) []string {
	s.org.mu.RLock()
	defer s.org.mu.RUnlock()
	t := s.org.tables[set]
	if t == nil {
		return nil
	}
	return append([]string(nil), t.sortedIDs()...)
}

// Count returns the number of rows in set.
func (s *Simulator) Count(set string) int {
	s.org.mu.RLock()
	defer s.org.mu.RUnlock()
	if t := s.org.tables[set]; t != nil {
		return len(t.rows)
	}
	return 0
}

// Version returns the org-wide version number (bumped by every create, update and delete).
func (s *Simulator) Version() int64 {
	s.org.mu.RLock()
	defer s.org.mu.RUnlock()
	return s.org.version
}

// Connect creates a Stakeholder-style connection pair: opportunity (record1) → contact
// (record2) with the named role (record2roleid), plus the reciprocal row with the records and
// roles swapped. It returns the id of the master row (the opportunity → contact one).
func (s *Simulator) Connect(opportunityID, contactID, roleName string) (string, error) {
	return s.ConnectRecords("opportunities", opportunityID, "contacts", contactID, roleName)
}

// ConnectRecords creates a connection pair between any two records of systemusers, accounts,
// contacts or opportunities, record2 taking the named role (e.g. an opportunity → systemuser
// "Account Manager" sales-team connection). It returns the master row's id.
func (s *Simulator) ConnectRecords(set1, id1, set2, id2, roleName string) (string, error) {
	s.org.mu.Lock()
	defer s.org.mu.Unlock()
	roleID := ""
	for id, rec := range s.org.tables["connectionroles"].rows {
		if strings.EqualFold(str(rec.vals["name"]), roleName) {
			roleID = id
			break
		}
	}
	if roleID == "" {
		return "", fmt.Errorf("simulator: connection role %q: %w", roleName, ErrNotFound)
	}
	id1, id2 = strings.ToLower(id1), strings.ToLower(id2)
	for _, x := range [][2]string{{set1, id1}, {set2, id2}} {
		t, err := s.table(x[0])
		if err != nil {
			return "", err
		}
		if _, ok := t.rows[x[1]]; !ok {
			return "", fmt.Errorf("simulator: %s(%s): %w", x[0], x[1], ErrNotFound)
		}
	}
	master, _ := s.org.connectLocked(defsBySet[set1], id1, defsBySet[set2], id2, roleID, newGUID(), newGUID())
	return master, nil
}

// connectLocked stores a reciprocal connection pair with the given ids. Caller holds s.org.mu.
func (o *org) connectLocked(d1 *tableDef, id1 string, d2 *tableDef, id2, roleID, masterID, otherID string) (string, string) {
	t := o.tables["connections"]
	row := func(aDef *tableDef, a string, bDef *tableDef, b, r1, r2, related string, master bool) (map[string]any, map[string]string) {
		vals := map[string]any{
			"_record1id_value": a, "_record2id_value": b, "_record1roleid_value": nilIfEmpty(r1),
			"_record2roleid_value": nilIfEmpty(r2), "record1objecttypecode": int64(aDef.typeCode),
			"record2objecttypecode": int64(bDef.typeCode), "_relatedconnectionid_value": related,
			"ismaster": master, "statecode": int64(0),
		}
		lks := map[string]string{"_record1id_value": aDef.logical, "_record2id_value": bDef.logical,
			"_relatedconnectionid_value": "connection"}
		if r1 != "" {
			lks["_record1roleid_value"] = "connectionrole"
		}
		if r2 != "" {
			lks["_record2roleid_value"] = "connectionrole"
		}
		return vals, lks
	}
	v, l := row(d1, id1, d2, id2, "", roleID, otherID, true)
	o.put(t, masterID, v, l)
	v, l = row(d2, id2, d1, id1, roleID, "", masterID, false)
	o.put(t, otherID, v, l)
	return masterID, otherID
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
