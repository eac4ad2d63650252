package marketoapi

import (
	"context"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/platform/records"
	"github.com/msisync/msisync/services/orchestrator/internal/apply"
	"github.com/msisync/msisync/services/orchestrator/internal/objects"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// Leads implements orchestratorv1.MarketoLeadService over the person service.
type Leads struct {
	orchestratorv1.UnimplementedMarketoLeadServiceServer
	apply *apply.Applier
	flags crmFlags // answers crmDeleted (see WithCrmFindings)
	// upstream is set in upstream mode, where the customer's Marketo keeps the scores.
	upstream bool
}

// WithUpstream makes lead sync refuse leadScore, per record, in upstream mode: the
// customer's Marketo computes scores there (see docs/upstream.md).
func (s *Leads) WithUpstream(on bool) *Leads {
	s.upstream = on
	return s
}

// scoreOwnedByMarketo is the reason a leadScore is refused in upstream mode.
var scoreOwnedByMarketo = records.Reason(marketo.CodeInvalidData,
	"Invalid data: field 'leadScore' cannot be written: your Marketo instance (MSISYNC_MARKETO_URL) keeps lead scores; change the score in Marketo")

var _ orchestratorv1.MarketoLeadServiceServer = (*Leads)(nil)

// NewLeads returns the service over an Applier.
func NewLeads(a *apply.Applier) *Leads { return &Leads{apply: a} }

// leadFilters maps Marketo filterType names to the person service's.
var leadFilters = map[string]personv1.LeadField{
	"id":                    personv1.LeadField_LEAD_FIELD_ID,
	"email":                 personv1.LeadField_LEAD_FIELD_EMAIL,
	"externalpersonid":      personv1.LeadField_LEAD_FIELD_EXTERNAL_PERSON_ID,
	"externalcompanyid":     personv1.LeadField_LEAD_FIELD_EXTERNAL_COMPANY_ID,
	"externalsalespersonid": personv1.LeadField_LEAD_FIELD_EXTERNAL_SALES_PERSON_ID,
}

// leadLookups maps Marketo lookupField names to the person service's.
var leadLookups = map[string]personv1.LeadLookupField{
	"":                 personv1.LeadLookupField_LEAD_LOOKUP_FIELD_EMAIL,
	"email":            personv1.LeadLookupField_LEAD_LOOKUP_FIELD_EMAIL,
	"externalpersonid": personv1.LeadLookupField_LEAD_LOOKUP_FIELD_EXTERNAL_PERSON_ID,
	"id":               personv1.LeadLookupField_LEAD_LOOKUP_FIELD_ID,
}

// SyncLeads implements orchestratorv1.MarketoLeadServiceServer: Marketo's Sync Leads. A
// lead whose owner is not synced is skipped with 718, one whose company is not synced
// with 1013; MSI fields are refused per record.
func (s *Leads) SyncLeads(ctx context.Context, req *orchestratorv1.SyncLeadsRequest) (*orchestratorv1.SyncLeadsResponse, error) {
	if err := checkInput(len(req.GetInput())); err != nil {
		return nil, err
	}
	createDuplicate := strings.EqualFold(strings.TrimSpace(req.GetAction()), "createDuplicate")
	action := commonv1.SyncAction_SYNC_ACTION_UNSPECIFIED
	if !createDuplicate {
		var err error
		if action, err = parseAction(req.GetAction()); err != nil {
			return nil, err
		}
	}
	lookup, ok := leadLookups[strings.ToLower(strings.TrimSpace(req.GetLookupField()))]
	if !ok {
		return nil, requestError(marketo.CodeInvalidData, "Invalid lookupField '%s': use email, externalPersonId or id", req.GetLookupField())
	}
	if lookup == personv1.LeadLookupField_LEAD_LOOKUP_FIELD_ID && action != commonv1.SyncAction_SYNC_ACTION_UPDATE_ONLY {
		return nil, requestError(marketo.CodeInvalidData, "Invalid data: lookupField id works only with action updateOnly")
	}
	if p := req.GetPartitionName(); p != "" && !strings.EqualFold(p, "Default") {
		return nil, requestError(marketo.CodeInvalidData, "Invalid data: partition '%s' does not exist; msisync has only the Default partition", p)
	}
	input, scores, badScores := leadScores(req.GetInput())
	if s.upstream {
		for i := range scores {
			badScores[i] = scoreOwnedByMarketo
			delete(scores, i)
		}
	}
	d := decodeAll(objects.Lead, input, func() *personv1.LeadInput { return &personv1.LeadInput{} })
	for i, why := range badScores {
		if _, refused := d.refused[i]; !refused {
			d.drop(i, why)
		}
	}
	var outs []apply.Outcome
	if len(d.inputs) > 0 {
		var err error
		outs, err = s.apply.SyncLeads(ctx, &personv1.SyncLeadsRequest{Action: action, LookupField: lookup, CreateDuplicate: createDuplicate, Input: d.inputs})
		if err != nil {
			return nil, err
		}
		if err := setScores(ctx, s.apply.Scoring, scores, d.pos, outs); err != nil {
			return nil, err
		}
	}
	return &orchestratorv1.SyncLeadsResponse{RequestId: requestID(ctx), Success: true, Result: leadResults(results(len(req.GetInput()), d.refused, d.pos, outs))}, nil
}

// leadResults drops seq and the GUID: Marketo's lead results are {id, status, reasons}.
func leadResults(in []*orchestratorv1.MarketoRecordResult) []*orchestratorv1.MarketoLeadResult {
	out := make([]*orchestratorv1.MarketoLeadResult, len(in))
	for i, r := range in {
		out[i] = &orchestratorv1.MarketoLeadResult{Id: r.Id, Status: r.GetStatus(), Reasons: r.GetReasons()}
	}
	return out
}

// GetLeads implements orchestratorv1.MarketoLeadServiceServer: Get Leads by Filter Type.
func (s *Leads) GetLeads(ctx context.Context, req *orchestratorv1.GetLeadsRequest) (*orchestratorv1.GetLeadsResponse, error) {
	ft, q, err := parseQuery(objects.Lead, req.GetFilterType(), req.GetFilterValues(), req.GetFields(), req.GetBatchSize(), knownFilters(leadFilters))
	if err != nil {
		return nil, err
	}
	page, err := s.apply.Leads.ListLeads(ctx, &personv1.ListLeadsRequest{
		FilterField: leadFilters[ft], FilterValues: q.values, PageSize: req.GetBatchSize(), PageToken: req.GetNextPageToken(),
		ReadFields: objects.Lead.ReadFields(readFields(q.fields)),
	})
	if err != nil {
		return nil, err
	}
	recs := leadRecords(encodeAll(objects.Lead, page.GetLeads(), q.fields))
	if err := addInsight(ctx, s.apply.Scoring, page.GetLeads(), recs, q.fields); err != nil {
		return nil, err
	}
	if err := s.flags.add(ctx, store.Lead, externalIDs(page.GetLeads(), (*personv1.Lead).GetExternalPersonId), recs, q.fields); err != nil {
		return nil, err
	}
	more, next := paging(page.GetNextPageToken())
	return &orchestratorv1.GetLeadsResponse{RequestId: requestID(ctx), Success: true, MoreResult: more, NextPageToken: next, Result: recs}, nil
}

// leadRecords drops seq: Marketo's lead query results have none.
func leadRecords(recs []*structpb.Struct) []*structpb.Struct {
	for _, r := range recs {
		delete(r.GetFields(), "seq")
	}
	return recs
}

// GetLead implements orchestratorv1.MarketoLeadServiceServer: Get Lead by Id. An unknown
// id answers success with an empty result, as Marketo does.
func (s *Leads) GetLead(ctx context.Context, req *orchestratorv1.GetLeadRequest) (*orchestratorv1.GetLeadResponse, error) {
	fields := splitList(req.GetFields())
	if err := objects.Lead.CheckFields(fields); err != nil {
		return nil, err
	}
	got, err := s.apply.Leads.BatchGetLeads(ctx, &personv1.BatchGetLeadsRequest{
		Keys:       []*personv1.LeadKey{{Key: &personv1.LeadKey_Id{Id: req.GetId()}}},
		ReadFields: objects.Lead.ReadFields(readFields(fields)),
	})
	if err != nil {
		return nil, err
	}
	recs := leadRecords(encodeAll(objects.Lead, got.GetLeads(), fields))
	if err := addInsight(ctx, s.apply.Scoring, got.GetLeads(), recs, fields); err != nil {
		return nil, err
	}
	if err := s.flags.add(ctx, store.Lead, externalIDs(got.GetLeads(), (*personv1.Lead).GetExternalPersonId), recs, fields); err != nil {
		return nil, err
	}
	return &orchestratorv1.GetLeadResponse{RequestId: requestID(ctx), Success: true, Result: recs}, nil
}

// DeleteLeads implements orchestratorv1.MarketoLeadServiceServer: input [{id}]. A lead
// that still has opportunity roles is skipped with 1022.
func (s *Leads) DeleteLeads(ctx context.Context, req *orchestratorv1.DeleteLeadsRequest) (*orchestratorv1.DeleteLeadsResponse, error) {
	if err := checkInput(len(req.GetInput())); err != nil {
		return nil, err
	}
	res, err := deleteRecords(ctx, req.GetInput(), true, leadKey, s.apply.DeleteLeads)
	if err != nil {
		return nil, err
	}
	return &orchestratorv1.DeleteLeadsResponse{RequestId: requestID(ctx), Success: true, Result: leadResults(res)}, nil
}

// leadKey reads a lead's key: its id (leads are deleted by id only).
func leadKey(rec *structpb.Struct, _ bool) (*personv1.LeadKey, *commonv1.Reason) {
	id, why := intKey(rec, "id")
	if why != nil {
		return nil, why
	}
	return &personv1.LeadKey{Key: &personv1.LeadKey_Id{Id: id}}, nil
}

// DescribeLeads implements orchestratorv1.MarketoLeadServiceServer: Describe Lead, one
// attribute per field with its REST name.
func (s *Leads) DescribeLeads(ctx context.Context, _ *orchestratorv1.DescribeLeadsRequest) (*orchestratorv1.DescribeLeadsResponse, error) {
	meta := objects.Lead.Metadata()
	out := make([]*orchestratorv1.LeadAttribute, len(meta.GetFields()))
	for i, f := range meta.GetFields() {
		out[i] = &orchestratorv1.LeadAttribute{
			Id:          int32(i + 1),
			DisplayName: f.GetDisplayName(),
			DataType:    f.GetDataType(),
			Length:      f.Length,
			Rest:        &orchestratorv1.LeadMapAttribute{Name: f.GetName(), ReadOnly: !f.GetUpdateable()},
			Soap:        &orchestratorv1.LeadMapAttribute{Name: soapName(f.GetName()), ReadOnly: !f.GetUpdateable()},
		}
	}
	return &orchestratorv1.DescribeLeadsResponse{RequestId: requestID(ctx), Success: true, Result: out}, nil
}

// soapName is a field's SOAP API name: the REST name with its first letter upper-cased.
func soapName(rest string) string {
	if rest == "" {
		return rest
	}
	return strings.ToUpper(rest[:1]) + rest[1:]
}

// DescribeLeads2 implements orchestratorv1.MarketoLeadServiceServer: Describe Lead2.
func (s *Leads) DescribeLeads2(ctx context.Context, _ *orchestratorv1.DescribeLeads2Request) (*orchestratorv1.DescribeLeads2Response, error) {
	meta := objects.Lead.Metadata()
	return &orchestratorv1.DescribeLeads2Response{RequestId: requestID(ctx), Success: true, Result: []*orchestratorv1.LeadAttribute2{{
		Name:             "API Lead",
		SearchableFields: meta.GetSearchableFields(),
		Fields:           meta.GetFields(),
	}}}, nil
}
