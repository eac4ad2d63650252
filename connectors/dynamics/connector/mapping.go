package connector

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/msisync/msisync/connectors/dynamics/dataverse"
	"github.com/msisync/msisync/connectors/dynamics/mapping"
	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
)

// MappingError is a field mapping (MSISYNC_DYNAMICS_MAPPING) that does not fit the org or
// msisync: the connector refuses to start. Entries lists every wrong entry.
type MappingError struct {
	// Source is the mapping's file ("default" for the built-in one).
	Source string
	// Entries says, per wrong entry, the entity set, column, field and why.
	Entries []string
}

// Error implements error.
func (e *MappingError) Error() string {
	return fmt.Sprintf("the field mapping %s (MSISYNC_DYNAMICS_MAPPING) does not fit: %d wrong entries, so the connector does not start:\n  %s",
		e.Source, len(e.Entries), strings.Join(e.Entries, "\n  "))
}

// UncheckedError is a sync scope or field mapping that could not be checked because
// Dataverse or the orchestrator could not be reached. Every sync cycle checks first, so
// watch mode may start and leave the check to its cycles (and their alerts).
type UncheckedError struct {
	// What names what was not checked, with its setting.
	What string
	// Err is why the check could not be made.
	Err error
}

// Error implements error.
func (e *UncheckedError) Error() string {
	return e.What + " could not be checked yet: " + e.Err.Error()
}

// Unwrap returns Err.
func (e *UncheckedError) Unwrap() error { return e.Err }

// tableOf names the Dataverse table (its logical name) behind each entity set the connector
// tracks (mapping.PullOrder).
var tableOf = map[string]string{
	mapping.SystemUsers: "systemuser", mapping.Accounts: "account", mapping.Contacts: "contact",
	mapping.Leads: "lead", mapping.Opportunities: "opportunity", mapping.Connections: "connection",
}

// columnKinds are the AttributeTypes each way of reading a column accepts (nil: any).
var columnKinds = map[mapping.As][]string{
	mapping.AsNumber:     {"Integer", "BigInt", "Decimal", "Double", "Money"},
	mapping.AsBoolean:    {"Boolean"},
	mapping.AsLabel:      {"Picklist", "State", "Status", "Boolean", "MultiSelectPicklist"},
	mapping.AsExternalID: {"Lookup", "Owner", "Customer"},
}

// numericFields are the Marketo data types that take a number.
var numericFields = []string{"integer", "float", "currency"}

// Mapping returns the field mapping the connector uses.
func (c *Connector) Mapping() *mapping.Spec { return c.mapping }

// CheckMapping checks every mapped column against the org's metadata
// (EntityDefinitions(…)/Attributes) and every target field against the orchestrator's
// describe endpoints. It returns a *MappingError naming every wrong entry, or the error
// that kept it from checking. A sync cycle runs it once before its first pull.
func (c *Connector) CheckMapping(ctx context.Context) error {
	fields, err := c.describe(ctx)
	if err != nil {
		return err
	}
	merr := &MappingError{Source: c.mapping.Source}
	for _, set := range mapping.Mappable {
		entries := c.mapping.Entries(set)
		if len(entries) == 0 {
			continue
		}
		attrs, err := c.dv.Attributes(ctx, tableOf[set])
		if err != nil {
			return err
		}
		object := mapping.ObjectOf(set)
		for _, e := range entries {
			merr.Entries = append(merr.Entries, checkEntry(set, object, e, attrs, fields[object])...)
		}
	}
	if len(merr.Entries) > 0 {
		return merr
	}
	return nil
}

// checkEntry returns what is wrong with one entry, each as a sentence naming it.
func checkEntry(set string, object mapping.Object, e mapping.Entry, attrs map[string]dataverse.Attribute, fields map[string]field) []string {
	where := fmt.Sprintf("%s column %s → %s field %s", set, e.Column, object, e.Field)
	var out []string
	if a, ok := attrs[dataverse.AttributeName(e.Column)]; !ok {
		out = append(out, where+": the Dynamics table "+tableOf[set]+" has no column "+e.Column)
	} else if kinds := columnKinds[e.As]; kinds != nil && !slices.Contains(kinds, a.AttributeType) {
		out = append(out, fmt.Sprintf("%s: the column is of type %s, which cannot be read as %s", where, a.AttributeType, e.As))
	} else if slices.Contains(columnKinds[mapping.AsExternalID], a.AttributeType) && !strings.HasSuffix(e.Column, "_value") {
		out = append(out, fmt.Sprintf("%s: a lookup column is read as _%s_value", where, dataverse.AttributeName(e.Column)))
	}
	f, ok := fields[e.Field]
	switch {
	case !ok:
		out = append(out, fmt.Sprintf("%s: msisync's %s has no field %s (a custom field must be declared in MSISYNC_CUSTOM_FIELDS)", where, object, e.Field))
	case !f.GetUpdateable() && !f.dedupe:
		out = append(out, fmt.Sprintf("%s: the %s field %s cannot be written by a sync", where, object, e.Field))
	case slices.Contains(numericFields, f.GetDataType()) != (e.As == mapping.AsNumber):
		out = append(out, fmt.Sprintf("%s: the field is of type %s and the column is read as %s; a number field takes as: number, and only it", where, f.GetDataType(), e.As))
	case (f.GetDataType() == "boolean") != (e.As == mapping.AsBoolean):
		out = append(out, fmt.Sprintf("%s: the field is of type %s and the column is read as %s; a boolean field takes as: boolean, and only it", where, f.GetDataType(), e.As))
	}
	return out
}

// field is a Marketo field as described by the orchestrator.
type field struct {
	*orchestratorv1.ObjectField
	// dedupe is true for a field of the object's dedupe key: describe calls it read-only
	// (an update never changes it), yet a sync sends it.
	dedupe bool
}

// describe reads the fields of each object from the orchestrator's describe endpoints.
func (c *Connector) describe(ctx context.Context) (map[mapping.Object]map[string]field, error) {
	sp := orchestratorv1.NewMarketoSalesPersonServiceClient(c.conn)
	o := c.orch
	metas := map[mapping.Object]func(ctx context.Context) ([]*orchestratorv1.ObjectMetadata, error){
		mapping.SalesPerson: func(ctx context.Context) ([]*orchestratorv1.ObjectMetadata, error) {
			r, err := sp.DescribeSalesPersons(ctx, &orchestratorv1.DescribeSalesPersonsRequest{})
			return r.GetResult(), err
		},
		mapping.Company: func(ctx context.Context) ([]*orchestratorv1.ObjectMetadata, error) {
			r, err := o.company.DescribeCompanies(ctx, &orchestratorv1.DescribeCompaniesRequest{})
			return r.GetResult(), err
		},
		mapping.Opportunity: func(ctx context.Context) ([]*orchestratorv1.ObjectMetadata, error) {
			r, err := o.opps.DescribeOpportunities(ctx, &orchestratorv1.DescribeOpportunitiesRequest{})
			return r.GetResult(), err
		},
		mapping.Lead: func(ctx context.Context) ([]*orchestratorv1.ObjectMetadata, error) {
			r, err := o.leads.DescribeLeads2(ctx, &orchestratorv1.DescribeLeads2Request{})
			var out []*orchestratorv1.ObjectMetadata
			for _, a := range r.GetResult() {
				// Marketo dedupes leads by email.
				out = append(out, &orchestratorv1.ObjectMetadata{Fields: a.GetFields(), DedupeFields: []string{"email"}})
			}
			return out, err
		},
	}
	out := map[mapping.Object]map[string]field{}
	for object, fn := range metas {
		res, err := call(ctx, o, "describing the "+object.String()+" object", fn)
		if err != nil {
			return nil, err
		}
		out[object] = map[string]field{}
		for _, m := range res {
			for _, f := range m.GetFields() {
				out[object][f.GetName()] = field{ObjectField: f, dedupe: slices.Contains(m.GetDedupeFields(), f.GetName())}
			}
		}
	}
	return out, nil
}

// mappingCursor remembers the fingerprint of the mapping an entity set was last read with.
func mappingCursor(set string) string { return "mapping:" + set }

// mappingChanged returns the entity sets whose mapping changed since the last cycle: the
// cycle reads them in full, so that every row is mapped again, and sends only the records
// whose mapped output changed (the per-row fingerprints decide). The new fingerprints are
// saved with the cycle's commit.
func (c *Connector) mappingChanged(ctx context.Context, p *plan) (map[string]bool, error) {
	out := map[string]bool{}
	for _, set := range mapping.Mappable {
		before, err := c.state.Cursor(ctx, mappingCursor(set))
		if err != nil {
			return nil, err
		}
		now := c.mapping.Fingerprint(set)
		if before == now {
			continue
		}
		p.commit.Cursors[mappingCursor(set)] = now
		if before == "" && now == mapping.Default.Fingerprint(set) {
			continue // a state from before mappings were recorded was made with the default
		}
		out[set] = true
		c.log.InfoContext(ctx, "the field mapping of "+set+" changed: reading it in full; only records whose mapped fields changed are sent", "mapping", c.mapping.Source)
	}
	return out, nil
}
