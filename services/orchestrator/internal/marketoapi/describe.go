package marketoapi

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
)

// schemaDate is when msisync's object types were defined, shown by describe calls.
const schemaDate = "2026-11-01T00:00:00Z"

// fieldDef describes one field of a Marketo object type.
type fieldDef struct {
	name       string
	display    string
	dataType   string
	length     int32 // 0 for types without a length
	updateable bool
}

// objectDef describes a Marketo object type for its describe call.
type objectDef struct {
	name        string
	display     string
	plural      string
	description string
	idField     string
	dedupe      []string
	searchable  [][]string
	fields      []fieldDef
}

// metadata returns the describe result for the object type.
func (o objectDef) metadata() *orchestratorv1.ObjectMetadata {
	m := &orchestratorv1.ObjectMetadata{
		Name:         o.name,
		ApiName:      o.name,
		DisplayName:  o.display,
		PluralName:   o.plural,
		Description:  o.description,
		CreatedAt:    schemaDate,
		UpdatedAt:    schemaDate,
		IdField:      o.idField,
		DedupeFields: o.dedupe,
		Status:       "approved",
		Version:      "approved",
	}
	for _, keys := range o.searchable {
		vals := make([]*structpb.Value, len(keys))
		for i, k := range keys {
			vals[i] = structpb.NewStringValue(k)
		}
		m.SearchableFields = append(m.SearchableFields, &structpb.ListValue{Values: vals})
	}
	for _, f := range o.fields {
		of := &orchestratorv1.ObjectField{Name: f.name, DisplayName: f.display, DataType: f.dataType, Updateable: f.updateable}
		if f.length > 0 {
			of.Length = proto.Int32(f.length)
		}
		m.Fields = append(m.Fields, of)
	}
	return m
}

// field returns the named field, if the object has it.
func (o objectDef) field(name string) (fieldDef, bool) {
	for _, f := range o.fields {
		if f.name == name {
			return f, true
		}
	}
	return fieldDef{}, false
}

// salesPersonObject is the SalesPerson object type.
var salesPersonObject = objectDef{
	name:        "SalesPerson",
	display:     "Sales Person",
	plural:      "Sales Persons",
	description: "A CRM user who owns companies, leads and opportunities (Dynamics systemuser). Sync these first.",
	idField:     "id",
	dedupe:      []string{"externalSalesPersonId"},
	searchable:  [][]string{{"email"}, {"id"}, {"externalSalesPersonId"}},
	fields: []fieldDef{
		{name: "id", display: "Id", dataType: "integer"},
		{name: "externalSalesPersonId", display: "External Sales Person Id", dataType: "string", length: 255},
		{name: "email", display: "Email", dataType: "email", length: 255, updateable: true},
		{name: "firstName", display: "First Name", dataType: "string", length: 255, updateable: true},
		{name: "lastName", display: "Last Name", dataType: "string", length: 255, updateable: true},
		{name: "title", display: "Title", dataType: "string", length: 255, updateable: true},
		{name: "phone", display: "Phone", dataType: "phone", length: 255, updateable: true},
		{name: "mobilePhone", display: "Mobile Phone", dataType: "phone", length: 255, updateable: true},
		{name: "fax", display: "Fax", dataType: "phone", length: 255, updateable: true},
		{name: "createdAt", display: "Created At", dataType: "datetime"},
		{name: "updatedAt", display: "Updated At", dataType: "datetime"},
	},
}
