package insight

import (
	"context"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
	scoringv1 "github.com/msisync/msisync/gen/msisync/scoring/v1"
	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/platform/pagetoken"
	"github.com/msisync/msisync/platform/records"
	"github.com/msisync/msisync/services/orchestrator/internal/links"
	"github.com/msisync/msisync/services/orchestrator/internal/objects"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// Server implements orchestratorv1.InsightService.
type Server struct {
	orchestratorv1.UnimplementedInsightServiceServer
	links   links.Clients
	scoring scoringv1.ScoringServiceClient
	columns Columns
	crm     Facts
	pages   *pagetoken.Codec
	now     func() time.Time
	// upstream is the outbox of upstream mode, nil in embedded mode (see WithUpstream).
	upstream store.UpstreamStore
}

var _ orchestratorv1.InsightServiceServer = (*Server)(nil)

// Facts is what the insight service reads from the orchestrator's own store: the CRM-side
// facts that connectors report, and the parked sync-run records that diagnostics explain.
type Facts interface {
	store.CrmStore
	store.ConnectorCycleStore
	// GetRedirect says where a merged or qualified record went (see store.MergeStore).
	GetRedirect(ctx context.Context, t store.ObjectType, externalID string) (store.Redirect, error)
	// ListParked lists parked or dead-lettered sync-run records (see store.SyncRunStore).
	ListParked(ctx context.Context, q store.ParkedQuery) ([]store.SyncRecord, error)
}

// New returns the InsightService over the service clients; columns maps MSI fields to the
// CRM's column names for the writeback feed; crm keeps the CRM-side facts that connectors
// report and the parked records; pageKey signs the CRM findings' page tokens (persist it, for example
// store.Secret).
func New(c links.Clients, scoring scoringv1.ScoringServiceClient, columns Columns, crm Facts, pageKey []byte) *Server {
	return &Server{links: c, scoring: scoring, columns: columns, crm: crm, pages: pagetoken.New(pageKey), now: time.Now}
}

// RecordInterestingMoments implements orchestratorv1.InsightServiceServer.
func (s *Server) RecordInterestingMoments(ctx context.Context, req *orchestratorv1.RecordInterestingMomentsRequest) (*orchestratorv1.RecordInterestingMomentsResponse, error) {
	if err := records.CheckBatch(len(req.GetMoments())); err != nil {
		return nil, err
	}
	results := make([]*commonv1.RecordResult, len(req.GetMoments()))
	var in []*scoringv1.InterestingMomentInput
	var pos []int
	for i, m := range req.GetMoments() {
		kind, ok := objects.MomentType(m.GetType())
		if !ok && m.GetType() != "" {
			results[i] = records.Skipped(i, 0, records.Reason(marketo.CodeInvalidValue, "Invalid value '%s' for 'type': use Email, Milestone or Web", m.GetType()))
			continue
		}
		x := &scoringv1.InterestingMomentInput{Type: kind, Description: m.GetDescription(), Source: m.GetSource(), EventTime: m.GetDate()}
		switch p := m.GetPerson().(type) {
		case *orchestratorv1.InterestingMomentInput_LeadId:
			x.Person = &scoringv1.InterestingMomentInput_LeadId{LeadId: p.LeadId}
		case *orchestratorv1.InterestingMomentInput_ExternalPersonId:
			x.Person = &scoringv1.InterestingMomentInput_ExternalPersonId{ExternalPersonId: p.ExternalPersonId}
		}
		in = append(in, x)
		pos = append(pos, i)
	}
	resp := &scoringv1.RecordInterestingMomentsResponse{}
	if len(in) > 0 {
		var err error
		if resp, err = s.scoring.RecordInterestingMoments(ctx, &scoringv1.RecordInterestingMomentsRequest{Moments: in}); err != nil {
			return nil, err
		}
	}
	for n, r := range resp.GetResults() {
		if n < len(pos) {
			r.Index = int32(pos[n])
			results[pos[n]] = r
		}
	}
	return &orchestratorv1.RecordInterestingMomentsResponse{Results: results, Insights: toInsights(resp.GetInsights())}, nil
}

// RecordScoreChanges implements orchestratorv1.InsightServiceServer.
func (s *Server) RecordScoreChanges(ctx context.Context, req *orchestratorv1.RecordScoreChangesRequest) (*orchestratorv1.RecordScoreChangesResponse, error) {
	if err := records.CheckBatch(len(req.GetChanges())); err != nil {
		return nil, err
	}
	in := make([]*scoringv1.ScoreChangeInput, len(req.GetChanges()))
	for i, c := range req.GetChanges() {
		x := &scoringv1.ScoreChangeInput{Reason: c.GetReason(), EventTime: c.GetDate()}
		switch p := c.GetPerson().(type) {
		case *orchestratorv1.ScoreChangeInput_LeadId:
			x.Person = &scoringv1.ScoreChangeInput_LeadId{LeadId: p.LeadId}
		case *orchestratorv1.ScoreChangeInput_ExternalPersonId:
			x.Person = &scoringv1.ScoreChangeInput_ExternalPersonId{ExternalPersonId: p.ExternalPersonId}
		}
		switch v := c.GetChange().(type) {
		case *orchestratorv1.ScoreChangeInput_Delta:
			x.Change = &scoringv1.ScoreChangeInput_Delta{Delta: v.Delta}
		case *orchestratorv1.ScoreChangeInput_NewValue:
			x.Change = &scoringv1.ScoreChangeInput_NewValue{NewValue: v.NewValue}
		}
		in[i] = x
	}
	resp, err := s.scoring.RecordScoreChanges(ctx, &scoringv1.RecordScoreChangesRequest{Changes: in})
	if err != nil {
		return nil, err
	}
	return &orchestratorv1.RecordScoreChangesResponse{Results: resp.GetResults(), Insights: toInsights(resp.GetInsights())}, nil
}

// RecomputeTiers implements orchestratorv1.InsightServiceServer.
func (s *Server) RecomputeTiers(ctx context.Context, _ *orchestratorv1.RecomputeTiersRequest) (*orchestratorv1.RecomputeTiersResponse, error) {
	resp, err := s.scoring.RecomputeTiers(ctx, &scoringv1.RecomputeTiersRequest{})
	if err != nil {
		return nil, err
	}
	return &orchestratorv1.RecomputeTiersResponse{Boundaries: toBoundaries(resp.GetBoundaries()), ChangedLeadCount: resp.GetChangedLeadCount()}, nil
}

// GetTierBoundaries implements orchestratorv1.InsightServiceServer.
func (s *Server) GetTierBoundaries(ctx context.Context, _ *orchestratorv1.GetTierBoundariesRequest) (*orchestratorv1.GetTierBoundariesResponse, error) {
	resp, err := s.scoring.GetTierBoundaries(ctx, &scoringv1.GetTierBoundariesRequest{})
	if err != nil {
		return nil, err
	}
	return &orchestratorv1.GetTierBoundariesResponse{Boundaries: toBoundaries(resp.GetBoundaries())}, nil
}

// ListBestBets implements orchestratorv1.InsightServiceServer: the owner's people by
// priority, each with the details a sales person needs to act, read with one batched call.
func (s *Server) ListBestBets(ctx context.Context, req *orchestratorv1.ListBestBetsRequest) (*orchestratorv1.ListBestBetsResponse, error) {
	if strings.TrimSpace(req.GetExternalSalesPersonId()) == "" {
		return nil, status.Error(codes.InvalidArgument, "name the sales person: /v1/salespersons/{externalSalesPersonId}/best-bets")
	}
	page, err := s.scoring.ListBestBets(ctx, &scoringv1.ListBestBetsRequest{
		ExternalSalesPersonId: req.GetExternalSalesPersonId(), PageSize: req.GetPageSize(), PageToken: req.GetPageToken(),
	})
	if err != nil {
		return nil, err
	}
	resp := &orchestratorv1.ListBestBetsResponse{NextPageToken: page.GetNextPageToken()}
	// People flagged deleted in the CRM are left out (see deleted.go); a page may then hold
	// fewer than page_size.
	people := make([]string, len(page.GetBestBets()))
	for i, b := range page.GetBestBets() {
		people[i] = b.GetExternalPersonId()
	}
	deleted, err := s.deletedInCrm(ctx, people)
	if err != nil {
		return nil, err
	}
	bets := slices.DeleteFunc(page.GetBestBets(), func(b *scoringv1.BestBet) bool { return deleted[personKey(b.GetExternalPersonId())] })
	if len(bets) == 0 {
		return resp, nil
	}
	keys := make([]*personv1.LeadKey, len(bets))
	for i, b := range bets {
		keys[i] = &personv1.LeadKey{Key: &personv1.LeadKey_Id{Id: b.GetLeadId()}}
	}
	got, err := s.links.Leads.BatchGetLeads(ctx, &personv1.BatchGetLeadsRequest{Keys: keys})
	if err != nil {
		return nil, err
	}
	leads := make(map[int32]*personv1.Lead, len(got.GetLeads()))
	for _, l := range got.GetLeads() {
		leads[l.GetId()] = l
	}
	for _, b := range bets {
		bet := &orchestratorv1.BestBet{LeadId: b.GetLeadId(), ExternalPersonId: b.GetExternalPersonId(), Insight: toInsight(b.GetInsight())}
		if l, ok := leads[b.GetLeadId()]; ok {
			bet.FirstName, bet.LastName, bet.Email, bet.Company, bet.LeadStatus = l.GetFirstName(), l.GetLastName(), l.GetEmail(), l.GetCompany(), l.GetLeadStatus()
		}
		resp.BestBets = append(resp.BestBets, bet)
	}
	return resp, nil
}
