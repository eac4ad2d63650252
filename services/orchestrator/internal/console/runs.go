package console

import (
	"net/http"
	"strings"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
)

// runRow is one sync run in a list.
type runRow struct {
	ID, RequestID, State           string
	Created, Started, Completed    string
	Total, Applied, Parked, Failed int32 // Failed: rejected + dead-lettered
	Counts                         []countRow
}

type countRow struct {
	Type                                                             string
	Total, Applied, Parked, Rejected, Pending, DeadLettered, Dropped int32
}

// typeNames names each object type in words.
var typeNames = map[orchestratorv1.SyncObjectType]string{
	orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_SALES_PERSON:     "sales person",
	orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_COMPANY:          "company",
	orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_LEAD:             "person",
	orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_OPPORTUNITY:      "opportunity",
	orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_OPPORTUNITY_ROLE: "opportunity role",
}

func typeName(t orchestratorv1.SyncObjectType) string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return "record"
}

// words turns an enum name such as SYNC_RUN_STATE_COMPLETED into "completed".
func words(name, prefix string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(name, prefix)), "_", " ")
}

func runState(s orchestratorv1.SyncRunState) string { return words(s.String(), "SYNC_RUN_STATE_") }

func recordState(s orchestratorv1.SyncRecordState) string {
	if s == orchestratorv1.SyncRecordState_SYNC_RECORD_STATE_REJECTED {
		return "skipped"
	}
	return words(s.String(), "SYNC_RECORD_STATE_")
}

func newRunRow(run *orchestratorv1.SyncRun) runRow {
	row := runRow{ID: run.GetSyncId(), RequestID: run.GetRequestId(), State: runState(run.GetState())}
	if run.GetCreateTime() != nil {
		row.Created = when(run.GetCreateTime().AsTime())
	}
	if run.GetStartTime() != nil {
		row.Started = when(run.GetStartTime().AsTime())
	}
	if run.GetCompleteTime() != nil {
		row.Completed = when(run.GetCompleteTime().AsTime())
	}
	for _, ct := range run.GetCounts() {
		row.Total += ct.GetTotal()
		row.Applied += ct.GetApplied()
		row.Parked += ct.GetParked()
		row.Failed += ct.GetRejected() + ct.GetDeadLettered()
		row.Counts = append(row.Counts, countRow{
			Type: typeName(ct.GetObjectType()), Total: ct.GetTotal(), Applied: ct.GetApplied(), Parked: ct.GetParked(),
			Rejected: ct.GetRejected(), Pending: ct.GetPending(), DeadLettered: ct.GetDeadLettered(), Dropped: ct.GetDropped(),
		})
	}
	return row
}

// runStates are the states the list can be filtered by.
var runStates = []string{"queued", "running", "waiting", "completed", "failed"}

// runListData is the sync-run list's data.
type runListData struct {
	Runs   []runRow
	State  string
	States []string
	Next   string // the next page's token
}

// runList shows the sync runs the client may see, newest first, filterable by state.
func (c *Console) runList(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	d := runListData{State: q.Get("state"), States: runStates}
	req := &orchestratorv1.ListSyncRunsRequest{PageSize: 50, PageToken: q.Get("page")}
	if d.State != "" {
		req.State = []string{d.State}
	}
	ctx, cancel := c.ctx(r, s)
	defer cancel()
	resp, err := c.runs.ListSyncRuns(ctx, req)
	if err != nil {
		c.failed(w, r, s, "list the sync runs", err)
		return
	}
	for _, run := range resp.GetSyncRuns() {
		d.Runs = append(d.Runs, newRunRow(run))
	}
	d.Next = resp.GetNextPageToken()
	c.render(w, r, http.StatusOK, "runs", view{Title: "Sync runs", Nav: "runs", Session: s, Data: d})
}

// outcomeRow is one record of a run that did not simply apply.
type outcomeRow struct {
	Type, Key, State, PendingID string
	Index                       int32
	Reasons                     []string
	MissingParent               string
}

// runPageData is a run page's data.
type runPageData struct {
	Run      runRow
	Outcomes []outcomeRow
	More     bool
}

// problemStates are the record states a run page lists.
var problemStates = []orchestratorv1.SyncRecordState{
	orchestratorv1.SyncRecordState_SYNC_RECORD_STATE_REJECTED,
	orchestratorv1.SyncRecordState_SYNC_RECORD_STATE_PARKED,
	orchestratorv1.SyncRecordState_SYNC_RECORD_STATE_DEAD_LETTERED,
}

// runPage shows a run's counts per type and its skipped, parked and dead-lettered records
// with their reasons.
func (c *Console) runPage(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	ctx, cancel := c.ctx(r, s)
	defer cancel()
	var d runPageData
	for i, st := range problemStates {
		resp, err := c.runs.GetSyncRun(ctx, &orchestratorv1.GetSyncRunRequest{SyncId: id, State: st, PageSize: 200})
		if err != nil {
			c.failed(w, r, s, "read sync run "+id, err)
			return
		}
		if i == 0 {
			d.Run = newRunRow(resp.GetSyncRun())
		}
		d.More = d.More || resp.GetNextPageToken() != ""
		for _, o := range resp.GetOutcomes() {
			d.Outcomes = append(d.Outcomes, newOutcomeRow(o))
		}
	}
	c.render(w, r, http.StatusOK, "run", view{Title: "Sync run " + id, Nav: "runs", Session: s, Data: d})
}

func newOutcomeRow(o *orchestratorv1.SyncRecordOutcome) outcomeRow {
	row := outcomeRow{Type: typeName(o.GetObjectType()), Key: o.GetKey(), State: recordState(o.GetState()), Index: o.GetIndex(), PendingID: o.GetPendingId()}
	for _, rs := range o.GetReasons() {
		row.Reasons = append(row.Reasons, reasonText(rs.GetCode(), rs.GetMessage()))
	}
	if mp := o.GetMissingParent(); mp != nil && mp.GetKey() != "" {
		row.MissingParent = typeName(mp.GetObjectType()) + " '" + mp.GetKey() + "'"
	}
	return row
}

func reasonText(code, msg string) string {
	if code == "" {
		return msg
	}
	return msg + " (" + code + ")"
}
