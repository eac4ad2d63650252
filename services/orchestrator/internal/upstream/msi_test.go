package upstream

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
	scoringv1 "github.com/msisync/msisync/gen/msisync/scoring/v1"
	"github.com/msisync/msisync/platform/marketoclient"
)

// sink records what a Poller stores, one slice per call.
type sink struct {
	mu    sync.Mutex
	calls [][]*scoringv1.ReportedInsight
}

func (s *sink) put(_ context.Context, in []*scoringv1.ReportedInsight) error {
	s.mu.Lock()
	s.calls = append(s.calls, in)
	s.mu.Unlock()
	return nil
}

func (s *sink) taken() [][]*scoringv1.ReportedInsight {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.calls
	s.calls = nil
	return out
}

// newPoller returns a poller of the harness's Marketo into s, without periodic backfills.
func (h *harness) newPoller(s *sink) *Poller {
	p := NewPoller(h.store, h.client, s.put, time.Minute, 0, nil)
	p.now = h.clock.now
	return p
}

// state returns a stored upstream_state value.
func (h *harness) state(name string) string {
	h.t.Helper()
	v, err := h.store.GetUpstreamState(h.ctx, name)
	if err != nil {
		h.t.Fatalf("GetUpstreamState(%s): %v", name, err)
	}
	return v
}

// activity is one Change Score or Interesting Moment activity of a Marketo lead.
func activity(id, lead int64, typeID int) marketoclient.Activity {
	return marketoclient.Activity{ID: id, LeadID: lead, ActivityTypeID: typeID, ActivityDate: "2026-11-29T09:30:00Z"}
}

// TestPollerReadsTheMSIFields: the first poll takes a paging token, reads the activities
// after it and the MSI fields of their delivered leads, stores the next token and runs the
// backfill; the next poll reads from the stored token.
func TestPollerReadsTheMSIFields(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	lead := h.putLead(&personv1.Lead{Id: 7, ExternalPersonId: "P-7"})
	h.deliver(lead)
	d, _ := h.delivered(lead)
	mkID := d.MarketoID
	h.mkto.msi[mkID] = map[string]any{
		"id": mkID, "leadScore": 42, "urgency": 3.5, "priority": 80, "relativeScore": 4, "relativeUrgency": 2,
		"msiLastInterestingMomentType": "Web", "msiLastInterestingMomentDate": "2026-11-28T09:30:00Z",
		"msiLastInterestingMomentDesc": "Visited the pricing page", "msiLastInterestingMomentSource": "Web page",
	}
	const unknownLead = 999 // a lead msisync did not deliver
	h.mkto.pages["T0"] = marketoclient.ActivityPage{
		Activities:    []marketoclient.Activity{activity(1, mkID, 22), activity(2, unknownLead, 46), activity(3, mkID, 46)},
		NextPageToken: "T1",
	}
	h.mkto.recorded()
	s := &sink{}
	p := h.newPoller(s)

	if err := p.Poll(h.ctx); err != nil {
		t.Fatalf("first Poll: %v", err)
	}
	calls := h.mkto.recorded()
	want := []string{
		"GET /rest/v1/activities/pagingtoken.json", "GET /rest/v1/activities/types.json", "GET /rest/v1/activities.json",
		"GET " + pathLeads, // the activities' lead
		"GET " + pathLeads, // the backfill
	}
	if got := paths(calls); !slices.Equal(got, want) {
		t.Fatalf("calls = %v, want %v", got, want)
	}
	if since := calls[0].Query.Get("sinceDatetime"); since != t0.Add(linger).Format(time.RFC3339) {
		t.Errorf("paging token since %q, want the poller's now", since)
	}
	if q := calls[2].Query; q.Get("nextPageToken") != "T0" || q.Get("activityTypeIds") != "22,46" {
		t.Errorf("activities query = %v, want token T0 and types 22,46", q)
	}
	if q := calls[3].Query; q.Get("filterType") != "id" || q.Get("filterValues") != strconv.FormatInt(mkID, 10) {
		t.Errorf("lead query = %v, want the delivered lead by id only", q)
	}
	wantInsight := &scoringv1.ReportedInsight{
		LeadId: 7, LeadScore: 42, Urgency: 3.5, Priority: 80, RelativeScore: 4, RelativeUrgency: 2,
		LastInterestingMomentType:   scoringv1.InterestingMomentType_INTERESTING_MOMENT_TYPE_WEB,
		LastInterestingMomentTime:   timestamppb.New(time.Date(2026, 11, 28, 9, 30, 0, 0, time.UTC)),
		LastInterestingMomentDesc:   "Visited the pricing page",
		LastInterestingMomentSource: "Web page",
	}
	stored := s.taken()
	if len(stored) != 2 {
		t.Fatalf("sink calls = %d, want 2 (the activities, then the backfill)", len(stored))
	}
	for i, in := range stored {
		if len(in) != 1 || !proto.Equal(in[0], wantInsight) {
			t.Errorf("sink call %d = %v, want %v", i, in, wantInsight)
		}
	}
	if got := h.state(stateToken); got != "T1" {
		t.Errorf("stored token = %q, want T1", got)
	}
	if got := h.state(stateBackfill); got != "" {
		t.Errorf("backfill progress = %q, want none running", got)
	}
	if h.state(stateBackfillDone) == "" {
		t.Error("the backfill's end is not stored")
	}
	if st := p.Status(); st.Leads != 2 || st.Unknown != 1 || st.Backfilling {
		t.Errorf("status = %+v, want 2 leads read, 1 unknown, no backfill", st)
	}

	// The next poll reads after T1, where nothing happened.
	if err := p.Poll(h.ctx); err != nil {
		t.Fatalf("second Poll: %v", err)
	}
	calls = h.mkto.recorded()
	if got, want := paths(calls), []string{"GET /rest/v1/activities.json"}; !slices.Equal(got, want) {
		t.Fatalf("calls = %v, want %v", got, want)
	}
	if calls[0].Query.Get("nextPageToken") != "T1" {
		t.Errorf("second poll read after %q, want T1", calls[0].Query.Get("nextPageToken"))
	}
	if got := s.taken(); len(got) != 0 {
		t.Errorf("sink calls = %v, want none", got)
	}
}

// TestPollerWithoutMSITypes: an instance without the MSI activity types is a poll error
// that names the fix, and nothing is read.
func TestPollerWithoutMSITypes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.mkto.on(http.MethodGet, "/rest/v1/activities/types.json", func(call) any {
		return []map[string]any{{"id": 1, "name": "Visit Webpage"}}
	})
	s := &sink{}
	err := h.newPoller(s).Poll(h.ctx)
	if err == nil || !strings.Contains(err.Error(), "check that MSI is enabled") {
		t.Fatalf("Poll: %v, want the missing activity types", err)
	}
	if len(only(h.mkto.recorded(), http.MethodGet, "/rest/v1/activities.json")) != 0 || len(s.taken()) != 0 {
		t.Error("activities were read without the MSI activity types")
	}
}
