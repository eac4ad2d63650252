package records

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
)

func TestDecide(t *testing.T) {
	t.Parallel()
	tests := []struct {
		mode   Mode
		exists bool
		want   Outcome
	}{
		{CreateOnly, false, Created}, {CreateOnly, true, AlreadyExists},
		{UpdateOnly, false, NotFound}, {UpdateOnly, true, Updated},
		{CreateOrUpdate, false, Created}, {CreateOrUpdate, true, Updated},
	}
	for _, tt := range tests {
		if got := Decide(tt.mode, tt.exists); got != tt.want {
			t.Errorf("Decide(%v, %v) = %v, want %v", tt.mode, tt.exists, got, tt.want)
		}
	}
}

func TestParseSync(t *testing.T) {
	t.Parallel()
	mode, byID, err := ParseSync(commonv1.SyncAction_SYNC_ACTION_UNSPECIFIED, commonv1.DedupeBy_DEDUPE_BY_UNSPECIFIED)
	if err != nil || mode != CreateOrUpdate || byID {
		t.Errorf("defaults = %v %v %v; want createOrUpdate by key", mode, byID, err)
	}
	mode, byID, err = ParseSync(commonv1.SyncAction_SYNC_ACTION_UPDATE_ONLY, commonv1.DedupeBy_DEDUPE_BY_ID_FIELD)
	if err != nil || mode != UpdateOnly || !byID {
		t.Errorf("updateOnly by id = %v %v %v", mode, byID, err)
	}
	for _, a := range []commonv1.SyncAction{commonv1.SyncAction_SYNC_ACTION_CREATE_ONLY, commonv1.SyncAction_SYNC_ACTION_CREATE_OR_UPDATE} {
		if _, _, err := ParseSync(a, commonv1.DedupeBy_DEDUPE_BY_ID_FIELD); status.Code(err) != codes.InvalidArgument {
			t.Errorf("%v by id = %v, want InvalidArgument", a, err)
		}
	}
}

func TestRepeatsAndResults(t *testing.T) {
	t.Parallel()
	r := Repeats{}
	if r.Seen("a") || !r.Seen("a") || r.Seen("b") {
		t.Error("Repeats.Seen does not report the second sighting only")
	}
	if got := Result(3, AlreadyExists, 7, "a company with externalCompanyId 'x'"); got.GetReasons()[0].GetCode() != "1017" || got.GetIndex() != 3 || got.GetId() != 7 {
		t.Errorf("AlreadyExists result = %v", got)
	}
	if got := Result(0, NotFound, 0, "x"); got.GetReasons()[0].GetCode() != "1013" {
		t.Errorf("NotFound result = %v", got)
	}
	if got := Deleted(1, 0, false); got.GetStatus() != commonv1.RecordStatus_RECORD_STATUS_SKIPPED || got.GetReasons()[0].GetCode() != "1013" {
		t.Errorf("missing delete = %v", got)
	}
	if err := CheckBatch(301); status.Code(err) != codes.InvalidArgument {
		t.Errorf("CheckBatch(301) = %v", err)
	}
}
