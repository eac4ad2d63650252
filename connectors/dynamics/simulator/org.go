package simulator

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// ErrNotFound is returned (wrapped) by the direct data API when a set or row does not exist.
var ErrNotFound = errors.New("simulator: not found")

// record is one stored row: column values plus the target logical name of each non-null lookup.
type record struct {
	vals map[string]any
	lk   map[string]string
}

// table holds the rows and tombstones of one entity set.
type table struct {
	def    *tableDef
	rows   map[string]*record
	sortMu sync.Mutex         // guards sorted among readers holding org.mu.RLock
	sorted []string           // row ids in ascending order; nil when stale
	tomb   map[string]int64   // deleted id -> version of the delete
	gone   map[string]*record // deleted id -> the row as it was, for Restore
}

// org is the simulator's data store: every table plus the org-wide version counter.
// All fields are guarded by mu.
type org struct {
	mu      sync.RWMutex
	tables  map[string]*table
	version int64
	now     func() time.Time
	// changed, when set, is told of every row created, updated or deleted (message
	// "Create", "Update" or "Delete"), with o.mu held (see webhooks.go).
	changed func(t *table, id, message string)
}

func newOrg(now func() time.Time) *org {
	o := &org{tables: map[string]*table{}, now: now}
	for _, d := range tableDefs {
		o.tables[d.set] = &table{def: d, rows: map[string]*record{}, tomb: map[string]int64{}, gone: map[string]*record{}}
	}
	return o
}

// stamp returns the current time as stored in modifiedon.
func (o *org) stamp() string { return o.now().UTC().Truncate(time.Second).Format(time.RFC3339) }

// sortedIDs returns the ids of t in ascending order (cached until the next create/delete,
// which reset the cache while holding org.mu for writing). Caller holds org.mu.
func (t *table) sortedIDs() []string {
	t.sortMu.Lock()
	defer t.sortMu.Unlock()
	if t.sorted == nil {
		t.sorted = make([]string, 0, len(t.rows))
		for id := range t.rows {
			t.sorted = append(t.sorted, id)
		}
		sort.Strings(t.sorted)
	}
	return t.sorted
}

// findLookupTarget returns the logical name of the first target table of c holding id.
// Caller holds o.mu.
func (o *org) findLookupTarget(c *column, id string) (string, bool) {
	if len(c.targets) == 1 {
		return c.targets[0], true
	}
	for _, lg := range c.targets {
		if t := o.tables[defsByLogical[lg].set]; t != nil {
			if _, ok := t.rows[id]; ok {
				return lg, true
			}
		}
	}
	return "", false
}

// normalize validates cols against the schema of def and converts values to storage types.
// Keys "_x_value@Microsoft.Dynamics.CRM.lookuplogicalname" and "x@odata.bind" set lookup
// targets explicitly. System columns (versionnumber, and modifiedon unless keepModified)
// are dropped. Caller holds o.mu.
func (o *org) normalize(def *tableDef, cols map[string]any, keepModified bool) (map[string]any, map[string]string, *apiError) {
	vals, lks := map[string]any{}, map[string]string{}
	explicit := map[string]string{}
	for k, v := range cols {
		switch {
		case strings.HasSuffix(k, "@Microsoft.Dynamics.CRM.lookuplogicalname"):
			s, _ := v.(string)
			explicit[strings.TrimSuffix(k, "@Microsoft.Dynamics.CRM.lookuplogicalname")] = s
			continue
		case strings.HasSuffix(k, "@odata.bind"):
			colName, lg, id, err := parseBind(def, k, v)
			if err != nil {
				return nil, nil, err
			}
			vals[colName] = id
			if id != nil {
				explicit[colName] = lg
			}
			continue
		case strings.Contains(k, "@"):
			continue // other instance annotations are ignored
		}
		c := def.col(k)
		if c == nil {
			return nil, nil, errInvalidProperty(def, k)
		}
		if c.typ == tVersion || (c.name == "modifiedon" && !keepModified) {
			continue
		}
		nv, err := convert(c, v)
		if err != nil {
			return nil, nil, err
		}
		vals[k] = nv
	}
	for name, v := range vals {
		c := def.col(name)
		if c.typ != tLookup || v == nil {
			continue
		}
		if lg, ok := explicit[name]; ok && lg != "" {
			if !contains(c.targets, lg) {
				return nil, nil, errBadRequest(fmt.Sprintf("Lookup '%s' cannot target '%s'.", name, lg))
			}
			lks[name] = lg
			continue
		}
		lg, ok := o.findLookupTarget(c, v.(string))
		if !ok {
			return nil, nil, errBadRequest(fmt.Sprintf("No %s record with id %s was found for lookup '%s'.", strings.Join(c.targets, " or "), v, name))
		}
		lks[name] = lg
	}
	return vals, lks, nil
}

// parseBind handles "nav@odata.bind": "/accounts(<guid>)" (or null), also for
// polymorphic navigation names such as "parentcustomerid_contact@odata.bind".
func parseBind(def *tableDef, key string, v any) (string, string, any, *apiError) {
	nav := strings.TrimSuffix(key, "@odata.bind")
	colName := "_" + nav + "_value"
	if def.col(colName) == nil {
		if i := strings.LastIndex(nav, "_"); i > 0 {
			colName = "_" + nav[:i] + "_value"
		}
	}
	c := def.col(colName)
	if c == nil || c.typ != tLookup {
		return "", "", nil, errInvalidProperty(def, nav)
	}
	if v == nil {
		return colName, "", nil, nil
	}
	s, _ := v.(string)
	if i := strings.Index(s, "/api/data/v9.2/"); i >= 0 {
		s = s[i+len("/api/data/v9.2/"):]
	}
	s = strings.TrimPrefix(s, "/")
	set, id, ok := parseKeySegment(s)
	if !ok {
		return "", "", nil, errBadRequest(fmt.Sprintf("Invalid @odata.bind value '%v' for '%s'.", v, nav))
	}
	d := defsBySet[set]
	if d == nil || !contains(c.targets, d.logical) {
		return "", "", nil, errBadRequest(fmt.Sprintf("'%s' cannot be bound to '%s'.", nav, set))
	}
	return colName, d.logical, id, nil
}

// put creates or updates row id of t with vals, bumping the org version. Caller holds o.mu.
func (o *org) put(t *table, id string, vals map[string]any, lks map[string]string) {
	o.version++
	rec, exists := t.rows[id]
	if o.changed != nil {
		defer func() { o.changed(t, id, map[bool]string{true: "Update", false: "Create"}[exists]) }()
	}
	if !exists {
		rec = &record{vals: make(map[string]any, len(t.def.cols)), lk: map[string]string{}}
		for _, c := range t.def.cols {
			rec.vals[c.name] = nil
		}
		if t.def.col("statecode") != nil {
			rec.vals["statecode"] = int64(0)
		}
		rec.vals[t.def.primaryID] = id
		t.rows[id] = rec
		t.sorted = nil
		delete(t.tomb, id)
	}
	for k, v := range vals {
		if k == t.def.primaryID {
			continue
		}
		rec.vals[k] = v
		if t.def.col(k).typ == tLookup {
			if v == nil {
				delete(rec.lk, k)
			} else {
				rec.lk[k] = lks[k]
			}
		}
	}
	if t.def.col("fullname") != nil && t.def.col("firstname") != nil {
		// fullname is computed from firstname and lastname, as in Dataverse.
		if _, given := vals["fullname"]; !given && (hasKey(vals, "firstname") || hasKey(vals, "lastname")) {
			rec.vals["fullname"] = strings.TrimSpace(str(rec.vals["firstname"]) + " " + str(rec.vals["lastname"]))
		}
	}
	if _, ok := vals["modifiedon"]; !ok || vals["modifiedon"] == nil {
		rec.vals["modifiedon"] = o.stamp()
	}
	rec.vals["versionnumber"] = o.version
}

// remove deletes row id of t and records its tombstone. Caller holds o.mu.
func (o *org) remove(t *table, id string) bool {
	if _, ok := t.rows[id]; !ok {
		return false
	}
	o.version++
	t.gone[id] = t.rows[id]
	delete(t.rows, id)
	t.sorted = nil
	t.tomb[id] = o.version
	if o.changed != nil {
		o.changed(t, id, "Delete")
	}
	return true
}

// removeCascade deletes row id and, for connections, its reciprocal row; the lookups that
// named a deleted account or contact are cleared (see removeLinks). Caller holds o.mu.
func (o *org) removeCascade(t *table, id string) bool {
	rec, ok := t.rows[id]
	if !ok {
		return false
	}
	related, _ := rec.vals["_relatedconnectionid_value"].(string)
	o.remove(t, id)
	if t.def.set == "connections" && related != "" {
		o.remove(t, related)
	}
	if t.def.logical == "account" || t.def.logical == "contact" {
		o.removeLinks(t.def.logical, id)
	}
	return true
}

// linkedSets are the tables whose lookups to a deleted account or contact are cleared.
var linkedSets = []string{"accounts", "contacts", "leads", "opportunities"}

// removeLinks clears, as Dataverse's Remove Link delete behaviour does, every lookup of an
// account, contact, lead or opportunity that names the deleted row (logical, id): a
// contact's Company Name (parentcustomerid), a lead's or an opportunity's Account
// (parentaccountid), an account's parent or primary contact. Each cleared row changes (new
// version, in the delta feed). Owner and an opportunity's potential customer (customerid)
// are left alone. Caller holds o.mu.
func (o *org) removeLinks(logical, id string) {
	for _, set := range linkedSets {
		t := o.tables[set]
		for _, c := range t.def.cols {
			if c.typ != tLookup || c.name == ownerCol.name || c.name == "_customerid_value" || !contains(c.targets, logical) {
				continue
			}
			for _, rowID := range t.sortedIDs() {
				rec := t.rows[rowID]
				if rec.vals[c.name] == id && rec.lk[c.name] == logical {
					o.put(t, rowID, map[string]any{c.name: nil}, nil)
				}
			}
		}
	}
}

// displayName returns the FormattedValue of a lookup to (logical, id). Caller holds o.mu.
func (o *org) displayName(logical, id string) (string, bool) {
	d := defsByLogical[logical]
	if d == nil || d.primaryName == "" {
		return "", false
	}
	rec, ok := o.tables[d.set].rows[id]
	if !ok {
		return "", false
	}
	s, ok := rec.vals[d.primaryName].(string)
	return s, ok
}

// copyVals returns a copy of rec's column values.
func copyVals(rec *record) map[string]any {
	out := make(map[string]any, len(rec.vals))
	for k, v := range rec.vals {
		out[k] = v
	}
	return out
}

func hasKey(m map[string]any, k string) bool { _, ok := m[k]; return ok }

func str(v any) string { s, _ := v.(string); return s }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
