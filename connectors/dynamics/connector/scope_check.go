package connector

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/msisync/msisync/connectors/dynamics/dataverse"
	"github.com/msisync/msisync/connectors/dynamics/mapping"
)

// The sync scope's settings (see scope.go): their syntax is checked with the configuration,
// and their fit with the org (columns, filters Dataverse accepts, the sync column's type)
// before the first cycle.

// scopeFilters returns the configured filters by entity set.
func (c *Config) scopeFilters() map[string]string {
	return map[string]string{mapping.Accounts: c.FilterAccounts, mapping.Contacts: c.FilterContacts, mapping.Leads: c.FilterLeads, mapping.Opportunities: c.FilterOpportunities}
}

// identifier matches a column's logical name.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// validateScope checks the scope settings' syntax (the org is checked at start, see
// checkScope).
func (c *Config) validateScope() []error {
	var errs []error
	for set, f := range c.scopeFilters() {
		if strings.TrimSpace(f) == "" {
			continue
		}
		if _, err := filterColumns(f); err != nil {
			errs = append(errs, fmt.Errorf("%s is %q: %v", filterVars[set], f, err))
		}
	}
	if col := strings.TrimSpace(c.SyncColumn); col != "" && !identifier.MatchString(col) {
		errs = append(errs, fmt.Errorf("MSISYNC_DYNAMICS_SYNC_COLUMN is %q; name a Boolean column by its logical name, such as new_synctomkto", c.SyncColumn))
	}
	if s := newScope(*c); c.SyncColumnRemove && s.column == "" && len(s.filters) == 0 {
		errs = append(errs, errors.New("MSISYNC_DYNAMICS_SYNC_COLUMN_REMOVE is true but no scope is set: set MSISYNC_DYNAMICS_SYNC_COLUMN or a MSISYNC_DYNAMICS_FILTER_* filter, or unset it"))
	}
	return errs
}

// comparisons are the OData comparison operators.
var comparisons = map[string]bool{"eq": true, "ne": true, "gt": true, "ge": true, "lt": true, "le": true}

// filterFunctions are the OData string functions whose first argument is a column.
var filterFunctions = map[string]bool{"contains": true, "startswith": true, "endswith": true}

// filterColumns returns the columns a $filter names: each identifier right before a
// comparison operator, and the first argument of contains, startswith and endswith. It is
// conservative: what it cannot read is left to Dataverse, which checks the whole filter at
// start (see checkScope).
func filterColumns(expr string) ([]string, error) {
	var toks []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			toks = append(toks, cur.String())
			cur.Reset()
		}
	}
	inQ := false
	for _, ch := range expr {
		switch {
		case ch == '\'':
			inQ = !inQ
			cur.WriteRune(ch)
		case inQ:
			cur.WriteRune(ch)
		case ch == ' ' || ch == '\t' || ch == '\n':
			flush()
		case ch == '(' || ch == ')' || ch == ',':
			flush()
			toks = append(toks, string(ch))
		default:
			cur.WriteRune(ch)
		}
	}
	flush()
	if inQ {
		return nil, errors.New("a quoted string is not closed")
	}
	var cols []string
	for i, t := range toks {
		next := ""
		if i+1 < len(toks) {
			next = strings.ToLower(toks[i+1])
		}
		isCol := comparisons[next] && identifier.MatchString(t) && !comparisons[strings.ToLower(t)]
		if i >= 2 && toks[i-1] == "(" && filterFunctions[strings.ToLower(toks[i-2])] && identifier.MatchString(t) {
			isCol = true
		}
		switch strings.ToLower(t) {
		case "true", "false", "null", "and", "or", "not":
			isCol = false
		}
		if isCol && !slices.Contains(cols, strings.ToLower(t)) {
			cols = append(cols, strings.ToLower(t))
		}
	}
	if len(cols) == 0 {
		return nil, errors.New("it names no column (write it as OData $filter, e.g. statecode eq 0)")
	}
	return cols, nil
}

// checkScope checks the scope against the org's metadata: every column a filter names must
// exist on its table (and Dataverse must accept the filter), and the sync column must be a
// Boolean column of at least one scoped table; the sets that have it are remembered.
func (c *Connector) checkScope(ctx context.Context) error {
	s := c.scope
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.checked || (len(s.filters) == 0 && s.column == "") {
		s.checked = true
		return nil
	}
	var errs []error
	for _, set := range scopedSets {
		f := s.filters[set]
		if f == "" && s.column == "" {
			continue
		}
		attrs, err := c.dv.Attributes(ctx, tableOf[set])
		if err != nil {
			return &UncheckedError{What: "the sync scope", Err: err}
		}
		if f != "" {
			cols, _ := filterColumns(f)
			var unknown []string
			for _, col := range cols {
				if _, ok := attrs[dataverse.AttributeName(col)]; !ok {
					unknown = append(unknown, col)
				}
			}
			if len(unknown) > 0 {
				errs = append(errs, fmt.Errorf("%s is %q: the Dynamics table %s has no column %s; name columns by their logical name (a lookup as _name_value)",
					filterVars[set], f, tableOf[set], strings.Join(unknown, ", ")))
			} else if _, err := c.dv.Query(ctx, set, dataverse.Query{Select: []string{mapping.IDColumn[set]},
				Filter: "(" + f + ") and " + mapping.IDColumn[set] + " eq 00000000-0000-0000-0000-000000000000"}); dataverseUnreachable(err) {
				return &UncheckedError{What: "the sync scope", Err: err}
			} else if err != nil {
				errs = append(errs, fmt.Errorf("%s is %q: Dataverse refuses it: %w", filterVars[set], f, err))
			}
		}
		if s.column != "" {
			if a, ok := attrs[s.column]; ok {
				if !strings.EqualFold(a.AttributeType, "Boolean") {
					errs = append(errs, fmt.Errorf("MSISYNC_DYNAMICS_SYNC_COLUMN is %s, a %s column of the Dynamics table %s; name a Boolean (Two Options) column", s.column, a.AttributeType, tableOf[set]))
				}
				s.columnSets[set] = true
			}
		}
	}
	if s.column != "" && len(s.columnSets) == 0 {
		errs = append(errs, fmt.Errorf("MSISYNC_DYNAMICS_SYNC_COLUMN is %s, a column none of the Dynamics tables account, contact, lead and opportunity has: create it as a Boolean (Two Options) column, or unset the variable", s.column))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("the sync scope does not fit this Dynamics org: %w", err)
	}
	s.checked = true
	return nil
}
