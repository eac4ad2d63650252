package marketoapi

import (
	"context"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	identityv1 "github.com/msisync/msisync/gen/msisync/identity/v1"
	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/platform/records"
	"github.com/msisync/msisync/services/orchestrator/internal/apply"
	"github.com/msisync/msisync/services/orchestrator/internal/objects"
)

// SalesPersons implements orchestratorv1.MarketoSalesPersonService over the identity
// service.
type SalesPersons struct {
	orchestratorv1.UnimplementedMarketoSalesPersonServiceServer
	identity identityv1.SalesPersonServiceClient
	apply    *apply.Applier
}

var _ orchestratorv1.MarketoSalesPersonServiceServer = (*SalesPersons)(nil)

// NewSalesPersons returns the service over an Applier.
func NewSalesPersons(a *apply.Applier) *SalesPersons {
	return &SalesPersons{identity: a.SalesPersons, apply: a}
}

// SyncSalesPersons implements orchestratorv1.MarketoSalesPersonServiceServer.
func (s *SalesPersons) SyncSalesPersons(ctx context.Context, req *orchestratorv1.SyncSalesPersonsRequest) (*orchestratorv1.SyncSalesPersonsResponse, error) {
	if err := checkInput(len(req.GetInput())); err != nil {
		return nil, err
	}
	action, err := parseAction(req.GetAction())
	if err != nil {
		return nil, err
	}
	dedupe, err := parseDedupeBy("dedupeBy", req.GetDedupeBy())
	if err != nil {
		return nil, err
	}
	d := decodeWith(req.GetInput(), salesPersonInput)
	results := make([]*orchestratorv1.MarketoRecordResult, len(req.GetInput()))
	for i, why := range d.refused {
		results[i] = skippedResult(i, why)
	}
	if len(d.inputs) > 0 {
		resp, err := s.identity.SyncSalesPersons(ctx, &identityv1.SyncSalesPersonsRequest{Action: action, DedupeBy: dedupe, Input: d.inputs})
		if err != nil {
			return nil, err
		}
		for n, r := range resp.GetResults() {
			results[d.pos[n]] = recordResult(d.pos[n], r)
		}
	}
	return &orchestratorv1.SyncSalesPersonsResponse{RequestId: requestID(ctx), Success: true, Result: results}, nil
}

// salesPersonInput converts one Marketo record, or says why it is skipped.
func salesPersonInput(rec *structpb.Struct) (*identityv1.SalesPersonInput, *commonv1.Reason) {
	in := &identityv1.SalesPersonInput{}
	for _, name := range sortedFields(rec) {
		v := rec.GetFields()[name]
		if name == "id" {
			if _, null := v.GetKind().(*structpb.Value_NullValue); null {
				continue
			}
			n, why := int32Value(name, v)
			if why != nil {
				return nil, why
			}
			in.Id = &n
			continue
		}
		target := salesPersonString(in, name)
		if target == nil {
			if objects.SalesPerson.SetByMsisync(name) {
				return nil, records.Reason(marketo.CodeInvalidData, "Invalid data: field '%s' is set by msisync and cannot be written", name)
			}
			return nil, records.Reason(marketo.CodeFieldNotFound, "Field '%s' not found", name)
		}
		str, why := stringValue(name, v)
		if why != nil {
			return nil, why
		}
		*target = &str
	}
	return in, nil
}

// salesPersonString returns where the named string field of in is stored, or nil.
func salesPersonString(in *identityv1.SalesPersonInput, name string) **string {
	switch name {
	case "externalSalesPersonId":
		return &in.ExternalSalesPersonId
	case "email":
		return &in.Email
	case "firstName":
		return &in.FirstName
	case "lastName":
		return &in.LastName
	case "title":
		return &in.Title
	case "phone":
		return &in.Phone
	case "mobilePhone":
		return &in.MobilePhone
	case "fax":
		return &in.Fax
	}
	return nil
}

// salesPersonFilters maps Marketo filterType names (with the idField and dedupeFields
// aliases) to the identity service's searchable fields.
var salesPersonFilters = map[string]identityv1.SalesPersonField{
	"externalsalespersonid": identityv1.SalesPersonField_SALES_PERSON_FIELD_EXTERNAL_SALES_PERSON_ID,
	"dedupefields":          identityv1.SalesPersonField_SALES_PERSON_FIELD_EXTERNAL_SALES_PERSON_ID,
	"id":                    identityv1.SalesPersonField_SALES_PERSON_FIELD_ID,
	"idfield":               identityv1.SalesPersonField_SALES_PERSON_FIELD_ID,
	"email":                 identityv1.SalesPersonField_SALES_PERSON_FIELD_EMAIL,
}

// GetSalesPersons implements orchestratorv1.MarketoSalesPersonServiceServer.
func (s *SalesPersons) GetSalesPersons(ctx context.Context, req *orchestratorv1.GetSalesPersonsRequest) (*orchestratorv1.GetSalesPersonsResponse, error) {
	if strings.TrimSpace(req.GetFilterType()) == "" {
		return nil, requestError(marketo.CodeCannotBeBlank, "filterType cannot be blank: use externalSalesPersonId, id or email")
	}
	field, ok := salesPersonFilters[strings.ToLower(strings.TrimSpace(req.GetFilterType()))]
	if !ok {
		return nil, requestError(marketo.CodeInvalidData, "Invalid filterType '%s': use externalSalesPersonId, id or email", req.GetFilterType())
	}
	values := splitList(req.GetFilterValues())
	if len(values) == 0 {
		return nil, requestError(marketo.CodeCannotBeBlank, "filterValues cannot be blank")
	}
	if len(values) > maxRecords {
		return nil, requestError(marketo.CodeInvalidData, "Invalid data: %d filterValues, at most %d", len(values), maxRecords)
	}
	if err := checkFilterValues(values); err != nil {
		return nil, err
	}
	fields := splitList(req.GetFields())
	if err := objects.SalesPerson.CheckFields(fields); err != nil {
		return nil, err
	}
	if b := req.GetBatchSize(); b < 0 || b > maxRecords {
		return nil, requestError(marketo.CodeInvalidData, "Invalid batchSize %d: use 1 to %d", b, maxRecords)
	}
	page, err := s.identity.ListSalesPersons(ctx, &identityv1.ListSalesPersonsRequest{
		FilterField:  field,
		FilterValues: values,
		PageSize:     req.GetBatchSize(),
		PageToken:    req.GetNextPageToken(),
	})
	if err != nil {
		return nil, err
	}
	resp := &orchestratorv1.GetSalesPersonsResponse{RequestId: requestID(ctx), Success: true, Result: make([]*structpb.Struct, len(page.GetSalesPersons()))}
	for i, p := range page.GetSalesPersons() {
		resp.Result[i] = salesPersonRecord(i, p, fields)
	}
	if tok := page.GetNextPageToken(); tok != "" {
		more := true
		resp.MoreResult = &more
		resp.NextPageToken = &tok
	}
	return resp, nil
}

// salesPersonRecord renders a sales person as a Marketo query result: seq and id, then the
// requested fields (null when empty), or every populated field when none are requested.
func salesPersonRecord(seq int, p *identityv1.SalesPerson, fields []string) *structpb.Struct {
	return objects.SalesPerson.Encode(p, seq, fields)
}

// DeleteSalesPersons implements orchestratorv1.MarketoSalesPersonServiceServer. A sales
// person who still owns companies, leads or opportunities is skipped with 1022.
func (s *SalesPersons) DeleteSalesPersons(ctx context.Context, req *orchestratorv1.DeleteSalesPersonsRequest) (*orchestratorv1.DeleteSalesPersonsResponse, error) {
	byID, err := parseDelete(len(req.GetInput()), req.GetDeleteBy())
	if err != nil {
		return nil, err
	}
	res, err := deleteRecords(ctx, req.GetInput(), byID, salesPersonKey, s.apply.DeleteSalesPersons)
	if err != nil {
		return nil, err
	}
	return &orchestratorv1.DeleteSalesPersonsResponse{RequestId: requestID(ctx), Success: true, Result: res}, nil
}

// salesPersonKey reads the key of a delete input record.
func salesPersonKey(rec *structpb.Struct, byID bool) (*identityv1.SalesPersonKey, *commonv1.Reason) {
	if byID {
		v, ok := rec.GetFields()["id"]
		if !ok {
			return nil, records.Missing("id")
		}
		n, why := int32Value("id", v)
		if why != nil {
			return nil, why
		}
		return &identityv1.SalesPersonKey{Key: &identityv1.SalesPersonKey_Id{Id: n}}, nil
	}
	v, ok := rec.GetFields()["externalSalesPersonId"]
	if !ok {
		return nil, records.Missing("externalSalesPersonId")
	}
	str, why := stringValue("externalSalesPersonId", v)
	if why != nil {
		return nil, why
	}
	if strings.TrimSpace(str) == "" {
		return nil, records.Missing("externalSalesPersonId")
	}
	return &identityv1.SalesPersonKey{Key: &identityv1.SalesPersonKey_ExternalSalesPersonId{ExternalSalesPersonId: str}}, nil
}

// DescribeSalesPersons implements orchestratorv1.MarketoSalesPersonServiceServer.
func (s *SalesPersons) DescribeSalesPersons(ctx context.Context, _ *orchestratorv1.DescribeSalesPersonsRequest) (*orchestratorv1.DescribeSalesPersonsResponse, error) {
	return &orchestratorv1.DescribeSalesPersonsResponse{
		RequestId: requestID(ctx),
		Success:   true,
		Result:    []*orchestratorv1.ObjectMetadata{objects.SalesPerson.Metadata()},
	}, nil
}
