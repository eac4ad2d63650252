package marketoapi

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/services/orchestrator/internal/objects"
)

// fuzzQueries are the queryable objects with the filterType names their endpoints accept.
var fuzzQueries = []struct {
	obj   *objects.Object
	known map[string]bool
}{
	{objects.Company, knownFilters(companyFilters)},
	{objects.Lead, knownFilters(leadFilters)},
	{objects.Opportunity, knownFilters(opportunityFilters)},
	{objects.OpportunityRole, knownFilters(roleFilters)},
	{objects.SalesPerson, knownFilters(salesPersonFilters)},
}

// FuzzParseQuery runs arbitrary query parameters through splitList and parseQuery for every
// object. filterValues and fields are split on '&' into repeated parameters (as the
// gateway passes them), and filterValues is repeated repeat%400 extra times to reach the
// 300-value limit. Nothing panics; every error is a marketo.Error with a numeric code and
// InvalidArgument; an accepted query has a known filterType, 1 to 300 values, known fields
// and a batchSize of 0 to 300.
func FuzzParseQuery(f *testing.F) {
	f.Add("email", "a@b.co,c@d.io", "email,firstName", int32(0), uint16(0))
	f.Add(" EMAIL ", " a@b.co , , c@d.io,", "", int32(300), uint16(0))
	f.Add("externalCompanyId", "ACME-1&ACME-2", "company&website", int32(10), uint16(0))
	f.Add("id", "1,2,3", "id,,", int32(-1), uint16(0))
	f.Add("idField", "1", "", int32(301), uint16(0))
	f.Add("dedupeFields", "x", "notAField", int32(1), uint16(0))
	f.Add("marketoGUID", "g-1", "marketoGUID,externalOpportunityId", int32(5), uint16(0))
	f.Add("leadId", "7", "role,isPrimary", int32(2), uint16(0))
	f.Add("", "x", "", int32(0), uint16(0))
	f.Add("shoeSize", "44", "", int32(0), uint16(0))
	f.Add("email", "", "", int32(0), uint16(0))
	f.Add("email", " , ,\t", "", int32(0), uint16(0))
	f.Add("email", "v", "", int32(0), uint16(299))
	f.Add("email", "v", "", int32(0), uint16(300))
	f.Add("email", "a,b", "", int32(0), uint16(150))
	f.Add("externalSalesPersonId", "sp-1", "leadScore,urgency,custom1", int32(0), uint16(0))
	f.Add("EXTERNALOPPORTUNITYID\u00a0", "o\u2028,p", "name\x00", int32(0), uint16(0))
	f.Fuzz(func(t *testing.T, filterType, filterValues, fields string, batchSize int32, repeat uint16) {
		values := strings.Split(filterValues, "&")
		for i, n := 0, int(repeat%400); i < n; i++ {
			values = append(values, filterValues)
		}
		fieldList := strings.Split(fields, "&")

		split := splitList(values)
		for _, v := range split {
			if v == "" || v != strings.TrimSpace(v) || strings.Contains(v, ",") {
				t.Fatalf("splitList(%q) gave %q: empty, untrimmed or with a comma", values, v)
			}
		}
		if again := splitList(split); strings.Join(again, ",") != strings.Join(split, ",") {
			t.Fatalf("splitList is not idempotent: %q then %q", split, again)
		}

		for _, fq := range fuzzQueries {
			ft, q, err := parseQuery(fq.obj, filterType, values, fieldList, batchSize, fq.known)
			if err != nil {
				var me *marketo.Error
				if !errors.As(err, &me) {
					t.Fatalf("%s: parseQuery error %v (%T) is no marketo.Error", fq.obj.Name, err, err)
				}
				if _, convErr := strconv.Atoi(me.Code); convErr != nil || me.Message == "" {
					t.Fatalf("%s: parseQuery error has code %q, message %q", fq.obj.Name, me.Code, me.Message)
				}
				if st := status.Convert(err); st.Code() != codes.InvalidArgument || marketo.CodeOf(st) != me.Code {
					t.Fatalf("%s: parseQuery error travels as %v with Marketo code %q, want InvalidArgument with %q", fq.obj.Name, st.Code(), marketo.CodeOf(st), me.Code)
				}
				continue
			}
			if !fq.known[ft] || ft != strings.ToLower(strings.TrimSpace(filterType)) {
				t.Fatalf("%s: accepted filterType %q as %q", fq.obj.Name, filterType, ft)
			}
			if n := len(q.values); n < 1 || n > maxRecords {
				t.Fatalf("%s: accepted %d filterValues, want 1 to %d", fq.obj.Name, n, maxRecords)
			}
			if strings.Join(q.values, ",") != strings.Join(split, ",") {
				t.Fatalf("%s: values %q, splitList gave %q", fq.obj.Name, q.values, split)
			}
			if batchSize < 0 || batchSize > maxRecords {
				t.Fatalf("%s: accepted batchSize %d", fq.obj.Name, batchSize)
			}
			if err := fq.obj.CheckFields(q.fields); err != nil {
				t.Fatalf("%s: accepted fields %q that CheckFields refuses: %v", fq.obj.Name, q.fields, err)
			}
		}
	})
}
