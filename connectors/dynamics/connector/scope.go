package connector

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/msisync/msisync/connectors/dynamics/dataverse"
	"github.com/msisync/msisync/connectors/dynamics/mapping"
	"github.com/msisync/msisync/connectors/dynamics/state"
)

// The sync scope limits which rows of accounts, contacts, leads and opportunities are synced:
// an OData $filter per entity set (MSISYNC_DYNAMICS_FILTER_<SET>), and Marketo's sync column
// (MSISYNC_DYNAMICS_SYNC_COLUMN, a Boolean column where only an explicit No keeps a row out).
//
// Dataverse refuses $filter on change-tracked queries, so the connector keeps reading every
// change of a set from its delta link and asks Dataverse which of the changed rows match the
// filter (the filter ANDed with their ids, 40 ids a request; the whole set's matching ids
// after a full read). Dataverse evaluates the filter, so any filter it accepts works, and a
// row that changes so that it no longer matches shows up in the delta and is seen leaving.
// The sync column is read with each row and evaluated here.
//
// A row out of scope is never sent. One that msisync has (it was in scope before) is left as
// it is (Marketo's behaviour) or, with MSISYNC_DYNAMICS_SYNC_COLUMN_REMOVE=true, removed; a
// row that comes into scope is sent in that cycle. A contact, lead or opportunity whose
// account is out of scope (and not in msisync) gets a CRM finding that names the account and
// the scope: a contact or lead is sent without its company; an opportunity, which MSI cannot
// show without its company, is held. An opportunity role whose contact or opportunity is out
// of scope is not sent, with a finding. When an account, contact or opportunity enters or
// leaves msisync that way, the records under it are read again and re-mapped.

// scopedSets are the entity sets a scope can limit.
var scopedSets = []string{mapping.Accounts, mapping.Contacts, mapping.Leads, mapping.Opportunities}

// filterVars names the setting of each entity set's filter.
var filterVars = map[string]string{
	mapping.Accounts: "MSISYNC_DYNAMICS_FILTER_ACCOUNTS", mapping.Contacts: "MSISYNC_DYNAMICS_FILTER_CONTACTS",
	mapping.Leads: "MSISYNC_DYNAMICS_FILTER_LEADS", mapping.Opportunities: "MSISYNC_DYNAMICS_FILTER_OPPORTUNITIES",
}

// outOfScope is the finding kind of a child whose account is out of scope (reported as
// CRM_FINDING_KIND_OTHER).
const outOfScope mapping.Kind = 100

// Fingerprints stored for rows out of scope.
const (
	// outFingerprint: out of scope and not in msisync (never sent, or removed).
	outFingerprint = "scope:out"
	// keptFingerprint: out of scope, left in msisync as it was last sent.
	keptFingerprint = "scope:kept"
)

// scopeIDsPerQuery is how many row ids one filter check names.
const scopeIDsPerQuery = 40

// scope is the connector's sync scope.
type scope struct {
	// filters are the $filter expressions by entity set.
	filters map[string]string
	// column is the sync column ("" for none), columnSets the entity sets that have it (known
	// once checked against the org's metadata).
	column     string
	columnSets map[string]bool
	// remove removes a row that leaves the scope from msisync, instead of leaving it.
	remove bool
	// checked is true once the scope was checked against the org; mu guards it and
	// columnSets while the check runs (every cycle calls checkScope before reading them).
	checked bool
	mu      sync.Mutex
}

// newScope reads the scope settings.
func newScope(cfg Config) *scope {
	s := &scope{filters: map[string]string{}, column: strings.ToLower(strings.TrimSpace(cfg.SyncColumn)), columnSets: map[string]bool{}, remove: cfg.SyncColumnRemove}
	for set, f := range cfg.scopeFilters() {
		if f = strings.TrimSpace(f); f != "" {
			s.filters[set] = f
		}
	}
	return s
}

// limits reports whether the scope limits set.
func (s *scope) limits(set string) bool { return s.filters[set] != "" || s.columnSets[set] }

// columns are the columns read from set: the mapping's, plus the sync column.
func (c *Connector) columns(set string) []string {
	if c.scope.columnSets[set] {
		return withMergeColumns(set, append(c.mapping.Columns(set), c.scope.column))
	}
	return withMergeColumns(set, c.mapping.Columns(set))
}

// parentColumns are the lookups by which a child names its account, or the contact of its
// opportunity role, by entity set.
var parentColumns = map[string][]string{
	mapping.Contacts:      {"_parentcustomerid_value"},
	mapping.Leads:         {"_parentaccountid_value"},
	mapping.Opportunities: {"_parentaccountid_value", "_customerid_value"},
	mapping.Connections:   {"_record1id_value", "_record2id_value"},
}

// isParent reports whether set holds the parents the scope tracks (see plan.parents).
func isParent(set string) bool {
	return set == mapping.Accounts || set == mapping.Contacts || set == mapping.Opportunities
}

// applyScope marks the rows of ch that are out of scope, with the reason, and learns which
// of the accounts its rows name are out of scope (see plan.parents).
func (c *Connector) applyScope(ctx context.Context, p *plan, ch *changes) error {
	if len(parentColumns[ch.set]) > 0 && (c.scope.limits(mapping.Accounts) || c.scope.limits(mapping.Contacts) || c.scope.limits(mapping.Opportunities)) {
		if err := c.loadParents(ctx, p, ch); err != nil {
			return err
		}
	}
	if !c.scope.limits(ch.set) {
		return nil
	}
	in, err := c.matching(ctx, ch)
	if err != nil {
		return err
	}
	idCol := mapping.IDColumn[ch.set]
	ch.out = map[string]string{}
	for _, row := range ch.rows {
		id := row.GUID(idCol)
		if f := c.scope.filters[ch.set]; f != "" && !in[id] {
			ch.out[id] = f
		} else if c.scope.columnSets[ch.set] {
			if v, ok := row.Bool(c.scope.column); ok && !v {
				ch.out[id] = c.scope.column + " is No"
			}
		}
	}
	return nil
}

// matching returns the ids of ch's rows that match its set's filter, asking Dataverse: the
// whole set's matching ids after a full read (or when many rows changed), else the changed
// rows' ids, 40 per query. Without a filter it returns nil.
func (c *Connector) matching(ctx context.Context, ch *changes) (map[string]bool, error) {
	f := c.scope.filters[ch.set]
	if f == "" {
		return nil, nil
	}
	idCol := mapping.IDColumn[ch.set]
	in := map[string]bool{}
	read := func(filter string) error {
		err := c.each(ctx, ch.set, dataverse.Query{Select: []string{idCol}, Filter: filter}, func(row dataverse.Row) { in[row.GUID(idCol)] = true })
		if err != nil {
			return fmt.Errorf("reading which %s match %s: %w", ch.set, filterVars[ch.set], err)
		}
		return nil
	}
	if ch.full || len(ch.rows) > 25*scopeIDsPerQuery {
		return in, read(f)
	}
	for start := 0; start < len(ch.rows); start += scopeIDsPerQuery {
		part := ch.rows[start:min(start+scopeIDsPerQuery, len(ch.rows))]
		terms := make([]string, len(part))
		for i, row := range part {
			terms[i] = idCol + " eq " + row.GUID(idCol)
		}
		if err := read("(" + f + ") and (" + strings.Join(terms, " or ") + ")"); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// loadParents learns, for the accounts and contacts ch's rows name that this cycle has not
// decided on, whether they are out of scope and not in msisync (from the connector's state).
func (c *Connector) loadParents(ctx context.Context, p *plan, ch *changes) error {
	var ids []string
	for _, row := range ch.rows {
		for _, col := range parentColumns[ch.set] {
			id := row.GUID(col)
			if id == "" {
				continue
			}
			if _, ok := p.parents[id]; !ok && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	for _, id := range ids {
		p.parents[id] = ""
	}
	for _, set := range []string{mapping.Accounts, mapping.Contacts, mapping.Opportunities} {
		known, err := c.state.Records(ctx, set, ids)
		if err != nil {
			return err
		}
		for id, r := range known {
			if r.Fingerprint == outFingerprint {
				p.parents[id] = parseFacts(r.Facts).Scope
			}
		}
	}
	return nil
}

// childColumns are, by child entity set and then by parent entity set, the lookups by which
// a child row names a parent the scope tracks.
var childColumns = map[string]map[string][]string{
	mapping.Contacts:      {mapping.Accounts: {"_parentcustomerid_value"}},
	mapping.Leads:         {mapping.Accounts: {"_parentaccountid_value"}},
	mapping.Opportunities: {mapping.Accounts: {"_parentaccountid_value", "_customerid_value"}, mapping.Contacts: {"_customerid_value"}},
	mapping.Connections:   {mapping.Contacts: {"_record2id_value"}, mapping.Opportunities: {"_record1id_value"}},
}

// scopeChildren adds to ch the rows of its set that name an account, contact or opportunity
// which entered or left msisync through the scope this cycle (read in full, 40 comparisons
// a query), so that they are re-mapped.
func (c *Connector) scopeChildren(ctx context.Context, p *plan, ch *changes) error {
	var terms []string
	for _, sw := range p.scopeSwitched {
		for _, col := range childColumns[ch.set][sw.set] {
			terms = append(terms, col+" eq "+sw.id)
		}
	}
	if len(terms) == 0 {
		return nil
	}
	add := ch.addMissing()
	for start := 0; start < len(terms); start += scopeIDsPerQuery {
		filter := strings.Join(terms[start:min(start+scopeIDsPerQuery, len(terms))], " or ")
		if err := c.each(ctx, ch.set, dataverse.Query{Select: c.columns(ch.set), Filter: filter}, add); err != nil {
			return fmt.Errorf("reading the %s under records that entered or left the sync scope: %w", ch.set, err)
		}
	}
	return nil
}

// switched is a record that entered or left msisync through the scope.
type switched struct {
	set, id string
}

// planScope handles a row of a scoped set before it is mapped: it reports true when the row
// is out of scope (and plans what that means), false when the row is to be mapped.
func (c *Connector) planScope(p *plan, ch *changes, id string, before state.Record) bool {
	reason, out := ch.out[id]
	if !out {
		if isParent(ch.set) && c.scope.limits(ch.set) {
			p.parents[id] = ""
			if before.Fingerprint == outFingerprint {
				p.scopeSwitched = append(p.scopeSwitched, switched{ch.set, id})
			}
		}
		return false
	}
	old := parseFacts(before.Facts)
	inMsisync := before.Fingerprint != "" && before.Fingerprint != outFingerprint
	if inMsisync && !c.scope.remove {
		// Left as it is: msisync keeps what it was last sent.
		if isParent(ch.set) {
			p.parents[id] = ""
		}
		if before.Fingerprint == keptFingerprint {
			p.unchanged[ch.set]++
			return true
		}
		old.Scope = reason
		p.commit.Put = append(p.commit.Put, state.Record{EntitySet: ch.set, CRMID: id, Fingerprint: keptFingerprint, Facts: old.String()})
		return true
	}
	if isParent(ch.set) {
		p.parents[id] = reason
	}
	if before.Fingerprint == outFingerprint && old.Scope == reason {
		p.unchanged[ch.set]++
		return true
	}
	object := mapping.ObjectOf(ch.set)
	if inMsisync {
		// Removed (MSISYNC_DYNAMICS_SYNC_COLUMN_REMOVE=true).
		p.deletes[object] = append(p.deletes[object], id)
		if old.Role != nil {
			p.roleDeletes = append(p.roleDeletes, *old.Role)
		}
		if isParent(ch.set) {
			p.scopeSwitched = append(p.scopeSwitched, switched{ch.set, id})
		}
	}
	for _, k := range old.Findings {
		p.resolved = append(p.resolved, findingKey{object: object, id: id, kind: k})
	}
	p.commit.Put = append(p.commit.Put, state.Record{EntitySet: ch.set, CRMID: id, Fingerprint: outFingerprint, Facts: facts{Scope: reason}.String()})
	return true
}

// scopeParent keeps a child away from an account that is out of scope: a contact or lead is
// sent without its company, an opportunity is held, each with a finding naming the account.
// The opportunity role of a contact out of scope (and not in msisync) is not sent either,
// with a finding on the opportunity (its customer) or on the connection (a stakeholder).
func (c *Connector) scopeParent(p *plan, set, id string, row dataverse.Row, rec, role mapping.Record, found []mapping.Finding) (mapping.Record, mapping.Record, []mapping.Finding) {
	rec, found = scopeAccount(p, set, id, row, rec, found)
	role, found = scopeRole(p, set, id, role, found)
	return rec, role, found
}

// scopeRole drops a role whose contact is out of scope, with a finding.
func scopeRole(p *plan, set, id string, role mapping.Record, found []mapping.Finding) (mapping.Record, []mapping.Finding) {
	if role == nil {
		return nil, found
	}
	person, _ := role["externalPersonId"].(string)
	name, _ := role["role"].(string)
	opp, _ := role["externalOpportunityId"].(string)
	var msg string
	if reason := p.parents[strings.ToLower(person)]; person != "" && reason != "" {
		msg = "contact '" + person + "' is outside the sync scope (" + reason + "): its role '" + name + "' on opportunity '" + opp + "' is not synced; bring the contact into the sync scope"
	} else if reason := p.parents[strings.ToLower(opp)]; opp != "" && reason != "" && set == mapping.Connections {
		msg = "opportunity '" + opp + "' is outside the sync scope (" + reason + "): the role '" + name + "' of contact '" + person + "' on it is not synced; bring the opportunity into the sync scope"
	} else {
		return role, found
	}
	if set == mapping.Connections {
		return nil, append(found, mapping.Finding{Object: mapping.OpportunityRole, ExternalID: id, Kind: outOfScope, Message: msg})
	}
	for i := range found { // one finding of a kind per record: join the account's
		if found[i].Kind == outOfScope {
			found[i].Message += "; " + msg
			return nil, found
		}
	}
	return nil, append(found, mapping.Finding{Object: mapping.Opportunity, ExternalID: id, Kind: outOfScope, Message: msg})
}

// scopeAccount keeps a record away from an account out of scope (see scopeParent).
func scopeAccount(p *plan, set, id string, row dataverse.Row, rec mapping.Record, found []mapping.Finding) (mapping.Record, []mapping.Finding) {
	if rec == nil || len(parentColumns[set]) == 0 {
		return rec, found
	}
	account, _ := rec["externalCompanyId"].(string)
	reason := p.parents[strings.ToLower(account)]
	if account == "" || reason == "" {
		return rec, found
	}
	noun := entityNames[set]
	what := noun
	name := strings.TrimSpace(row.String("firstname") + " " + row.String("lastname"))
	if set == mapping.Opportunities {
		name = row.String("name")
	}
	if name != "" {
		what += " '" + name + "' (" + id + ")"
	} else {
		what += " '" + id + "'"
	}
	where := "account '" + account + "' is outside the sync scope (" + reason + ")"
	if set == mapping.Opportunities {
		return nil, append(found, mapping.Finding{Object: mapping.Opportunity, ExternalID: id, Kind: outOfScope,
			Message: where + ": " + what + " belongs to it and MSI cannot show an opportunity without its company, so it is not synced (msisync keeps what it had, if anything); bring the account into the sync scope, or move the opportunity to an account in scope"})
	}
	rec["externalCompanyId"] = ""
	if set == mapping.Contacts {
		rec["company"] = "" // a contact's company is its account's name; a lead's is its own column
	}
	return rec, append(found, mapping.Finding{Object: mapping.Lead, ExternalID: id, Kind: outOfScope,
		Message: where + ": " + what + " belongs to it, so it is synced without a company; bring the account into the sync scope, or move the " + noun + " to an account in scope"})
}
