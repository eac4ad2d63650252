package simulator

import (
	"net/http"
	"strings"
)

// serveMetadata answers the small part of the metadata API a connector uses at start-up:
//
//	GET EntityDefinitions(LogicalName='lead')
//	GET EntityDefinitions(LogicalName='lead')/Attributes
//
// Query options are ignored: the fixed properties listed below are always returned.
func (s *Simulator) serveMetadata(w http.ResponseWriter, r *http.Request, rest string) {
	if r.Method != http.MethodGet {
		writeError(w, &apiError{status: http.StatusMethodNotAllowed, code: "0x80060888", msg: "Metadata is read-only."})
		return
	}
	key, tail, _ := strings.Cut(strings.TrimPrefix(rest, "EntityDefinitions"), "/")
	logical := strings.Trim(strings.TrimPrefix(strings.Trim(key, "()"), "LogicalName="), "'")
	def := defsByLogical[logical]
	if def == nil {
		writeError(w, errUnknownSegment(rest))
		return
	}
	base := baseURL(r) + apiPrefix
	switch tail {
	case "":
		writeJSON(w, http.StatusOK, obj{
			{"@odata.context", base + "$metadata#EntityDefinitions/$entity"},
			{"LogicalName", def.logical}, {"EntitySetName", def.set}, {"PrimaryIdAttribute", def.primaryID},
			{"PrimaryNameAttribute", def.primaryName}, {"ObjectTypeCode", def.typeCode}, {"ChangeTrackingEnabled", true},
		})
	case "Attributes":
		var attrs []any
		for _, c := range def.cols {
			name := c.name
			if c.typ == tLookup {
				name = lookupName(c.name)
			}
			a := obj{{"LogicalName", name}, {"SchemaName", name}, {"AttributeType", c.attrType}}
			if c.typ == tLookup {
				a.add("Targets", c.targets)
			}
			attrs = append(attrs, a)
		}
		writeJSON(w, http.StatusOK, obj{{"@odata.context", base + "$metadata#EntityDefinitions('" + def.logical + "')/Attributes"}, {"value", attrs}})
	default:
		writeError(w, errUnknownSegment(tail))
	}
}
