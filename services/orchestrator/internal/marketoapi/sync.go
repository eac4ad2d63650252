package marketoapi

import (
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	"github.com/msisync/msisync/platform/marketo"
)

// maxRecords is Marketo's limit of records per sync or delete call, and of filter values
// and batchSize per query.
const maxRecords = 300

// requestError is a response-level error: the whole request fails and nothing is written.
func requestError(code, format string, args ...any) error {
	return marketo.NewError(codes.InvalidArgument, code, fmt.Sprintf(format, args...))
}

// checkInput enforces 1 to maxRecords records per call.
func checkInput(n int) error {
	if n == 0 {
		return requestError(marketo.CodeCannotBeBlank, "input cannot be blank: send 1 to %d records", maxRecords)
	}
	if n > maxRecords {
		return requestError(marketo.CodeInvalidData, "Invalid data: %d records in input, at most %d per call", n, maxRecords)
	}
	return nil
}

// parseAction reads Marketo's action parameter.
func parseAction(s string) (commonv1.SyncAction, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return commonv1.SyncAction_SYNC_ACTION_UNSPECIFIED, nil
	case "createonly":
		return commonv1.SyncAction_SYNC_ACTION_CREATE_ONLY, nil
	case "updateonly":
		return commonv1.SyncAction_SYNC_ACTION_UPDATE_ONLY, nil
	case "createorupdate":
		return commonv1.SyncAction_SYNC_ACTION_CREATE_OR_UPDATE, nil
	}
	return 0, requestError(marketo.CodeInvalidData, "Invalid action '%s': use createOnly, updateOnly or createOrUpdate", s)
}

// parseDedupeBy reads Marketo's dedupeBy (or deleteBy) parameter.
func parseDedupeBy(param, s string) (commonv1.DedupeBy, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return commonv1.DedupeBy_DEDUPE_BY_UNSPECIFIED, nil
	case "dedupefields":
		return commonv1.DedupeBy_DEDUPE_BY_DEDUPE_FIELDS, nil
	case "idfield":
		return commonv1.DedupeBy_DEDUPE_BY_ID_FIELD, nil
	}
	return 0, requestError(marketo.CodeInvalidData, "Invalid %s '%s': use dedupeFields or idField", param, s)
}

// statusNames are the Marketo names of record statuses.
var statusNames = map[commonv1.RecordStatus]string{
	commonv1.RecordStatus_RECORD_STATUS_CREATED: "created",
	commonv1.RecordStatus_RECORD_STATUS_UPDATED: "updated",
	commonv1.RecordStatus_RECORD_STATUS_DELETED: "deleted",
	commonv1.RecordStatus_RECORD_STATUS_SKIPPED: "skipped",
}

// recordResult converts a service's result for the input record at seq.
func recordResult(seq int, r *commonv1.RecordResult) *orchestratorv1.MarketoRecordResult {
	out := &orchestratorv1.MarketoRecordResult{Seq: int32(seq), Status: statusNames[r.GetStatus()], Reasons: r.GetReasons()}
	if r.GetId() != 0 {
		out.Id = proto.Int32(r.GetId())
	}
	if r.GetGuid() != "" {
		out.MarketoGuid = proto.String(r.GetGuid())
	}
	return out
}

// skippedResult is the result of a record the orchestrator refused before any write.
func skippedResult(seq int, why *commonv1.Reason) *orchestratorv1.MarketoRecordResult {
	return &orchestratorv1.MarketoRecordResult{Seq: int32(seq), Status: "skipped", Reasons: []*commonv1.Reason{why}}
}

// parseSync checks a sync request's size, action and dedupeBy.
func parseSync(n int, action, dedupeBy string) (commonv1.SyncAction, commonv1.DedupeBy, error) {
	if err := checkInput(n); err != nil {
		return 0, 0, err
	}
	a, err := parseAction(action)
	if err != nil {
		return 0, 0, err
	}
	d, err := parseDedupeBy("dedupeBy", dedupeBy)
	return a, d, err
}

// parseDelete checks a delete request's size and deleteBy; byID is true for idField.
func parseDelete(n int, deleteBy string) (bool, error) {
	if err := checkInput(n); err != nil {
		return false, err
	}
	d, err := parseDedupeBy("deleteBy", deleteBy)
	return d == commonv1.DedupeBy_DEDUPE_BY_ID_FIELD, err
}

// knownFilters lists the keys of a filterType table.
func knownFilters[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}
