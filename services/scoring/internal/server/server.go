// Package server implements msisync.scoring.v1.ScoringService over a store.Store: it
// validates each input record (Marketo reason codes for skipped ones), resolves persons,
// signs cursors and page tokens, and converts store values to the proto messages.
package server

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	scoringv1 "github.com/msisync/msisync/gen/msisync/scoring/v1"
	"github.com/msisync/msisync/platform/entity"
	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/platform/pagetoken"
	"github.com/msisync/msisync/platform/records"
	"github.com/msisync/msisync/services/scoring/internal/model"
	"github.com/msisync/msisync/services/scoring/internal/store"
)

// MaxFutureSkew is how far in the future an event time may lie (clock skew); later ones are
// refused with 1001.
const MaxFutureSkew = 5 * time.Minute

// Page sizes.
const (
	defaultBestBets = 100
	maxChanges      = 1000
	defaultChanges  = 300
	maxActivityLead = 30
	defaultSource   = "REST API"
	maxDescription  = records.MaxTextLength
)

// Server implements scoringv1.ScoringServiceServer.
type Server struct {
	scoringv1.UnimplementedScoringServiceServer
	store  store.Store
	tokens *pagetoken.Codec
	tiers  model.Tiers
	params model.Params
	source Source
}

var _ scoringv1.ScoringServiceServer = (*Server)(nil)

// New returns a Server over s that signs tokens with tokenKey, recomputes boundaries with
// tiers, and takes the MSI values from source.
func New(s store.Store, tokenKey []byte, tiers model.Tiers, params model.Params, source Source) *Server {
	return &Server{store: s, tokens: pagetoken.New(tokenKey), tiers: tiers, params: params, source: source}
}

// SyncLeadLinks implements scoringv1.ScoringServiceServer.
func (s *Server) SyncLeadLinks(ctx context.Context, req *scoringv1.SyncLeadLinksRequest) (*scoringv1.SyncLeadLinksResponse, error) {
	if err := records.CheckBatch(len(req.GetLinks())); err != nil {
		return nil, err
	}
	links := make([]store.Link, len(req.GetLinks()))
	for i, in := range req.GetLinks() {
		if in.GetLeadId() <= 0 {
			return nil, status.Errorf(codes.InvalidArgument, "link %d: lead_id %d is not a positive id", i, in.GetLeadId())
		}
		person, err := optionalID(in.GetExternalPersonId())
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "link %d: external_person_id: %v", i, err)
		}
		owner, err := optionalID(in.GetExternalSalesPersonId())
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "link %d: external_sales_person_id: %v", i, err)
		}
		links[i] = store.Link{LeadID: in.GetLeadId(), PersonID: person.Canonical, PersonKey: person.Key, OwnerID: owner.Canonical, OwnerKey: owner.Key}
	}
	if err := s.store.SyncLinks(ctx, links); err != nil {
		return nil, entity.StoreError(err)
	}
	return &scoringv1.SyncLeadLinksResponse{}, nil
}

// optionalID normalises an external id that may be empty.
func optionalID(raw string) (extid.ID, error) {
	if strings.TrimSpace(raw) == "" {
		return extid.ID{}, nil
	}
	return extid.Normalize(raw)
}

// DeleteLeadLinks implements scoringv1.ScoringServiceServer.
func (s *Server) DeleteLeadLinks(ctx context.Context, req *scoringv1.DeleteLeadLinksRequest) (*scoringv1.DeleteLeadLinksResponse, error) {
	if err := records.CheckBatch(len(req.GetLeadIds())); err != nil {
		return nil, err
	}
	if err := s.store.DeleteLeads(ctx, req.GetLeadIds()); err != nil {
		return nil, entity.StoreError(err)
	}
	return &scoringv1.DeleteLeadLinksResponse{}, nil
}

// personInput is what the two record inputs share.
type personInput interface {
	GetLeadId() int32
	GetExternalPersonId() string
	GetEventTime() *timestamppb.Timestamp
}

// person validates an input's lead reference and event time.
func person(in personInput, hasPerson, byID bool, now time.Time) (store.Person, time.Time, *commonv1.Reason) {
	var p store.Person
	switch {
	case !hasPerson:
		return p, time.Time{}, records.Missing("leadId' or 'externalPersonId")
	case byID:
		if in.GetLeadId() <= 0 {
			return p, time.Time{}, records.Reason(marketo.CodeInvalidValue, "Invalid value '%d' for 'leadId': required a positive integer", in.GetLeadId())
		}
		p.LeadID = in.GetLeadId()
	default:
		if strings.TrimSpace(in.GetExternalPersonId()) == "" {
			return p, time.Time{}, records.Missing("externalPersonId")
		}
		id, err := extid.Normalize(in.GetExternalPersonId())
		if err != nil {
			return p, time.Time{}, records.Reason(marketo.CodeInvalidValue, "Invalid value for 'externalPersonId': %v", err)
		}
		p.PersonKey = id.Key
	}
	var at time.Time
	if ts := in.GetEventTime(); ts != nil {
		if err := ts.CheckValid(); err != nil {
			return p, at, records.Reason(marketo.CodeInvalidValue, "Invalid value for 'eventTime': %v", err)
		}
		at = ts.AsTime()
		if at.After(now.Add(MaxFutureSkew)) {
			return p, at, records.Reason(marketo.CodeInvalidValue, "Invalid value for 'eventTime': %s is in the future", at.Format(time.RFC3339))
		}
	}
	return p, at, nil
}

// outcomeResult turns a store result into a record result.
func outcomeResult(i int, r store.Result, describe string) *commonv1.RecordResult {
	switch r.Outcome {
	case store.Recorded:
		return records.Result(i, records.Created, r.ActivityID, "")
	case store.AmbiguousLead:
		return records.Skipped(i, 0, records.Reason(marketo.CodeMultipleLeadsMatch, "Multiple leads match the lookup criteria: %s", describe))
	case store.OutOfRange:
		return records.Skipped(i, r.LeadID, records.Reason(marketo.CodeInvalidValue, "Invalid value: the score of lead %d would leave the 32-bit integer range", r.LeadID))
	}
	return records.Skipped(i, 0, records.Reason(marketo.CodeLeadNotFound, "Lead not found: %s", describe))
}

func describePerson(in personInput, byID bool) string {
	if byID {
		return "leadId " + strconv.Itoa(int(in.GetLeadId()))
	}
	return fmt.Sprintf("externalPersonId '%s'", strings.TrimSpace(in.GetExternalPersonId()))
}

// RecordScoreChanges implements scoringv1.ScoringServiceServer.
func (s *Server) RecordScoreChanges(ctx context.Context, req *scoringv1.RecordScoreChangesRequest) (*scoringv1.RecordScoreChangesResponse, error) {
	if s.source == SourceMarketo {
		return nil, errMarketoScores
	}
	if err := records.CheckBatch(len(req.GetChanges())); err != nil {
		return nil, err
	}
	now := time.Now()
	results := make([]*commonv1.RecordResult, len(req.GetChanges()))
	var changes []store.ScoreChange
	var idx []int
	for i, in := range req.GetChanges() {
		_, byID := in.GetPerson().(*scoringv1.ScoreChangeInput_LeadId)
		p, at, why := person(in, in.GetPerson() != nil, byID, now)
		c := store.ScoreChange{Person: p, EventTime: at}
		if why == nil {
			switch v := in.GetChange().(type) {
			case *scoringv1.ScoreChangeInput_Delta:
				c.Value = v.Delta
			case *scoringv1.ScoreChangeInput_NewValue:
				c.Value, c.IsNew = v.NewValue, true
			default:
				why = records.Missing("delta' or 'newValue")
			}
		}
		if why == nil {
			c.Reason, why = records.Text("reason", in.GetReason(), records.MaxTextLength)
		}
		if why != nil {
			results[i] = records.Skipped(i, 0, why)
			continue
		}
		changes = append(changes, c)
		idx = append(idx, i)
	}
	resp := &scoringv1.RecordScoreChangesResponse{Results: results}
	if len(changes) == 0 {
		return resp, nil
	}
	out, ins, err := s.store.RecordScoreChanges(ctx, changes)
	if err != nil {
		return nil, entity.StoreError(err)
	}
	for n, r := range out {
		i := idx[n]
		_, byID := req.GetChanges()[i].GetPerson().(*scoringv1.ScoreChangeInput_LeadId)
		results[i] = outcomeResult(i, r, describePerson(req.GetChanges()[i], byID))
	}
	resp.Insights = insightsProto(ins)
	return resp, nil
}

// RecordInterestingMoments implements scoringv1.ScoringServiceServer.
func (s *Server) RecordInterestingMoments(ctx context.Context, req *scoringv1.RecordInterestingMomentsRequest) (*scoringv1.RecordInterestingMomentsResponse, error) {
	if s.source == SourceMarketo {
		return nil, errMarketoScores
	}
	if err := records.CheckBatch(len(req.GetMoments())); err != nil {
		return nil, err
	}
	now := time.Now()
	results := make([]*commonv1.RecordResult, len(req.GetMoments()))
	var moments []store.Moment
	var idx []int
	for i, in := range req.GetMoments() {
		_, byID := in.GetPerson().(*scoringv1.InterestingMomentInput_LeadId)
		p, at, why := person(in, in.GetPerson() != nil, byID, now)
		m := store.Moment{Person: p, EventTime: at, Type: int32(in.GetType())}
		switch {
		case why != nil:
		case in.GetType() == scoringv1.InterestingMomentType_INTERESTING_MOMENT_TYPE_UNSPECIFIED:
			why = records.Missing("type")
		case m.Type < 1 || m.Type > 3:
			why = records.Reason(marketo.CodeInvalidValue, "Invalid value '%d' for 'type': use Email, Milestone or Web", m.Type)
		}
		if why == nil {
			m.Description, why = records.Text("description", in.GetDescription(), maxDescription)
			if why == nil && m.Description == "" {
				why = records.Missing("description")
			}
		}
		if why == nil {
			m.Source, why = records.Text("source", in.GetSource(), records.MaxTextLength)
			if m.Source == "" {
				m.Source = defaultSource
			}
		}
		if why != nil {
			results[i] = records.Skipped(i, 0, why)
			continue
		}
		moments = append(moments, m)
		idx = append(idx, i)
	}
	resp := &scoringv1.RecordInterestingMomentsResponse{Results: results}
	if len(moments) == 0 {
		return resp, nil
	}
	out, ins, err := s.store.RecordMoments(ctx, moments)
	if err != nil {
		return nil, entity.StoreError(err)
	}
	for n, r := range out {
		i := idx[n]
		_, byID := req.GetMoments()[i].GetPerson().(*scoringv1.InterestingMomentInput_LeadId)
		results[i] = outcomeResult(i, r, describePerson(req.GetMoments()[i], byID))
	}
	resp.Insights = insightsProto(ins)
	return resp, nil
}

// BatchGetInsights implements scoringv1.ScoringServiceServer.
func (s *Server) BatchGetInsights(ctx context.Context, req *scoringv1.BatchGetInsightsRequest) (*scoringv1.BatchGetInsightsResponse, error) {
	if err := records.CheckBatch(len(req.GetLeadIds())); err != nil {
		return nil, err
	}
	ins, err := s.store.Insights(ctx, req.GetLeadIds())
	if err != nil {
		return nil, entity.StoreError(err)
	}
	return &scoringv1.BatchGetInsightsResponse{Insights: insightsProto(ins)}, nil
}

// RecomputeTiers implements scoringv1.ScoringServiceServer.
func (s *Server) RecomputeTiers(ctx context.Context, _ *scoringv1.RecomputeTiersRequest) (*scoringv1.RecomputeTiersResponse, error) {
	if s.source == SourceMarketo {
		return nil, errMarketoTiers
	}
	rc, err := s.store.RecomputeTiers(ctx, s.tiers, time.Time{})
	if err != nil {
		return nil, entity.StoreError(err)
	}
	return &scoringv1.RecomputeTiersResponse{Boundaries: boundariesProto(rc.Boundaries, s.params, time.Now()), ChangedLeadCount: int32(rc.Changed)}, nil
}

// GetTierBoundaries implements scoringv1.ScoringServiceServer.
func (s *Server) GetTierBoundaries(ctx context.Context, _ *scoringv1.GetTierBoundariesRequest) (*scoringv1.GetTierBoundariesResponse, error) {
	b, err := s.store.Boundaries(ctx, s.tiers.Mode)
	if err != nil {
		return nil, entity.StoreError(err)
	}
	return &scoringv1.GetTierBoundariesResponse{Boundaries: boundariesProto(b, s.params, time.Now())}, nil
}

// bestBetsCursor is where the next Best Bets page starts.
type bestBetsCursor struct {
	Priority int32 `json:"p"`
	LeadID   int32 `json:"l"`
}

// ListBestBets implements scoringv1.ScoringServiceServer.
func (s *Server) ListBestBets(ctx context.Context, req *scoringv1.ListBestBetsRequest) (*scoringv1.ListBestBetsResponse, error) {
	owner := extid.Key(req.GetExternalSalesPersonId())
	if owner == "" {
		return nil, status.Error(codes.InvalidArgument, "external_sales_person_id is required")
	}
	size, err := pageSize(req.GetPageSize(), defaultBestBets, store.MaxBatch)
	if err != nil {
		return nil, err
	}
	query := pagetoken.Query("best-bets", owner)
	var after *store.BestBetsCursor
	if tok := req.GetPageToken(); tok != "" {
		var c bestBetsCursor
		if err := s.tokens.Decode(tok, query, &c); err != nil {
			return nil, status.Error(codes.InvalidArgument, "the page token is not valid for this sales person; start again without it")
		}
		after = &store.BestBetsCursor{Priority: c.Priority, LeadID: c.LeadID}
	}
	found, err := s.store.BestBets(ctx, owner, after, size+1)
	if err != nil {
		return nil, entity.StoreError(err)
	}
	resp := &scoringv1.ListBestBetsResponse{}
	if len(found) > size {
		found = found[:size]
		last := found[len(found)-1]
		if resp.NextPageToken, err = s.tokens.Encode(query, bestBetsCursor{Priority: last.Priority, LeadID: last.LeadID}); err != nil {
			return nil, err
		}
	}
	for _, in := range found {
		resp.BestBets = append(resp.BestBets, &scoringv1.BestBet{LeadId: in.LeadID, ExternalPersonId: in.PersonID, Insight: insightProto(in)})
	}
	return resp, nil
}

// changesCursor is a position in the change feed.
type changesCursor struct {
	Seq int64 `json:"s"`
}

var changesQuery = pagetoken.Query("changes")

// ListChanges implements scoringv1.ScoringServiceServer.
func (s *Server) ListChanges(ctx context.Context, req *scoringv1.ListChangesRequest) (*scoringv1.ListChangesResponse, error) {
	size, err := pageSize(req.GetPageSize(), defaultChanges, maxChanges)
	if err != nil {
		return nil, err
	}
	var c changesCursor
	if cur := req.GetCursor(); cur != "" {
		if err := s.tokens.Decode(cur, changesQuery, &c); err != nil {
			return nil, status.Error(codes.InvalidArgument, "the cursor is not a change-feed cursor of this service")
		}
	}
	found, err := s.store.Changes(ctx, c.Seq, size)
	if err != nil {
		return nil, entity.StoreError(err)
	}
	resp := &scoringv1.ListChangesResponse{NextCursor: req.GetCursor()}
	if len(found) > 0 || resp.NextCursor == "" {
		if len(found) > 0 {
			c.Seq = found[len(found)-1].Seq
		}
		if resp.NextCursor, err = s.tokens.Encode(changesQuery, c); err != nil {
			return nil, err
		}
	}
	for _, ch := range found {
		var fields []scoringv1.MsiField
		for _, n := range ch.Fields.Numbers() {
			fields = append(fields, scoringv1.MsiField(n))
		}
		resp.Changes = append(resp.Changes, &scoringv1.InsightChange{
			LeadId: ch.Insight.LeadID, ExternalPersonId: ch.Insight.PersonID, ChangedFields: fields,
			Insight: insightProto(ch.Insight), ChangeTime: timestamppb.New(ch.Insight.UpdatedAt),
		})
	}
	return resp, nil
}

// activityCursor is a position in the activity log: recorded at or after Since (Unix
// microseconds), with an id above After.
type activityCursor struct {
	Since int64 `json:"s"`
	After int32 `json:"a"`
}

var activitiesQuery = pagetoken.Query("activities")

// GetActivityPagingToken implements scoringv1.ScoringServiceServer.
func (s *Server) GetActivityPagingToken(_ context.Context, req *scoringv1.GetActivityPagingTokenRequest) (*scoringv1.GetActivityPagingTokenResponse, error) {
	ts := req.GetSinceTime()
	if ts == nil {
		return nil, status.Error(codes.InvalidArgument, "since_time is required")
	}
	if err := ts.CheckValid(); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "since_time: %v", err)
	}
	tok, err := s.tokens.Encode(activitiesQuery, activityCursor{Since: ts.AsTime().UnixMicro()})
	if err != nil {
		return nil, err
	}
	return &scoringv1.GetActivityPagingTokenResponse{PageToken: tok}, nil
}

// ListActivities implements scoringv1.ScoringServiceServer.
func (s *Server) ListActivities(ctx context.Context, req *scoringv1.ListActivitiesRequest) (*scoringv1.ListActivitiesResponse, error) {
	if req.GetPageToken() == "" {
		return nil, status.Error(codes.InvalidArgument, "page_token is required: get one from GetActivityPagingToken")
	}
	var c activityCursor
	if err := s.tokens.Decode(req.GetPageToken(), activitiesQuery, &c); err != nil {
		return nil, status.Error(codes.InvalidArgument, "the page token is not an activity paging token of this service")
	}
	kinds := req.GetKinds()
	if len(kinds) == 0 || len(kinds) > 2 {
		return nil, status.Errorf(codes.InvalidArgument, "kinds has %d values; send 1 or 2 distinct kinds", len(kinds))
	}
	f := store.ActivityFilter{Since: time.UnixMicro(c.Since), AfterID: c.After}
	for _, k := range kinds {
		if k != scoringv1.ActivityKind_ACTIVITY_KIND_SCORE_CHANGE && k != scoringv1.ActivityKind_ACTIVITY_KIND_INTERESTING_MOMENT {
			return nil, status.Errorf(codes.InvalidArgument, "kind %v is not an activity kind", k)
		}
		if len(f.Kinds) == 1 && f.Kinds[0] == store.ActivityKind(k) {
			return nil, status.Error(codes.InvalidArgument, "kinds repeats a kind; send distinct kinds")
		}
		f.Kinds = append(f.Kinds, store.ActivityKind(k))
	}
	if len(req.GetLeadIds()) > maxActivityLead {
		return nil, status.Errorf(codes.InvalidArgument, "lead_ids has %d values; send at most %d", len(req.GetLeadIds()), maxActivityLead)
	}
	f.LeadIDs = req.GetLeadIds()
	size, err := pageSize(req.GetPageSize(), store.MaxBatch, store.MaxBatch)
	if err != nil {
		return nil, err
	}
	f.Limit = size + 1
	found, err := s.store.Activities(ctx, f)
	if err != nil {
		return nil, entity.StoreError(err)
	}
	resp := &scoringv1.ListActivitiesResponse{}
	if len(found) > size {
		found, resp.MoreResult = found[:size], true
	}
	if len(found) > 0 {
		c.After = found[len(found)-1].ID
	}
	if resp.NextPageToken, err = s.tokens.Encode(activitiesQuery, c); err != nil {
		return nil, err
	}
	for _, a := range found {
		resp.Activities = append(resp.Activities, activityProto(a))
	}
	return resp, nil
}

// pageSize checks a requested page size: 0 means def, 1 to max are taken as they are.
func pageSize(n int32, def, max int) (int, error) {
	if n < 0 || int(n) > max {
		return 0, status.Errorf(codes.InvalidArgument, "page size %d is out of range; use 1 to %d", n, max)
	}
	if n == 0 {
		return def, nil
	}
	return int(n), nil
}
