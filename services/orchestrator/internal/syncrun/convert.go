package syncrun

import (
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	"github.com/msisync/msisync/platform/records"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// keyFields names the field that keys each object type (roles have a compound key).
var keyFields = map[store.ObjectType]string{
	store.SalesPerson: "externalSalesPersonId",
	store.Company:     "externalCompanyId",
	store.Lead:        "externalPersonId",
	store.Opportunity: "externalOpportunityId",
}

// text renders a scalar field of a record as text ("" when absent or not a scalar).
func text(s *structpb.Struct, name string) string {
	switch k := s.GetFields()[name].GetKind().(type) {
	case *structpb.Value_StringValue:
		return strings.TrimSpace(k.StringValue)
	case *structpb.Value_NumberValue:
		return strconv.FormatFloat(k.NumberValue, 'f', -1, 64)
	case *structpb.Value_BoolValue:
		return strconv.FormatBool(k.BoolValue)
	}
	return ""
}

// recordKey is a record's own key for display: its external id, or for a role
// externalOpportunityId/leadId/role (externalPersonId when leadId is not given). A key that
// cannot be stored as text (a NUL, say) is kept with U+FFFD in its place: the record itself is
// refused, with its reason, when it is applied.
func recordKey(t store.ObjectType, s *structpb.Struct) string {
	if f, ok := keyFields[t]; ok {
		return records.Printable(text(s, f))
	}
	lead := text(s, "leadId")
	if lead == "" {
		lead = text(s, "externalPersonId")
	}
	return records.Printable(text(s, "externalOpportunityId") + "/" + lead + "/" + text(s, "role"))
}

// newRecords turns one list of a request into records to store.
func newRecords(t store.ObjectType, list []*structpb.Struct) ([]store.SyncRecord, error) {
	out := make([]store.SyncRecord, len(list))
	for i, s := range list {
		if s == nil {
			s = &structpb.Struct{}
		}
		b, err := protojson.Marshal(s)
		if err != nil {
			return nil, err
		}
		out[i] = store.SyncRecord{ObjectType: t, Index: i, Record: b, Key: recordKey(t, s)}
	}
	return out, nil
}

// reasonOf converts a service reason.
func reasonOf(r *commonv1.Reason) store.Reason {
	return store.Reason{Code: r.GetCode(), Message: records.Printable(r.GetMessage())}
}

// statusName is the stored name of an applied record's status.
func statusName(s commonv1.RecordStatus) string {
	if s == commonv1.RecordStatus_RECORD_STATUS_CREATED {
		return "created"
	}
	return "updated"
}

var runStates = map[store.RunState]orchestratorv1.SyncRunState{
	store.RunQueued:    orchestratorv1.SyncRunState_SYNC_RUN_STATE_QUEUED,
	store.RunRunning:   orchestratorv1.SyncRunState_SYNC_RUN_STATE_RUNNING,
	store.RunWaiting:   orchestratorv1.SyncRunState_SYNC_RUN_STATE_WAITING,
	store.RunCompleted: orchestratorv1.SyncRunState_SYNC_RUN_STATE_COMPLETED,
	store.RunFailed:    orchestratorv1.SyncRunState_SYNC_RUN_STATE_FAILED,
}

var recordStates = map[store.RecordState]orchestratorv1.SyncRecordState{
	store.RecordPending:      orchestratorv1.SyncRecordState_SYNC_RECORD_STATE_PENDING,
	store.RecordApplied:      orchestratorv1.SyncRecordState_SYNC_RECORD_STATE_APPLIED,
	store.RecordParked:       orchestratorv1.SyncRecordState_SYNC_RECORD_STATE_PARKED,
	store.RecordRejected:     orchestratorv1.SyncRecordState_SYNC_RECORD_STATE_REJECTED,
	store.RecordDeadLettered: orchestratorv1.SyncRecordState_SYNC_RECORD_STATE_DEAD_LETTERED,
	store.RecordDropped:      orchestratorv1.SyncRecordState_SYNC_RECORD_STATE_DROPPED,
}

// storeRecordState is the store's name of a record state filter ("" for unspecified).
func storeRecordState(s orchestratorv1.SyncRecordState) (store.RecordState, bool) {
	if s == orchestratorv1.SyncRecordState_SYNC_RECORD_STATE_UNSPECIFIED {
		return "", true
	}
	for k, v := range recordStates {
		if v == s {
			return k, true
		}
	}
	return "", false
}

// parentTypes maps parent kinds to object types.
var parentTypes = map[string]orchestratorv1.SyncObjectType{
	kindSalesPerson: orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_SALES_PERSON,
	kindCompany:     orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_COMPANY,
	kindLead:        orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_LEAD,
	kindLeadID:      orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_LEAD,
	kindOpportunity: orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_OPPORTUNITY,
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// runProto converts a run and its counts.
func runProto(r store.SyncRun, counts []store.Counts) *orchestratorv1.SyncRun {
	out := &orchestratorv1.SyncRun{
		SyncId:       r.ID,
		RequestId:    r.RequestID,
		State:        runStates[r.State],
		CreateTime:   ts(r.CreatedAt),
		StartTime:    ts(r.StartedAt),
		CompleteTime: ts(r.CompletedAt),
	}
	if r.State != store.RunCompleted {
		out.CompleteTime = nil
	}
	for _, c := range counts {
		pc := &orchestratorv1.SyncRunCounts{
			ObjectType:   orchestratorv1.SyncObjectType(c.ObjectType),
			Applied:      int32(c.ByState[store.RecordApplied]),
			Parked:       int32(c.ByState[store.RecordParked]),
			Rejected:     int32(c.ByState[store.RecordRejected]),
			Pending:      int32(c.ByState[store.RecordPending]),
			DeadLettered: int32(c.ByState[store.RecordDeadLettered]),
			Dropped:      int32(c.ByState[store.RecordDropped]),
		}
		for _, n := range c.ByState {
			pc.Total += int32(n)
		}
		out.Counts = append(out.Counts, pc)
	}
	return out
}

func reasonsProto(rs []store.Reason) []*commonv1.Reason {
	var out []*commonv1.Reason
	for _, r := range rs {
		out = append(out, &commonv1.Reason{Code: r.Code, Message: r.Message})
	}
	return out
}

func missingProto(r store.SyncRecord) *orchestratorv1.MissingParent {
	if r.Missing.Kind == "" {
		return nil
	}
	return &orchestratorv1.MissingParent{ObjectType: parentTypes[r.Missing.Kind], Key: r.MissingDisplay}
}

// waiting reports whether a record is on the pending or dead-letter list.
func waiting(r store.SyncRecord) bool {
	return r.State == store.RecordParked || r.State == store.RecordDeadLettered
}

// pendingID is a record's public id.
func pendingID(id int64) string { return strconv.FormatInt(id, 10) }

// outcomeProto converts a record to its report.
func outcomeProto(r store.SyncRecord) *orchestratorv1.SyncRecordOutcome {
	out := &orchestratorv1.SyncRecordOutcome{
		SyncId:     r.RunID,
		ObjectType: orchestratorv1.SyncObjectType(r.ObjectType),
		Index:      int32(r.Index),
		Key:        r.Key,
		State:      recordStates[r.State],
		UpdateTime: ts(r.UpdateTime),
	}
	switch r.State {
	case store.RecordApplied:
		out.Status = commonv1.RecordStatus_RECORD_STATUS_UPDATED
		if r.Status == "created" {
			out.Status = commonv1.RecordStatus_RECORD_STATUS_CREATED
		}
		out.Id, out.MarketoGuid = r.RecID, r.GUID
	case store.RecordRejected, store.RecordParked, store.RecordDeadLettered:
		out.Reasons = reasonsProto(r.Reasons)
	}
	if waiting(r) {
		out.MissingParent = missingProto(r)
		out.PendingId = pendingID(r.ID)
	}
	return out
}

// parkedProto converts a parked or dead-lettered record.
func parkedProto(r store.SyncRecord) (*orchestratorv1.ParkedRecord, error) {
	rec := &structpb.Struct{}
	if err := protojson.Unmarshal(r.Record, rec); err != nil {
		return nil, err
	}
	out := &orchestratorv1.ParkedRecord{
		PendingId:       pendingID(r.ID),
		SyncId:          r.RunID,
		ObjectType:      orchestratorv1.SyncObjectType(r.ObjectType),
		Index:           int32(r.Index),
		Key:             r.Key,
		Record:          rec,
		MissingParent:   missingProto(r),
		ParkTime:        ts(r.ParkTime),
		ExpireTime:      ts(r.ExpireTime),
		AttemptCount:    int32(r.Attempts),
		LastAttemptTime: ts(r.AttemptTime),

		AutomaticRetryCount: int32(r.AutoRetry.Count),
		NextRetryTime:       ts(r.AutoRetry.Next),
	}
	if len(r.Reasons) > 0 {
		out.Reason = &commonv1.Reason{Code: r.Reasons[0].Code, Message: r.Reasons[0].Message}
	}
	return out, nil
}
