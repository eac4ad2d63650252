package objects

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	accountv1 "github.com/msisync/msisync/gen/msisync/account/v1"
	opportunityv1 "github.com/msisync/msisync/gen/msisync/opportunity/v1"
	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
	"github.com/msisync/msisync/platform/marketo"
)

func record(t *testing.T, js string) *structpb.Struct {
	t.Helper()
	s := &structpb.Struct{}
	if err := protojson.Unmarshal([]byte(js), s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDecode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		obj      *Object
		in       string
		want     proto.Message
		wantCode string
	}{
		{
			name: "company fields",
			obj:  Company,
			in:   `{"externalCompanyId":"ACME-1","externalSalesPersonId":"sp-1","company":"Acme","numberOfEmployees":"120","annualRevenue":1.5e6,"website":null}`,
			want: &accountv1.CompanyInput{ExternalCompanyId: proto.String("ACME-1"), ExternalSalesPersonId: proto.String("sp-1"), Company: proto.String("Acme"), NumberOfEmployees: proto.Int32(120), AnnualRevenue: proto.Float64(1.5e6), Website: proto.String("")},
		},
		{name: "unknown field", obj: Company, in: `{"externalCompanyId":"a","shoeSize":44}`, wantCode: marketo.CodeFieldNotFound},
		{name: "read-only time", obj: Company, in: `{"externalCompanyId":"a","createdAt":"2020-01-01"}`, wantCode: marketo.CodeInvalidData},
		{name: "integer as text", obj: Company, in: `{"numberOfEmployees":"many"}`, wantCode: marketo.CodeInvalidValue},
		{name: "fractional integer", obj: Company, in: `{"numberOfEmployees":1.5}`, wantCode: marketo.CodeInvalidValue},
		{
			name: "opportunity dates and flags",
			obj:  Opportunity,
			in:   `{"externalOpportunityId":"o-1","name":"Deal","closeDate":"2026-12-31","isWon":"true","probability":80,"lastActivityDate":null,"marketoGUID":"g-1"}`,
			want: &opportunityv1.OpportunityInput{ExternalOpportunityId: proto.String("o-1"), Name: proto.String("Deal"), CloseDate: timestamppb.New(mustTime(t, "2026-12-31T00:00:00Z")), IsWon: proto.Bool(true), Probability: proto.Int32(80), ClearLastActivityDate: true, MarketoGuid: proto.String("g-1")},
		},
		{name: "bad date", obj: Opportunity, in: `{"closeDate":"next tuesday"}`, wantCode: marketo.CodeInvalidValue},
		{name: "clear flag is not a field", obj: Opportunity, in: `{"clearCloseDate":true}`, wantCode: marketo.CodeFieldNotFound},
		{
			name: "lead custom fields",
			obj:  Lead,
			in:   `{"email":"a@b.co","favouriteColour":"blue","seats":3}`,
			want: &personv1.LeadInput{Email: proto.String("a@b.co"), CustomFields: map[string]*structpb.Value{"favouriteColour": structpb.NewStringValue("blue"), "seats": structpb.NewNumberValue(3)}},
		},
		{name: "lead MSI field", obj: Lead, in: `{"email":"a@b.co","priority":90}`, wantCode: marketo.CodeInvalidData},
		{name: "lead nested custom", obj: Lead, in: `{"email":"a@b.co","x":{"y":1}}`, wantCode: marketo.CodeInvalidValue},
		{name: "lead undeclared custom", obj: Lead, in: `{"email":"a@b.co","shoeSize":44}`, wantCode: marketo.CodeFieldNotFound},
		{name: "lead custom of the wrong type", obj: Lead, in: `{"email":"a@b.co","seats":"three"}`, wantCode: marketo.CodeInvalidValue},
		{name: "lead custom cleared", obj: Lead, in: `{"email":"a@b.co","seats":null}`,
			want: &personv1.LeadInput{Email: proto.String("a@b.co"), CustomFields: map[string]*structpb.Value{"seats": structpb.NewNullValue()}}},
		{
			name: "role",
			obj:  OpportunityRole,
			in:   `{"externalOpportunityId":"o-1","leadId":7,"role":"Decision Maker","isPrimary":true}`,
			want: &opportunityv1.OpportunityRoleInput{ExternalOpportunityId: proto.String("o-1"), LeadId: proto.Int32(7), Role: proto.String("Decision Maker"), IsPrimary: proto.Bool(true)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := proto.Clone(tt.obj.Input)
			proto.Reset(got)
			why := tt.obj.Decode(record(t, tt.in), got)
			if tt.wantCode != "" {
				if why == nil || why.GetCode() != tt.wantCode {
					t.Fatalf("Decode reason = %v, want code %s", why, tt.wantCode)
				}
				return
			}
			if why != nil {
				t.Fatalf("Decode: %v", why)
			}
			if diff := cmp.Diff(tt.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("Decode (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEncode(t *testing.T) {
	t.Parallel()
	opp := &opportunityv1.Opportunity{MarketoGuid: "g-1", ExternalOpportunityId: "o-1", Name: "Deal", Amount: 1200.5, IsWon: true, CreateTime: timestamppb.New(mustTime(t, "2026-11-29T10:00:00Z"))}
	got := Opportunity.Encode(opp, 2, nil).AsMap()
	want := map[string]any{"seq": 2.0, "marketoGUID": "g-1", "externalOpportunityId": "o-1", "name": "Deal", "amount": 1200.5, "isWon": true, "isClosed": false, "createdAt": "2026-11-29T10:00:00Z"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Encode, all populated fields (-want +got):\n%s", diff)
	}
	got = Opportunity.Encode(opp, 0, []string{"name", "stage"}).AsMap()
	want = map[string]any{"seq": 0.0, "marketoGUID": "g-1", "name": "Deal", "stage": nil}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Encode, selected fields (-want +got):\n%s", diff)
	}
	lead := &personv1.Lead{Id: 9, Email: "a@b.co", CustomFields: map[string]*structpb.Value{"seats": structpb.NewNumberValue(3)}}
	got = Lead.Encode(lead, 0, nil).AsMap()
	want = map[string]any{"seq": 0.0, "id": 9.0, "email": "a@b.co", "firstName": nil, "lastName": nil, "updatedAt": nil, "createdAt": nil}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Encode, lead defaults (-want +got):\n%s", diff)
	}
	if got := Lead.Encode(lead, 0, []string{"seats"}).AsMap()["seats"]; got != 3.0 {
		t.Errorf("custom field seats = %v, want 3", got)
	}
}

func TestEncodeSelectionMatchesFullEncode(t *testing.T) {
	t.Parallel()
	lead := &personv1.Lead{
		Id: 9, Email: "a@b.co", FirstName: "Ann", Unsubscribed: true, AnnualRevenue: 2.5,
		CustomFields: map[string]*structpb.Value{"seats": structpb.NewNumberValue(3), "tier": structpb.NewStringValue("gold")},
		CreateTime:   timestamppb.New(mustTime(t, "2026-11-29T10:00:00Z")),
	}
	for _, fields := range [][]string{
		{"email", "firstName", "lastName"},
		{"seats", "unknownCustom", "leadScore", "createdAt", "updatedAt", "doNotCall", "unsubscribed", "annualRevenue"},
		{"id", "seq", "email", "email"},
	} {
		got := Lead.Encode(lead, 4, fields).AsMap()
		want := Lead.encodeAll(lead.ProtoReflect(), 4, fields).AsMap()
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Encode %v (-full +selected):\n%s", fields, diff)
		}
	}
	if got := Lead.Encode(&personv1.Lead{}, 0, []string{"email"}).AsMap(); !cmp.Equal(got, map[string]any{"seq": 0.0, "email": nil}) {
		t.Errorf("Encode of an empty lead = %v", got)
	}
}

func TestReadFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		obj    *Object
		fields []string
		want   []string
	}{
		{"lead defaults", Lead, nil, []string{"id", "email", "first_name", "last_name", "update_time", "create_time"}},
		{"lead selection", Lead, []string{"email", "firstName", "lastName", "email"}, []string{"id", "email", "first_name", "last_name"}},
		{"custom and MSI fields", Lead, []string{"leadScore", "seats", "externalPersonId", "tier", "priority"}, []string{"id", "custom_fields", "external_person_id"}},
		{"MSI field only", Lead, []string{"leadScore"}, []string{"id"}},
		{"id field by its own name", Opportunity, []string{"name"}, []string{"marketo_guid", "name"}},
		{"every field", Opportunity, nil, nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, tt.obj.ReadFields(tt.fields)); diff != "" {
			t.Errorf("%s: ReadFields(%v) (-want +got):\n%s", tt.name, tt.fields, diff)
		}
	}
}

func TestMetadata(t *testing.T) {
	t.Parallel()
	m := Opportunity.Metadata()
	byName := map[string]bool{}
	for _, f := range m.GetFields() {
		byName[f.GetName()] = f.GetUpdateable()
	}
	for name, updateable := range map[string]bool{"marketoGUID": false, "externalOpportunityId": false, "name": true, "closeDate": true, "createdAt": false} {
		got, ok := byName[name]
		if !ok || got != updateable {
			t.Errorf("field %s: listed %v, updateable %v; want listed, updateable %v", name, ok, got, updateable)
		}
	}
	if m.GetIdField() != "marketoGUID" || len(m.GetSearchableFields()) != 4 {
		t.Errorf("metadata = %v", m)
	}
	if err := Company.CheckFields([]string{"company", "shoeSize"}); err == nil {
		t.Error("CheckFields accepted an unknown field")
	}
	if err := Lead.CheckFields([]string{"seats", "favouriteColour", "leadScore"}); err != nil {
		t.Errorf("lead CheckFields refused a declared custom field: %v", err)
	}
	if err := Lead.CheckFields([]string{"email", "leadScroe"}); err == nil || !strings.Contains(err.Error(), "leadScroe") {
		t.Errorf("lead CheckFields of an undeclared field = %v, want 1006 naming it", err)
	}
}
