package insight

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	ov1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// fakeUpstream is the outbox of upstream mode in memory: what Marketo holds of each record
// and why the waiting ones wait. Only GetDelivered and WaitReasons are expected.
type fakeUpstream struct {
	store.UpstreamStore
	delivered map[store.UpstreamKey]store.Delivered
	waits     map[store.UpstreamKey]string
	calls     map[string]int
}

func newFakeUpstream() *fakeUpstream {
	return &fakeUpstream{delivered: map[store.UpstreamKey]store.Delivered{}, waits: map[store.UpstreamKey]string{}, calls: map[string]int{}}
}

func (f *fakeUpstream) GetDelivered(_ context.Context, keys []store.UpstreamKey) (map[store.UpstreamKey]store.Delivered, error) {
	f.calls["GetDelivered"]++
	out := map[store.UpstreamKey]store.Delivered{}
	for _, k := range keys {
		if d, ok := f.delivered[k]; ok {
			out[k] = d
		}
	}
	return out, nil
}

func (f *fakeUpstream) WaitReasons(_ context.Context, keys []store.UpstreamKey) (map[store.UpstreamKey]string, error) {
	f.calls["WaitReasons"]++
	out := map[store.UpstreamKey]string{}
	for _, k := range keys {
		if why, ok := f.waits[k]; ok {
			out[k] = why
		}
	}
	return out, nil
}

var (
	answered = time.Date(2026, 12, 7, 3, 12, 45, 0, time.UTC)
	lead7    = store.UpstreamKey{Object: store.UpstreamLead, LocalID: "7"}
	queued   = "queued since 2026-12-07T03:15:00Z"
)

// lastCheck returns a report's last check.
func lastCheck(t *testing.T, checks []*ov1.DiagnosticCheck) *ov1.DiagnosticCheck {
	t.Helper()
	if len(checks) == 0 {
		t.Fatal("no checks")
	}
	return checks[len(checks)-1]
}

func TestPersonDiagnosticsSayWhatMarketoHoldsInUpstreamMode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		delivered *store.Delivered
		wait      string
		want      *ov1.DiagnosticCheck
	}{
		{
			name:      "accepted",
			delivered: &store.Delivered{MarketoID: 1234567, Status: "updated", At: answered},
			want:      check("accepted by Marketo", true, "accepted by Marketo: lead 1234567 (updated 2026-12-07 03:12 UTC)"),
		},
		{
			name:      "accepted, a newer version waits",
			delivered: &store.Delivered{MarketoID: 1234567, Status: "created", At: answered},
			wait:      queued,
			want:      check("accepted by Marketo", true, "accepted by Marketo: lead 1234567 (created 2026-12-07 03:12 UTC); a newer version is waiting: "+queued),
		},
		{
			name:      "skipped with a known code",
			delivered: &store.Delivered{Status: "skipped", Code: "1006", Message: "Field 'msiRegion' not found", At: answered},
			want: check("accepted by Marketo", false,
				"not accepted by Marketo: 1006 the field does not exist in this Marketo instance: create it in Admin → Field Management or remove it from the mapping: Field 'msiRegion' not found"),
		},
		{
			name:      "skipped with another code",
			delivered: &store.Delivered{Status: "skipped", Code: "1020", Message: "Lead is locked", At: answered},
			want:      check("accepted by Marketo", false, "not accepted by Marketo: 1020: Lead is locked"),
		},
		{
			name:      "an update skipped: Marketo's id does not make it accepted",
			delivered: &store.Delivered{MarketoID: 1234567, Status: "skipped", Code: "1003", Message: "Invalid email", At: answered},
			want:      check("accepted by Marketo", false, "not accepted by Marketo: 1003 Marketo refused a value: Invalid email"),
		},
		{
			name:      "not sent by msisync",
			delivered: &store.Delivered{Status: "unsent", Message: "not forwarded: the lead has no externalPersonId, by which MSI finds people", At: answered},
			want:      check("accepted by Marketo", false, "not forwarded: the lead has no externalPersonId, by which MSI finds people"),
		},
		{
			name: "waiting",
			wait: "waiting for company acme to reach Marketo since 2026-12-07T03:15:00Z",
			want: check("accepted by Marketo", false, "waiting for Marketo: waiting for company acme to reach Marketo since 2026-12-07T03:15:00Z"),
		},
		{
			name:      "skipped, then waiting again",
			delivered: &store.Delivered{Status: "skipped", Code: "1013", Message: "Company not found", At: answered},
			wait:      queued,
			want:      check("accepted by Marketo", false, "waiting for Marketo: "+queued+"; the version before: not accepted by Marketo: 1013 the parent is not in Marketo: Company not found"),
		},
		{
			name: "neither delivered nor waiting",
			want: check("accepted by Marketo", false, "not in Marketo yet"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			seed(h, "ann@example.com")
			up := newFakeUpstream()
			if tt.delivered != nil {
				up.delivered[lead7] = *tt.delivered
			}
			if tt.wait != "" {
				up.waits[lead7] = tt.wait
			}
			h.srv.WithUpstream(up)
			got, err := h.srv.GetPersonDiagnostics(context.Background(), &ov1.GetPersonDiagnosticsRequest{ExternalPersonId: "lead-1"})
			if err != nil {
				t.Fatal(err)
			}
			want := concat([]*ov1.DiagnosticCheck{check("lead synced", true, "the lead with externalPersonId 'lead-1' is synced")}, leadOwnerChecks, leadTailChecks, []*ov1.DiagnosticCheck{tt.want})
			if diff := cmp.Diff(want, got.GetChecks(), protocmp.Transform()); diff != "" {
				t.Errorf("checks (-want +got):\n%s", diff)
			}
			if up.calls["GetDelivered"] != 1 || up.calls["WaitReasons"] != 1 {
				t.Errorf("calls to the outbox = %v, want one GetDelivered and one WaitReasons", up.calls)
			}
		})
	}
}

func TestCompanyAndOpportunityDiagnosticsSayWhatMarketoHolds(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	seed(h, "ann@example.com")
	h.opportunities.byKey[extid.Key("opp-1")].MarketoGuid = "{0F8FAD5B-D9CB-469F-A165-70867728950E}"
	up := newFakeUpstream()
	up.delivered[store.UpstreamKey{Object: store.UpstreamCompany, LocalID: "1"}] = store.Delivered{MarketoID: 4021, Status: "created", At: answered}
	up.delivered[store.UpstreamKey{Object: store.UpstreamOpportunity, LocalID: "0f8fad5b-d9cb-469f-a165-70867728950e"}] = store.Delivered{
		MarketoGUID: "5e0c1f7a-1111-4c2d-9e3f-abcdefabcdef", Status: "updated", At: answered,
	}
	h.srv.WithUpstream(up)
	ctx := context.Background()

	company, err := h.srv.GetCompanyDiagnostics(ctx, &ov1.GetCompanyDiagnosticsRequest{ExternalCompanyId: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	want := check("accepted by Marketo", true, "accepted by Marketo: company 4021 (created 2026-12-07 03:12 UTC)")
	if diff := cmp.Diff(want, lastCheck(t, company.GetChecks()), protocmp.Transform()); diff != "" {
		t.Errorf("company's last check (-want +got):\n%s", diff)
	}

	opp, err := h.srv.GetOpportunityDiagnostics(ctx, &ov1.GetOpportunityDiagnosticsRequest{ExternalOpportunityId: "opp-1"})
	if err != nil {
		t.Fatal(err)
	}
	want = check("accepted by Marketo", true, "accepted by Marketo: opportunity 5e0c1f7a-1111-4c2d-9e3f-abcdefabcdef (updated 2026-12-07 03:12 UTC)")
	if diff := cmp.Diff(want, lastCheck(t, opp.GetChecks()), protocmp.Transform()); diff != "" {
		t.Errorf("opportunity's last check (-want +got):\n%s", diff)
	}
	if up.calls["GetDelivered"] != 2 || up.calls["WaitReasons"] != 2 {
		t.Errorf("calls to the outbox = %v, want one GetDelivered and one WaitReasons per report", up.calls)
	}
}

func TestEmbeddedModeDiagnosticsHaveNoMarketoCheck(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	seed(h, "ann@example.com")
	h.srv.WithUpstream(nil)
	ctx := context.Background()
	person, err := h.srv.GetPersonDiagnostics(ctx, &ov1.GetPersonDiagnosticsRequest{ExternalPersonId: "lead-1"})
	if err != nil {
		t.Fatal(err)
	}
	company, err := h.srv.GetCompanyDiagnostics(ctx, &ov1.GetCompanyDiagnosticsRequest{ExternalCompanyId: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	opp, err := h.srv.GetOpportunityDiagnostics(ctx, &ov1.GetOpportunityDiagnosticsRequest{ExternalOpportunityId: "opp-1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, checks := range [][]*ov1.DiagnosticCheck{person.GetChecks(), company.GetChecks(), opp.GetChecks()} {
		for _, c := range checks {
			if c.GetName() == "accepted by Marketo" {
				t.Errorf("embedded mode has the check %q: %s", c.GetName(), c.GetMessage())
			}
		}
	}
}

func TestSkipReasonsInWords(t *testing.T) {
	t.Parallel()
	tests := []struct{ code, message, want string }{
		{"1003", "Invalid value", "1003 Marketo refused a value: Invalid value"},
		{"1004", "Lead not found", "1004 Marketo has no such lead to update: Lead not found"},
		{"1007", "Multiple lead match lookup criteria", "1007 several Marketo leads share this key: merge the duplicates in Marketo: Multiple lead match lookup criteria"},
		{"718", "", "718 Marketo has no sales person with this externalSalesPersonId"},
		{"", "no reason given", "no reason given"},
	}
	for _, tt := range tests {
		if got := skipReason(tt.code, tt.message); got != tt.want {
			t.Errorf("skipReason(%q, %q) = %q, want %q", tt.code, tt.message, got, tt.want)
		}
	}
}
