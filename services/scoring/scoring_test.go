package scoring

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	scoringv1 "github.com/msisync/msisync/gen/msisync/scoring/v1"
	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/mtls"
)

// startService runs a real scoring service on a free port with SQLite in a temp dir and
// returns a client connected over gRPC.
func startService(t *testing.T, cfg Config) (scoringv1.ScoringServiceClient, *grpc.ClientConn) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cfg.Addr = "127.0.0.1:0"
	dataDir := t.TempDir()
	cfg.Store = config.Store{DataDir: dataDir, SQLiteSynchronous: "NORMAL"}
	svc, err := New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- svc.Serve(ctx, lis) }()
	// The service requires the client certificate it generated beside its data.
	creds, err := mtls.Load(mtls.Config{}, dataDir, mtls.Client, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(creds.Transport()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		if err := svc.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return scoringv1.NewScoringServiceClient(conn), conn
}

func statuses(res []*commonv1.RecordResult) []string {
	out := make([]string, len(res))
	for i, r := range res {
		out[i] = strings.TrimPrefix(r.GetStatus().String(), "RECORD_STATUS_")
		for _, reason := range r.GetReasons() {
			out[i] += " " + reason.GetCode()
		}
	}
	return out
}

func link(id int32, person, owner string) *scoringv1.LeadLink {
	return &scoringv1.LeadLink{LeadId: id, ExternalPersonId: person, ExternalSalesPersonId: owner}
}

func byLead(id, delta int32) *scoringv1.ScoreChangeInput {
	return &scoringv1.ScoreChangeInput{Person: &scoringv1.ScoreChangeInput_LeadId{LeadId: id}, Change: &scoringv1.ScoreChangeInput_Delta{Delta: delta}, Reason: "test"}
}

func mustSync(t *testing.T, c scoringv1.ScoringServiceClient, links ...*scoringv1.LeadLink) {
	t.Helper()
	if _, err := c.SyncLeadLinks(context.Background(), &scoringv1.SyncLeadLinksRequest{Links: links}); err != nil {
		t.Fatalf("SyncLeadLinks: %v", err)
	}
}

func mustRecord(t *testing.T, c scoringv1.ScoringServiceClient, changes ...*scoringv1.ScoreChangeInput) *scoringv1.RecordScoreChangesResponse {
	t.Helper()
	res, err := c.RecordScoreChanges(context.Background(), &scoringv1.RecordScoreChangesRequest{Changes: changes})
	if err != nil {
		t.Fatalf("RecordScoreChanges: %v", err)
	}
	return res
}

func TestHealthServing(t *testing.T) {
	t.Parallel()
	_, conn := startService(t, Config{})
	h := healthpb.NewHealthClient(conn)
	for _, name := range []string{"", scoringv1.ScoringService_ServiceDesc.ServiceName} {
		res, err := h.Check(t.Context(), &healthpb.HealthCheckRequest{Service: name})
		if err != nil || res.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("health of %q = %v, %v; want SERVING", name, res, err)
		}
	}
}

func TestReflectionListsServices(t *testing.T) {
	t.Parallel()
	_, conn := startService(t, Config{})
	stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{ListServices: "*"},
	}); err != nil {
		t.Fatal(err)
	}
	res, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range res.GetListServicesResponse().GetService() {
		if !strings.HasPrefix(s.GetName(), "grpc.reflection.") {
			got = append(got, s.GetName())
		}
	}
	slices.Sort(got)
	if diff := cmp.Diff([]string{"grpc.health.v1.Health", "msisync.scoring.v1.ScoringService"}, got); diff != "" {
		t.Errorf("reflected services (-want +got):\n%s", diff)
	}
}

func TestRecordScoreChanges(t *testing.T) {
	t.Parallel()
	c, _ := startService(t, Config{})
	ctx := context.Background()
	const guid = "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
	mustSync(t, c, link(1, "{0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9}", "REP-1"), link(2, "crm-2", ""), link(3, "twin", ""), link(4, "TWIN", ""))
	week := 7 * 24 * time.Hour
	res := mustRecord(t, c,
		&scoringv1.ScoreChangeInput{Person: &scoringv1.ScoreChangeInput_ExternalPersonId{ExternalPersonId: guid}, Change: &scoringv1.ScoreChangeInput_Delta{Delta: 10}, Reason: "Visited pricing"},
		&scoringv1.ScoreChangeInput{Person: &scoringv1.ScoreChangeInput_LeadId{LeadId: 1}, Change: &scoringv1.ScoreChangeInput_NewValue{NewValue: 30}, EventTime: timestamppb.New(time.Now().Add(-week))},
		&scoringv1.ScoreChangeInput{Change: &scoringv1.ScoreChangeInput_Delta{Delta: 1}},
		&scoringv1.ScoreChangeInput{Person: &scoringv1.ScoreChangeInput_LeadId{LeadId: 2}},
		byLead(99, 5),
		&scoringv1.ScoreChangeInput{Person: &scoringv1.ScoreChangeInput_ExternalPersonId{ExternalPersonId: "twin"}, Change: &scoringv1.ScoreChangeInput_Delta{Delta: 1}},
		&scoringv1.ScoreChangeInput{Person: &scoringv1.ScoreChangeInput_LeadId{LeadId: 2}, Change: &scoringv1.ScoreChangeInput_Delta{Delta: 1}, EventTime: timestamppb.New(time.Now().Add(time.Hour))},
		&scoringv1.ScoreChangeInput{Person: &scoringv1.ScoreChangeInput_LeadId{LeadId: 2}, Change: &scoringv1.ScoreChangeInput_Delta{Delta: 1}, Reason: strings.Repeat("x", 256)},
		&scoringv1.ScoreChangeInput{Person: &scoringv1.ScoreChangeInput_LeadId{LeadId: -2}, Change: &scoringv1.ScoreChangeInput_Delta{Delta: 1}},
		&scoringv1.ScoreChangeInput{Person: &scoringv1.ScoreChangeInput_ExternalPersonId{ExternalPersonId: "CRM-2"}, Change: &scoringv1.ScoreChangeInput_Delta{Delta: math.MaxInt32}},
		&scoringv1.ScoreChangeInput{Person: &scoringv1.ScoreChangeInput_ExternalPersonId{ExternalPersonId: "CRM-2"}, Change: &scoringv1.ScoreChangeInput_Delta{Delta: 1}},
	)
	want := []string{"CREATED", "CREATED", "SKIPPED 1002", "SKIPPED 1002", "SKIPPED 1004", "SKIPPED 1007", "SKIPPED 1001", "SKIPPED 1001", "SKIPPED 1001", "CREATED", "SKIPPED 1001"}
	if diff := cmp.Diff(want, statuses(res.GetResults())); diff != "" {
		t.Fatalf("statuses (-want +got):\n%s", diff)
	}
	if id0, id1 := res.GetResults()[0].GetId(), res.GetResults()[1].GetId(); id0 == 0 || id1 <= id0 {
		t.Errorf("activity ids %d, %d", id0, id1)
	}
	// Lead 1: +10 now, then set to 30 (+20) as of a week ago: urgency 10 + 20/2 = 20.
	type v struct {
		Lead   int32
		Person string
		Score  int32
		Urg    float64
	}
	var got []v
	for _, in := range res.GetInsights() {
		got = append(got, v{in.GetLeadId(), in.GetExternalPersonId(), in.GetLeadScore(), math.Round(in.GetUrgency()*1000) / 1000})
	}
	if diff := cmp.Diff([]v{{1, guid, 30, 20}, {2, "crm-2", math.MaxInt32, math.MaxInt32}}, got); diff != "" {
		t.Errorf("insights (-want +got):\n%s", diff)
	}
	if _, err := c.RecordScoreChanges(ctx, &scoringv1.RecordScoreChangesRequest{}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("empty batch: %v, want InvalidArgument", err)
	}
}

func TestInterestingMoments(t *testing.T) {
	t.Parallel()
	c, _ := startService(t, Config{})
	ctx := context.Background()
	mustSync(t, c, link(1, "p-1", ""))
	at := time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC)
	moment := func(typ scoringv1.InterestingMomentType, desc, source string) *scoringv1.InterestingMomentInput {
		return &scoringv1.InterestingMomentInput{Person: &scoringv1.InterestingMomentInput_ExternalPersonId{ExternalPersonId: "P-1"}, Type: typ, Description: desc, Source: source, EventTime: timestamppb.New(at)}
	}
	res, err := c.RecordInterestingMoments(ctx, &scoringv1.RecordInterestingMomentsRequest{Moments: []*scoringv1.InterestingMomentInput{
		moment(scoringv1.InterestingMomentType_INTERESTING_MOMENT_TYPE_WEB, "Visited pricing", ""),
		moment(scoringv1.InterestingMomentType_INTERESTING_MOMENT_TYPE_UNSPECIFIED, "x", ""),
		moment(scoringv1.InterestingMomentType_INTERESTING_MOMENT_TYPE_EMAIL, "  ", ""),
		moment(scoringv1.InterestingMomentType_INTERESTING_MOMENT_TYPE_EMAIL, strings.Repeat("é", 256), ""),
		moment(scoringv1.InterestingMomentType(7), "x", ""),
		{Person: &scoringv1.InterestingMomentInput_LeadId{LeadId: 5}, Type: scoringv1.InterestingMomentType_INTERESTING_MOMENT_TYPE_EMAIL, Description: "x"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"CREATED", "SKIPPED 1002", "SKIPPED 1002", "SKIPPED 1001", "SKIPPED 1001", "SKIPPED 1004"}
	if diff := cmp.Diff(want, statuses(res.GetResults())); diff != "" {
		t.Fatalf("statuses (-want +got):\n%s", diff)
	}
	got, err := c.BatchGetInsights(ctx, &scoringv1.BatchGetInsightsRequest{LeadIds: []int32{1, 1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.GetInsights()) != 2 {
		t.Fatalf("insights = %v", got.GetInsights())
	}
	for _, in := range got.GetInsights() {
		switch in.GetLeadId() {
		case 1:
			if in.GetLastInterestingMomentType() != scoringv1.InterestingMomentType_INTERESTING_MOMENT_TYPE_WEB || in.GetLastInterestingMomentDesc() != "Visited pricing" ||
				in.GetLastInterestingMomentSource() != "REST API" || !in.GetLastInterestingMomentTime().AsTime().Equal(at) || in.GetUpdateTime() == nil {
				t.Errorf("lead 1 = %v", in)
			}
		case 2:
			if in.GetLastInterestingMomentTime() != nil || in.GetUpdateTime() != nil || in.GetLeadScore() != 0 {
				t.Errorf("unknown lead 2 = %v", in)
			}
		}
	}
}

func TestRecomputeAndBestBets(t *testing.T) {
	t.Parallel()
	c, _ := startService(t, Config{})
	ctx := context.Background()
	b, err := c.GetTierBoundaries(ctx, &scoringv1.GetTierBoundariesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if b.GetBoundaries().GetMode() != scoringv1.TierBoundariesMode_TIER_BOUNDARIES_MODE_DYNAMIC || !math.IsInf(b.GetBoundaries().GetScoreThresholds()[2], 1) || b.GetBoundaries().GetComputeTime() != nil {
		t.Errorf("boundaries before computing = %v", b)
	}
	var links []*scoringv1.LeadLink
	var changes []*scoringv1.ScoreChangeInput
	for i := int32(1); i <= 100; i++ {
		links = append(links, link(i, fmt.Sprintf("p-%d", i), "Rep-A"))
		changes = append(changes, byLead(i, i))
	}
	mustSync(t, c, links...)
	mustRecord(t, c, changes...)
	rc, err := c.RecomputeTiers(ctx, &scoringv1.RecomputeTiersRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]float64{71, 91, 99}, rc.GetBoundaries().GetScoreThresholds()); diff != "" {
		t.Errorf("score thresholds (-want +got):\n%s", diff)
	}
	if rc.GetChangedLeadCount() != 30 || rc.GetBoundaries().GetScoredLeadCount() != 100 {
		t.Errorf("recompute = %v", rc)
	}
	// Urgency equals score here, so flames equal stars: priorities 100 (2 leads), 67 (8),
	// 34 (20).
	var got []string
	token := ""
	for page := 0; page < 30; page++ {
		res, err := c.ListBestBets(ctx, &scoringv1.ListBestBetsRequest{ExternalSalesPersonId: "rep-a", PageSize: 7, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, bb := range res.GetBestBets() {
			got = append(got, fmt.Sprintf("%d:%d", bb.GetLeadId(), bb.GetInsight().GetPriority()))
		}
		if token = res.GetNextPageToken(); token == "" {
			break
		}
	}
	// Highest priority first, lead ids ascending within a priority.
	var want []string
	for _, tier := range []struct{ from, to, priority int }{{99, 100, 100}, {91, 98, 67}, {71, 90, 34}} {
		for i := tier.from; i <= tier.to; i++ {
			want = append(want, fmt.Sprintf("%d:%d", i, tier.priority))
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("best bets (-want +got):\n%s", diff)
	}
	errs := map[string]error{}
	_, errs["no owner"] = c.ListBestBets(ctx, &scoringv1.ListBestBetsRequest{})
	_, errs["page size"] = c.ListBestBets(ctx, &scoringv1.ListBestBetsRequest{ExternalSalesPersonId: "rep-a", PageSize: 301})
	first, err := c.ListBestBets(ctx, &scoringv1.ListBestBetsRequest{ExternalSalesPersonId: "rep-a", PageSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, errs["token of another owner"] = c.ListBestBets(ctx, &scoringv1.ListBestBetsRequest{ExternalSalesPersonId: "rep-b", PageToken: first.GetNextPageToken()})
	for name, err := range errs {
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: %v, want InvalidArgument", name, err)
		}
	}
}

func TestListChanges(t *testing.T) {
	t.Parallel()
	c, _ := startService(t, Config{})
	ctx := context.Background()
	empty, err := c.ListChanges(ctx, &scoringv1.ListChangesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(empty.GetChanges()) != 0 || empty.GetNextCursor() == "" {
		t.Fatalf("empty feed = %v", empty)
	}
	mustSync(t, c, link(1, "P-1", ""), link(2, "", ""))
	mustRecord(t, c, byLead(1, 5), byLead(2, 3))
	mustRecord(t, c, byLead(1, -5))
	page, err := c.ListChanges(ctx, &scoringv1.ListChangesRequest{Cursor: empty.GetNextCursor(), PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ch := range page.GetChanges() {
		got = append(got, fmt.Sprintf("%d %q %v score=%d", ch.GetLeadId(), ch.GetExternalPersonId(), ch.GetChangedFields(), ch.GetInsight().GetLeadScore()))
		if ch.GetChangeTime() == nil || !ch.GetChangeTime().AsTime().Equal(ch.GetInsight().GetUpdateTime().AsTime()) {
			t.Errorf("change time %v, update time %v", ch.GetChangeTime(), ch.GetInsight().GetUpdateTime())
		}
	}
	rest, err := c.ListChanges(ctx, &scoringv1.ListChangesRequest{Cursor: page.GetNextCursor()})
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range rest.GetChanges() {
		got = append(got, fmt.Sprintf("%d %q %v score=%d", ch.GetLeadId(), ch.GetExternalPersonId(), ch.GetChangedFields(), ch.GetInsight().GetLeadScore()))
	}
	want := []string{
		`1 "P-1" [MSI_FIELD_LEAD_SCORE MSI_FIELD_URGENCY] score=5`,
		`2 "" [MSI_FIELD_LEAD_SCORE MSI_FIELD_URGENCY] score=3`,
		`1 "P-1" [MSI_FIELD_LEAD_SCORE] score=0`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("feed (-want +got):\n%s", diff)
	}
	// Nothing new: the same cursor comes back.
	again, err := c.ListChanges(ctx, &scoringv1.ListChangesRequest{Cursor: rest.GetNextCursor()})
	if err != nil || len(again.GetChanges()) != 0 || again.GetNextCursor() != rest.GetNextCursor() {
		t.Errorf("poll with nothing new = %v, %v", again, err)
	}
	for name, req := range map[string]*scoringv1.ListChangesRequest{
		"bad cursor": {Cursor: "nope"},
		"page size":  {PageSize: 1001},
	} {
		if _, err := c.ListChanges(ctx, req); status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: %v, want InvalidArgument", name, err)
		}
	}
}

func TestActivities(t *testing.T) {
	t.Parallel()
	c, _ := startService(t, Config{})
	ctx := context.Background()
	tok, err := c.GetActivityPagingToken(ctx, &scoringv1.GetActivityPagingTokenRequest{SinceTime: timestamppb.New(time.Now().Add(-time.Minute))})
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, c, link(1, "", ""), link(2, "", ""))
	mustRecord(t, c, byLead(1, 4), byLead(2, 6))
	if _, err := c.RecordInterestingMoments(ctx, &scoringv1.RecordInterestingMomentsRequest{Moments: []*scoringv1.InterestingMomentInput{
		{Person: &scoringv1.InterestingMomentInput_LeadId{LeadId: 2}, Type: scoringv1.InterestingMomentType_INTERESTING_MOMENT_TYPE_MILESTONE, Description: "MQL", Source: "flow"},
	}}); err != nil {
		t.Fatal(err)
	}
	both := []scoringv1.ActivityKind{scoringv1.ActivityKind_ACTIVITY_KIND_SCORE_CHANGE, scoringv1.ActivityKind_ACTIVITY_KIND_INTERESTING_MOMENT}
	var got []string
	token := tok.GetPageToken()
	for page := 0; page < 10; page++ {
		res, err := c.ListActivities(ctx, &scoringv1.ListActivitiesRequest{PageToken: token, Kinds: both, PageSize: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range res.GetActivities() {
			if sc := a.GetScoreChange(); sc != nil {
				got = append(got, fmt.Sprintf("score %d %+d %d→%d %s", sc.GetLeadId(), sc.GetChangeValue(), sc.GetOldValue(), sc.GetNewValue(), sc.GetReason()))
			} else {
				im := a.GetInterestingMoment()
				got = append(got, fmt.Sprintf("moment %d %v %s %s", im.GetLeadId(), im.GetType(), im.GetDescription(), im.GetSource()))
			}
		}
		if res.GetNextPageToken() == "" {
			t.Fatal("no next page token")
		}
		token = res.GetNextPageToken()
		if !res.GetMoreResult() {
			break
		}
	}
	want := []string{"score 1 +4 0→4 test", "score 2 +6 0→6 test", "moment 2 INTERESTING_MOMENT_TYPE_MILESTONE MQL flow"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("activities (-want +got):\n%s", diff)
	}
	// Polling with the last token finds only what is recorded after it.
	mustRecord(t, c, byLead(1, 1))
	res, err := c.ListActivities(ctx, &scoringv1.ListActivitiesRequest{PageToken: token, Kinds: both[:1], LeadIds: []int32{1}})
	if err != nil || len(res.GetActivities()) != 1 || res.GetActivities()[0].GetScoreChange().GetNewValue() != 5 || res.GetMoreResult() {
		t.Errorf("poll = %v, %v", res, err)
	}
	for name, req := range map[string]*scoringv1.ListActivitiesRequest{
		"no token":    {Kinds: both},
		"bad token":   {PageToken: "x", Kinds: both},
		"no kinds":    {PageToken: token},
		"unspecified": {PageToken: token, Kinds: []scoringv1.ActivityKind{0}},
		"repeated":    {PageToken: token, Kinds: []scoringv1.ActivityKind{1, 1}},
		"31 leads":    {PageToken: token, Kinds: both, LeadIds: make([]int32, 31)},
		"page size":   {PageToken: token, Kinds: both, PageSize: 301},
	} {
		if _, err := c.ListActivities(ctx, req); status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: %v, want InvalidArgument", name, err)
		}
	}
	if _, err := c.GetActivityPagingToken(ctx, &scoringv1.GetActivityPagingTokenRequest{}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("token without since_time: %v", err)
	}
}

func TestDeleteLeadLinksAndBatchLimits(t *testing.T) {
	t.Parallel()
	c, _ := startService(t, Config{})
	ctx := context.Background()
	mustSync(t, c, link(1, "p-1", ""))
	mustRecord(t, c, byLead(1, 5))
	if _, err := c.DeleteLeadLinks(ctx, &scoringv1.DeleteLeadLinksRequest{LeadIds: []int32{1, 404}}); err != nil {
		t.Fatal(err)
	}
	res := mustRecord(t, c, byLead(1, 5))
	if diff := cmp.Diff([]string{"SKIPPED 1004"}, statuses(res.GetResults())); diff != "" {
		t.Errorf("after delete (-want +got):\n%s", diff)
	}
	big := make([]int32, 301)
	var bigLinks []*scoringv1.LeadLink
	for i := range big {
		big[i] = int32(i + 1)
		bigLinks = append(bigLinks, link(int32(i+1), "", ""))
	}
	errs := map[string]error{}
	_, errs["links 301"] = c.SyncLeadLinks(ctx, &scoringv1.SyncLeadLinksRequest{Links: bigLinks})
	_, errs["links bad id"] = c.SyncLeadLinks(ctx, &scoringv1.SyncLeadLinksRequest{Links: []*scoringv1.LeadLink{link(0, "", "")}})
	_, errs["links long id"] = c.SyncLeadLinks(ctx, &scoringv1.SyncLeadLinksRequest{Links: []*scoringv1.LeadLink{link(1, strings.Repeat("x", 256), "")}})
	_, errs["delete 301"] = c.DeleteLeadLinks(ctx, &scoringv1.DeleteLeadLinksRequest{LeadIds: big})
	_, errs["insights 301"] = c.BatchGetInsights(ctx, &scoringv1.BatchGetInsightsRequest{LeadIds: big})
	_, errs["insights 0"] = c.BatchGetInsights(ctx, &scoringv1.BatchGetInsightsRequest{})
	for name, err := range errs {
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: %v, want InvalidArgument", name, err)
		}
	}
}

func TestStaticModeAndRunSchedule(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := Config{Addr: "127.0.0.1:0", Store: config.Store{DataDir: t.TempDir(), SQLiteSynchronous: "NORMAL"}, TierMode: "static", StarThresholds: "1,2,3", FlameThresholds: "1,2,3"}
	svc, err := New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := svc.store.Boundaries(ctx, svc.tiers.Mode)
		if err != nil {
			t.Fatal(err)
		}
		if !b.ComputedAt.IsZero() {
			if diff := cmp.Diff([3]float64{1, 2, 3}, b.Score); diff != "" || b.ScoredLeads != 0 {
				t.Errorf("scheduled static boundaries (-want +got):\n%s", diff)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Run did not compute the boundaries at start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	store := config.Store{DataDir: "x", SQLiteSynchronous: "NORMAL"}
	if err := (Config{Addr: "127.0.0.1:9105", Store: store}).Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"address", Config{Addr: "no-port"}, "MSISYNC_SCORING_ADDR"},
		{"half-life", Config{UrgencyHalfLife: time.Second}, "MSISYNC_SCORING_URGENCY_HALF_LIFE"},
		{"interval", Config{RecomputeInterval: -time.Hour}, "MSISYNC_SCORING_RECOMPUTE_INTERVAL"},
		{"mode", Config{TierMode: "fancy"}, "MSISYNC_SCORING_TIER_MODE"},
		{"brackets over 100", Config{Brackets: "50,40,20"}, "MSISYNC_SCORING_BRACKETS"},
		{"brackets not numbers", Config{Brackets: "a,b,c"}, "MSISYNC_SCORING_BRACKETS"},
		{"stars descending", Config{StarThresholds: "100,50,20"}, "MSISYNC_SCORING_STAR_THRESHOLDS"},
		{"flames two values", Config{FlameThresholds: "5,10"}, "MSISYNC_SCORING_FLAME_THRESHOLDS"},
	}
	for _, tt := range tests {
		if tt.cfg.Addr == "" {
			tt.cfg.Addr = "127.0.0.1:9105"
		}
		tt.cfg.Store = store
		err := tt.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error naming %s", tt.name, err, tt.want)
		}
	}
	if _, err := New(context.Background(), Config{Addr: "no-port", Store: store}, slog.New(slog.DiscardHandler)); err == nil {
		t.Error("New accepted an address without a port")
	}
}
