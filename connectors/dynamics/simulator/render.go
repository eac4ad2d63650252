package simulator

import (
	"fmt"
	"net/url"
	"strings"
)

const (
	annLogicalName = "Microsoft.Dynamics.CRM.lookuplogicalname"
	annFormatted   = "OData.Community.Display.V1.FormattedValue"
)

// parseSelect returns the columns named by $select (nil = all columns) and the raw list.
func parseSelect(def *tableDef, q url.Values) ([]string, string, *apiError) {
	raw := strings.TrimSpace(q.Get("$select"))
	if raw == "" {
		return nil, "", nil
	}
	var cols []string
	for _, c := range strings.Split(raw, ",") {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if def.col(c) == nil {
			return nil, "", errNoProperty(def, c)
		}
		cols = append(cols, c)
	}
	return cols, strings.Join(cols, ","), nil
}

// render turns rec into an ordered JSON object: @odata.etag, the selected columns (all when
// sel is nil) and the primary id; lookups carry annotations when p asks for them.
// Caller holds s.org.mu (read).
func (s *Simulator) render(def *tableDef, rec *record, sel []string, p prefs) obj {
	o := make(obj, 0, len(rec.vals)*2+2)
	o.add("@odata.etag", fmt.Sprintf(`W/"%d"`, rec.vals["versionnumber"]))
	wantLN, wantFV := p.wants(annLogicalName), p.wants(annFormatted)
	emit := func(name string) {
		v := rec.vals[name]
		if def.col(name).typ == tLookup && v != nil {
			lg := rec.lk[name]
			if wantFV {
				if dn, ok := s.org.displayName(lg, v.(string)); ok {
					o.add(name+"@"+annFormatted, dn)
				}
			}
			if wantLN {
				o.add(name+"@"+annLogicalName, lg)
			}
		} else if wantFV {
			if l, ok := picklistLabel(def.logical, name, v); ok {
				o.add(name+"@"+annFormatted, l)
			}
		}
		o.add(name, v)
	}
	if sel == nil {
		for _, c := range def.cols {
			emit(c.name)
		}
		return o
	}
	hasID := false
	for _, c := range sel {
		emit(c)
		hasID = hasID || c == def.primaryID
	}
	if !hasID {
		o.add(def.primaryID, rec.vals[def.primaryID])
	}
	return o
}

// contextURL returns the @odata.context of a response about def.
func contextURL(base string, def *tableDef, selRaw, suffix string) string {
	u := base + apiPrefix + "$metadata#" + def.set
	if selRaw != "" {
		u += "(" + selRaw + ")"
	}
	return u + suffix
}

// qesc escapes a query value the way Dataverse links do (spaces as %20).
func qesc(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
