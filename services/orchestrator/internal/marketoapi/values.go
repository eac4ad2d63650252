package marketoapi

import (
	"sort"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/msisync/msisync/services/orchestrator/internal/objects"
)

// sortedFields returns a record's field names in a fixed order, so that the first problem
// reported for a record is always the same one.
func sortedFields(rec *structpb.Struct) []string {
	names := make([]string, 0, len(rec.GetFields()))
	for name := range rec.GetFields() {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// stringValue and int32Value read the values of a request's keys and MSI fields with the
// readers objects decodes records with.
var (
	stringValue = objects.StringValue
	int32Value  = objects.Int32Value
)

// splitList flattens repeated, comma-separated query values ("a,b" and "a&b" alike),
// trimming blanks.
func splitList(values []string) []string {
	var out []string
	for _, v := range values {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}
