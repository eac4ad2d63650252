package syncrun

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

func TestCheckMerge(t *testing.T) {
	lead, company := orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_LEAD, orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_COMPANY
	merge, qualify := orchestratorv1.MergeKind_MERGE_KIND_MERGE, orchestratorv1.MergeKind_MERGE_KIND_QUALIFY
	guid := "{6F9619FF-8B86-D011-B42D-00C04FC964FF}"
	got, err := checkMerge(0, &orchestratorv1.RecordMerge{ObjectType: lead, Kind: qualify, SubordinateExternalId: guid, MasterExternalId: " C-1 "})
	if err != nil {
		t.Fatal(err)
	}
	if want := (validMerge{t: store.Lead, kind: store.Qualified, sub: "6f9619ff-8b86-d011-b42d-00c04fc964ff", master: "C-1"}); got != want {
		t.Errorf("checkMerge = %+v, want %+v", got, want)
	}
	bad := map[string]struct {
		m    *orchestratorv1.RecordMerge
		want string
	}{
		"opportunity":      {&orchestratorv1.RecordMerge{ObjectType: orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_OPPORTUNITY, Kind: merge, SubordinateExternalId: "a", MasterExternalId: "b"}, "cannot be merged"},
		"no kind":          {&orchestratorv1.RecordMerge{ObjectType: lead, SubordinateExternalId: "a", MasterExternalId: "b"}, "kind must be"},
		"qualify company":  {&orchestratorv1.RecordMerge{ObjectType: company, Kind: qualify, SubordinateExternalId: "a", MasterExternalId: "b"}, "only a lead is qualified"},
		"no subordinate":   {&orchestratorv1.RecordMerge{ObjectType: company, Kind: merge, MasterExternalId: "b"}, "subordinate_external_id"},
		"no master":        {&orchestratorv1.RecordMerge{ObjectType: company, Kind: merge, SubordinateExternalId: "a"}, "master_external_id"},
		"itself, any case": {&orchestratorv1.RecordMerge{ObjectType: lead, Kind: merge, SubordinateExternalId: "abc", MasterExternalId: "ABC"}, "into itself"},
	}
	for name, tt := range bad {
		_, err := checkMerge(3, tt.m)
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "merge 3") {
			t.Errorf("%s: %v, want INVALID_ARGUMENT naming merge 3 and saying %q", name, err, tt.want)
		}
	}
}
