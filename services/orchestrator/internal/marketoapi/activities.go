package marketoapi

import (
	"context"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	scoringv1 "github.com/msisync/msisync/gen/msisync/scoring/v1"
	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/services/orchestrator/internal/objects"
)

// Marketo's activity type ids for the activities msisync records.
const (
	activityChangeScore       = 22
	activityInterestingMoment = 46
)

// maxActivityTypes and maxActivityLeads are Marketo's limits on one activities call.
const (
	maxActivityTypes = 10
	maxActivityLeads = 30
)

// Activities implements orchestratorv1.MarketoActivityService over the scoring service:
// Change Score (22) and Interesting Moment (46).
type Activities struct {
	orchestratorv1.UnimplementedMarketoActivityServiceServer
	scoring scoringv1.ScoringServiceClient
}

var _ orchestratorv1.MarketoActivityServiceServer = (*Activities)(nil)

// NewActivities returns the service over a scoring client.
func NewActivities(scoring scoringv1.ScoringServiceClient) *Activities {
	return &Activities{scoring: scoring}
}

// sinceLayouts are the sinceDatetime forms accepted.
var sinceLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", "2006-01-02"}

// GetActivitiesPagingToken implements orchestratorv1.MarketoActivityServiceServer.
func (s *Activities) GetActivitiesPagingToken(ctx context.Context, req *orchestratorv1.GetActivitiesPagingTokenRequest) (*orchestratorv1.GetActivitiesPagingTokenResponse, error) {
	raw := strings.TrimSpace(req.GetSinceDatetime())
	if raw == "" {
		return nil, requestError(marketo.CodeCannotBeBlank, "sinceDatetime cannot be blank")
	}
	var since time.Time
	var err error
	for _, layout := range sinceLayouts {
		if since, err = time.Parse(layout, raw); err == nil {
			break
		}
	}
	if err != nil {
		return nil, requestError(marketo.CodeInvalidDateFormat, "Invalid date format: sinceDatetime '%s' is not ISO 8601 (for example 2026-11-29T10:00:00Z)", raw)
	}
	resp, err := s.scoring.GetActivityPagingToken(ctx, &scoringv1.GetActivityPagingTokenRequest{SinceTime: timestamppb.New(since)})
	if err != nil {
		return nil, err
	}
	return &orchestratorv1.GetActivitiesPagingTokenResponse{RequestId: requestID(ctx), Success: true, NextPageToken: proto.String(resp.GetPageToken())}, nil
}

// GetLeadActivities implements orchestratorv1.MarketoActivityServiceServer. Types msisync
// does not record answer an empty page; nextPageToken is always returned.
func (s *Activities) GetLeadActivities(ctx context.Context, req *orchestratorv1.GetLeadActivitiesRequest) (*orchestratorv1.GetLeadActivitiesResponse, error) {
	if req.GetNextPageToken() == "" {
		return nil, requestError(marketo.CodeCannotBeBlank, "nextPageToken cannot be blank: get one from /rest/v1/activities/pagingtoken.json")
	}
	typeIDs := splitList(req.GetActivityTypeIds())
	if len(typeIDs) == 0 {
		return nil, requestError(marketo.CodeCannotBeBlank, "activityTypeIds cannot be blank")
	}
	if len(typeIDs) > maxActivityTypes {
		return nil, requestError(marketo.CodeInvalidData, "Invalid data: %d activityTypeIds, at most %d", len(typeIDs), maxActivityTypes)
	}
	var kinds []scoringv1.ActivityKind
	seen := map[scoringv1.ActivityKind]bool{}
	for _, t := range typeIDs {
		n, err := strconv.Atoi(t)
		if err != nil {
			return nil, requestError(marketo.CodeInvalidData, "Invalid data: activityTypeId '%s' is not an integer", t)
		}
		kind := scoringv1.ActivityKind_ACTIVITY_KIND_UNSPECIFIED
		switch n {
		case activityChangeScore:
			kind = scoringv1.ActivityKind_ACTIVITY_KIND_SCORE_CHANGE
		case activityInterestingMoment:
			kind = scoringv1.ActivityKind_ACTIVITY_KIND_INTERESTING_MOMENT
		}
		if kind != scoringv1.ActivityKind_ACTIVITY_KIND_UNSPECIFIED && !seen[kind] {
			seen[kind] = true
			kinds = append(kinds, kind)
		}
	}
	leadValues := splitList(req.GetLeadIds())
	if len(leadValues) > maxActivityLeads {
		return nil, requestError(marketo.CodeInvalidData, "Invalid data: %d leadIds, at most %d", len(leadValues), maxActivityLeads)
	}
	var leadIDs []int32
	for _, v := range leadValues {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return nil, requestError(marketo.CodeInvalidData, "Invalid data: leadId '%s' is not an integer", v)
		}
		leadIDs = append(leadIDs, int32(n))
	}
	if b := req.GetBatchSize(); b < 0 || b > maxRecords {
		return nil, requestError(marketo.CodeInvalidData, "Invalid batchSize %d: use 1 to %d", b, maxRecords)
	}
	resp := &orchestratorv1.GetLeadActivitiesResponse{RequestId: requestID(ctx), Success: true, Result: []*orchestratorv1.Activity{}}
	if len(kinds) == 0 {
		// None of the asked types is one msisync records: an empty page, same position.
		more := false
		resp.MoreResult, resp.NextPageToken = &more, proto.String(req.GetNextPageToken())
		return resp, nil
	}
	page, err := s.scoring.ListActivities(ctx, &scoringv1.ListActivitiesRequest{
		PageToken: req.GetNextPageToken(), Kinds: kinds, LeadIds: leadIDs, PageSize: req.GetBatchSize(),
	})
	if err != nil {
		return nil, err
	}
	for _, a := range page.GetActivities() {
		resp.Result = append(resp.Result, activity(a))
	}
	more := page.GetMoreResult()
	resp.MoreResult, resp.NextPageToken = &more, proto.String(page.GetNextPageToken())
	return resp, nil
}

// activity renders a scoring activity as a Marketo activity record.
func activity(a *scoringv1.ScoringActivity) *orchestratorv1.Activity {
	attr := func(name string, v *structpb.Value) *orchestratorv1.ActivityAttribute {
		return &orchestratorv1.ActivityAttribute{Name: name, Value: v}
	}
	if sc := a.GetScoreChange(); sc != nil {
		return &orchestratorv1.Activity{
			Id: sc.GetId(), MarketoGuid: strconv.Itoa(int(sc.GetId())), LeadId: sc.GetLeadId(),
			ActivityDate:          sc.GetEventTime().AsTime().UTC().Format(time.RFC3339),
			ActivityTypeId:        activityChangeScore,
			PrimaryAttributeValue: "Lead Score",
			Attributes: []*orchestratorv1.ActivityAttribute{
				attr("Change Value", structpb.NewNumberValue(float64(sc.GetChangeValue()))),
				attr("New Value", structpb.NewNumberValue(float64(sc.GetNewValue()))),
				attr("Old Value", structpb.NewNumberValue(float64(sc.GetOldValue()))),
				attr("Reason", structpb.NewStringValue(sc.GetReason())),
			},
		}
	}
	im := a.GetInterestingMoment()
	date := im.GetEventTime().AsTime().UTC().Format(time.RFC3339)
	return &orchestratorv1.Activity{
		Id: im.GetId(), MarketoGuid: strconv.Itoa(int(im.GetId())), LeadId: im.GetLeadId(),
		ActivityDate:          date,
		ActivityTypeId:        activityInterestingMoment,
		PrimaryAttributeValue: im.GetDescription(),
		Attributes: []*orchestratorv1.ActivityAttribute{
			attr("Type", structpb.NewStringValue(objects.MomentTypeName(im.GetType()))),
			attr("Source", structpb.NewStringValue(im.GetSource())),
			attr("Date", structpb.NewStringValue(date)),
		},
	}
}

// activityTypes describes the two activity types msisync records.
var activityTypes = []*orchestratorv1.ActivityType{
	{
		Id: activityChangeScore, Name: "Change Score", Description: "A person's lead score changed",
		PrimaryAttribute: &orchestratorv1.ActivityTypeAttribute{Name: "Score Name", DataType: "string"},
		Attributes: []*orchestratorv1.ActivityTypeAttribute{
			{Name: "Change Value", DataType: "integer"}, {Name: "New Value", DataType: "integer"},
			{Name: "Old Value", DataType: "integer"}, {Name: "Reason", DataType: "string"},
		},
	},
	{
		Id: activityInterestingMoment, Name: "Interesting Moment", Description: "Something a sales person should know happened to the person",
		PrimaryAttribute: &orchestratorv1.ActivityTypeAttribute{Name: "Description", DataType: "string"},
		Attributes: []*orchestratorv1.ActivityTypeAttribute{
			{Name: "Type", DataType: "string"}, {Name: "Source", DataType: "string"}, {Name: "Date", DataType: "datetime"},
		},
	},
}

// GetActivityTypes implements orchestratorv1.MarketoActivityServiceServer.
func (s *Activities) GetActivityTypes(ctx context.Context, _ *orchestratorv1.GetActivityTypesRequest) (*orchestratorv1.GetActivityTypesResponse, error) {
	return &orchestratorv1.GetActivityTypesResponse{RequestId: requestID(ctx), Success: true, Result: activityTypes}, nil
}
