package connector

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"

	"github.com/msisync/msisync/connectors/dynamics/dataverse"
	"github.com/msisync/msisync/connectors/dynamics/mapping"
	"github.com/msisync/msisync/connectors/dynamics/state"
)

// facts is what the connector keeps with each CRM row besides its fingerprint.
type facts struct {
	// Active is a user's status (systemusers only): only active users are sales persons.
	Active *bool `json:"active,omitempty"`
	// Role is the opportunity role the row produced: a stakeholder connection's role, or an
	// opportunity's customer-contact role. Kept so that it can be deleted when the row goes.
	Role *mapping.RoleKey `json:"role,omitempty"`
	// Findings are the kinds of finding reported for the row, so that they are resolved once
	// the row maps cleanly.
	Findings []mapping.Kind `json:"findings,omitempty"`
	// Scope says why the row is out of the sync scope (see scope.go); "" while it is in.
	Scope string `json:"scope,omitempty"`
	// MergedInto is the record a merged subordinate or a qualified lead went into (see
	// merges.go); such a row is never sent again.
	MergedInto string `json:"mergedInto,omitempty"`
}

// parseFacts reads stored facts; empty or unreadable facts are none.
func parseFacts(s string) facts {
	var f facts
	if s != "" {
		_ = json.Unmarshal([]byte(s), &f)
	}
	return f
}

// String is the facts as stored: JSON, or "" when there are none.
func (f facts) String() string {
	if f.Active == nil && f.Role == nil && len(f.Findings) == 0 && f.Scope == "" && f.MergedInto == "" {
		return ""
	}
	b, _ := json.Marshal(f)
	return string(b)
}

// fingerprint identifies what a row maps to; json.Marshal sorts map keys, so equal records
// give equal fingerprints.
func fingerprint(parts ...any) string {
	b, _ := json.Marshal(parts)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// finding keys a finding for resolution.
type findingKey struct {
	object mapping.Object
	id     string
	kind   mapping.Kind
}

// plan is one cycle's work, built from the pulled changes before anything is sent.
type plan struct {
	// send lists the records to sync, by object type, in pull order.
	send map[mapping.Object][]mapping.Record
	// deletes lists what to delete, by object type: external ids, or role keys.
	deletes     map[mapping.Object][]string
	roleDeletes []mapping.RoleKey
	// findings to report and findings no longer true.
	findings []mapping.Finding
	resolved []findingKey
	// users are the CRM users whose directory entry changed.
	users []mapping.CRMUser
	// commit is the state step taken once the orchestrator has everything.
	commit state.Commit
	// unchanged counts rows skipped because they map to what was sent before.
	unchanged map[string]int
	// directory is the CRM user directory: stored, then updated by this cycle's users.
	directory userDirectory
	// roles are the connection roles by id.
	roles map[string]mapping.ConnectionRole
	// resend sends every row, changed or not.
	resend bool
	// mergePlan holds the merges and qualifications to send before the records.
	mergePlan
	// waiting are the deletes refused earlier as in use, by object type: id → reason.
	waiting map[mapping.Object]map[string]string
	// switched are the users whose status changed — enabled again (the records they own
	// were sent without an owner, or held) or disabled (the records they own lose their
	// owner, or are held, with a finding) — and the teams whose administrator changed or
	// whose administrator's status changed. The records they own are read again and
	// re-mapped.
	switched []string
	// parents are the accounts, contacts and opportunities whose scope is known this cycle:
	// the reason one is out of the sync scope and not in msisync, "" when it is not (see
	// scope.go).
	parents map[string]string
	// scopeSwitched are the accounts, contacts and opportunities that entered or left
	// msisync through the sync scope this cycle: the records under them are read again and
	// re-mapped (see scopeChildren).
	scopeSwitched []switched
}

// userDirectory answers mapping.Users from the stored users plus this cycle's, the teams'
// administrators and the configured fallback owner.
type userDirectory struct {
	active   map[string]bool
	admins   map[string]string // team → administrator
	fallback string
}

// Active implements mapping.Users.
func (u userDirectory) Active(id string) (bool, bool) {
	a, ok := u.active[id]
	return a, ok
}

// Administrator implements mapping.Users.
func (u userDirectory) Administrator(team string) string { return u.admins[team] }

// Fallback implements mapping.Users: the fallback owner while it is an active user.
func (u userDirectory) Fallback() string {
	if u.active[u.fallback] {
		return u.fallback
	}
	return ""
}

// teamsOf returns the teams user administers.
func (u userDirectory) teamsOf(user string) []string {
	var out []string
	for team, admin := range u.admins {
		if admin == user {
			out = append(out, team)
		}
	}
	slices.Sort(out)
	return out
}

// newPlan starts a cycle's plan, with the user directory as the connector last saw it.
func (c *Connector) newPlan(ctx context.Context, roles map[string]mapping.ConnectionRole) (*plan, error) {
	p := &plan{
		send:      map[mapping.Object][]mapping.Record{},
		deletes:   map[mapping.Object][]string{},
		unchanged: map[string]int{},
		commit:    state.Commit{Cursors: map[string]string{}},
		directory: userDirectory{active: map[string]bool{}, admins: map[string]string{}, fallback: dataverse.NormalizeGUID(c.cfg.FallbackOwner)},
		roles:     roles,
		waiting:   map[mapping.Object]map[string]string{},
		parents:   map[string]string{},
	}
	for _, o := range waitingObjects {
		p.waiting[o] = map[string]string{}
	}
	if err := c.loadWaiting(ctx, p); err != nil {
		return nil, err
	}
	storedUsers, err := c.state.All(ctx, mapping.SystemUsers)
	if err != nil {
		return nil, err
	}
	for id, r := range storedUsers {
		if a := parseFacts(r.Facts).Active; a != nil {
			p.directory.active[id] = *a
		}
	}
	return p, nil
}

// planSet maps one entity set's pulled rows, keeps those whose mapping changed since it was
// last sent, and works out its merges (see planMerges), deletes, findings and the state to
// commit.
func (c *Connector) planSet(ctx context.Context, p *plan, ch *changes) error {
	p.commit.Cursors[deltaCursor(ch.set)] = ch.deltaLink
	ids := make([]string, len(ch.rows))
	for i, row := range ch.rows {
		ids[i] = row.GUID(mapping.IDColumn[ch.set])
	}
	var known map[string]state.Record
	var err error
	if ch.full {
		// A full read: everything remembered but not seen was deleted meanwhile.
		if known, err = c.state.All(ctx, ch.set); err != nil {
			return err
		}
		seen := make(map[string]bool, len(ids))
		for _, id := range ids {
			seen[id] = true
		}
		for id := range known {
			if !seen[id] {
				ch.deleted = append(ch.deleted, id)
			}
		}
		slices.Sort(ch.deleted)
	} else if known, err = c.state.Records(ctx, ch.set, append(slices.Clone(ids), ch.deleted...)); err != nil {
		return err
	}
	if err := c.planMerges(ctx, p, ch, ids, known); err != nil {
		return err
	}
	for i, row := range ch.rows {
		if p.gone[ch.set][ids[i]] != "" {
			continue // merged or qualified into another record (merges.go)
		}
		if c.planScope(p, ch, ids[i], known[ids[i]]) {
			continue // out of the sync scope
		}
		c.planRow(p, ch.set, ids[i], row, known[ids[i]], p.directory, p.roles)
	}
	for _, id := range ch.deleted {
		if parseFacts(known[id].Facts).MergedInto != "" {
			// It went into another record (merges.go): nothing of it is left to delete.
			p.commit.Delete = append(p.commit.Delete, state.Key{EntitySet: ch.set, CRMID: id})
			continue
		}
		c.planDelete(p, ch.set, id, known)
	}
	return nil
}

// planRow maps one row and adds it to the plan when its mapping changed.
func (c *Connector) planRow(p *plan, set, id string, row dataverse.Row, before state.Record, users userDirectory, roles map[string]mapping.ConnectionRole) {
	old := parseFacts(before.Facts)
	var rec, role mapping.Record
	var found []mapping.Finding
	var now facts
	var user *mapping.CRMUser // the CRM's view of a user, reported even when not synced
	switch set {
	case mapping.SystemUsers:
		var u mapping.CRMUser
		rec, u = c.mapping.User(row)
		users.active[id], now.Active, user = u.Active, &u.Active, &u
		if old.Active != nil && *old.Active != u.Active {
			// The user's records, and those of the teams they administer, are mapped again.
			p.switched = append(p.switched, id)
			p.switched = append(p.switched, users.teamsOf(id)...)
		}
	case mapping.Accounts:
		rec, found = c.mapping.Account(row, users)
	case mapping.Contacts:
		rec, found = c.mapping.Contact(row, users)
	case mapping.Leads:
		rec, found = c.mapping.LeadRow(row, users)
	case mapping.Opportunities:
		rec, role, found = c.mapping.OpportunityRow(row, users)
	case mapping.Connections:
		role = mapping.Connection(row, roles)
	}
	rec, role, found = c.scopeParent(p, set, id, row, rec, role, found)
	if role != nil {
		k := mapping.KeyOf(role)
		now.Role = &k
	}
	for _, f := range found {
		now.Findings = append(now.Findings, f.Kind)
	}
	fp := fingerprint(c.mapping.Comparable(set, rec), role, now.Findings, user)
	if fp == before.Fingerprint && !p.resend {
		p.unchanged[set]++
		return
	}
	if user != nil {
		p.users = append(p.users, *user)
	}
	object := mapping.ObjectOf(set)
	p.cameBack(object, id)
	if rec != nil && set != mapping.Connections {
		p.send[object] = append(p.send[object], rec)
	}
	if role != nil {
		p.send[mapping.OpportunityRole] = append(p.send[mapping.OpportunityRole], role)
	}
	if old.Role != nil && (now.Role == nil || *old.Role != *now.Role) {
		p.roleDeletes = append(p.roleDeletes, *old.Role)
	}
	p.findings = append(p.findings, found...)
	for _, k := range old.Findings {
		if !slices.Contains(now.Findings, k) {
			p.resolved = append(p.resolved, findingKey{object: object, id: id, kind: k})
		}
	}
	p.commit.Put = append(p.commit.Put, state.Record{EntitySet: set, CRMID: id, Fingerprint: fp, Facts: now.String()})
}

// planDelete adds a deleted row's deletes: its record, its role, and its findings.
func (c *Connector) planDelete(p *plan, set, id string, known map[string]state.Record) {
	before, ok := known[id]
	if set == mapping.SystemUsers {
		// Dynamics users are disabled, not deleted; a sales person is never deleted here,
		// since records may still name it.
		return
	}
	if c.flagDelete(p, set, id, before, ok) {
		return // kept, flagged deleted in the CRM (MSISYNC_DELETE_MODE=flag)
	}
	old := parseFacts(before.Facts)
	if old.Role != nil {
		p.roleDeletes = append(p.roleDeletes, *old.Role)
	}
	object := mapping.ObjectOf(set)
	if set != mapping.Connections && before.Fingerprint != outFingerprint { // one out of scope is not in msisync
		p.deletes[object] = append(p.deletes[object], id)
	}
	for _, k := range old.Findings {
		p.resolved = append(p.resolved, findingKey{object: object, id: id, kind: k})
	}
	if ok {
		p.commit.Delete = append(p.commit.Delete, state.Key{EntitySet: set, CRMID: id})
	}
}
