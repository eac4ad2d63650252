package console

import (
	"fmt"
	"net/http"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
)

// maxSelected is how many records one retry or drop may name (the API's own limit is
// larger; a page lists at most this many).
const maxSelected = 200

// parkedRow is one parked or dead-lettered record.
type parkedRow struct {
	PendingID, SyncID, Type, Key, Reason, MissingParent, MissingParentLink string
	Parked, Expires, LastAttempt                                           string
	Attempts                                                               int32
}

// pendingData is the pending and dead-letter page's data.
type pendingData struct {
	Dead    bool // the dead-letter list, not the parked one
	Kind    string
	Records []parkedRow
	Next    string
}

// pendingList lists the parked records (kind=pending, the default) or the dead letters
// (kind=dead), each with the parent it waits for.
func (c *Console) pendingList(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	d := pendingData{Dead: q.Get("kind") == "dead", Kind: "pending"}
	if d.Dead {
		d.Kind = "dead"
	}
	ctx, cancel := c.ctx(r, s)
	defer cancel()
	var recs []*orchestratorv1.ParkedRecord
	if d.Dead {
		resp, err := c.runs.ListDeadLetters(ctx, &orchestratorv1.ListDeadLettersRequest{PageSize: maxSelected, PageToken: q.Get("page")})
		if err != nil {
			c.failed(w, r, s, "list the dead letters", err)
			return
		}
		recs, d.Next = resp.GetDeadLetters(), resp.GetNextPageToken()
	} else {
		resp, err := c.runs.ListPendingRecords(ctx, &orchestratorv1.ListPendingRecordsRequest{PageSize: maxSelected, PageToken: q.Get("page")})
		if err != nil {
			c.failed(w, r, s, "list the parked records", err)
			return
		}
		recs, d.Next = resp.GetPendingRecords(), resp.GetNextPageToken()
	}
	for _, p := range recs {
		d.Records = append(d.Records, newParkedRow(p))
	}
	title := "Parked records"
	if d.Dead {
		title = "Dead letters"
	}
	c.render(w, r, http.StatusOK, "pending", view{Title: title, Nav: "pending", Session: s, Data: d})
}

func newParkedRow(p *orchestratorv1.ParkedRecord) parkedRow {
	row := parkedRow{
		PendingID: p.GetPendingId(), SyncID: p.GetSyncId(), Type: typeName(p.GetObjectType()), Key: p.GetKey(),
		Reason: reasonText(p.GetReason().GetCode(), p.GetReason().GetMessage()), Attempts: p.GetAttemptCount(),
	}
	if p.GetParkTime() != nil {
		row.Parked = when(p.GetParkTime().AsTime())
	}
	if p.GetExpireTime() != nil {
		row.Expires = when(p.GetExpireTime().AsTime())
	}
	if mp := p.GetMissingParent(); mp != nil && mp.GetKey() != "" {
		row.MissingParent = typeName(mp.GetObjectType()) + " '" + mp.GetKey() + "'"
		row.MissingParentLink = recordLink(mp.GetObjectType(), mp.GetKey())
	}
	return row
}

// recordLink is the console page of a record by its external id ("" when it has none).
func recordLink(t orchestratorv1.SyncObjectType, key string) string {
	switch t {
	case orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_LEAD:
		return "/console/persons/" + pathEscape(key)
	case orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_COMPANY:
		return "/console/companies/" + pathEscape(key)
	case orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_OPPORTUNITY:
		return "/console/opportunities/" + pathEscape(key)
	case orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_SALES_PERSON:
		return "/console/bestbets?salesPerson=" + urlQueryEscape(key)
	}
	return ""
}

// confirmData is the confirmation page's data.
type confirmData struct {
	Action string // "retry" or "drop"
	IDs    []string
	Kind   string
}

// selected returns the pending ids a form names, or a sentence saying what is wrong.
func selected(r *http.Request) ([]string, string) {
	ids := r.PostForm["id"]
	switch {
	case len(ids) == 0:
		return nil, "Select at least one record (tick its box), then choose Retry or Drop."
	case len(ids) > maxSelected:
		return nil, fmt.Sprintf("%d records are selected; select at most %d at a time.", len(ids), maxSelected)
	}
	return ids, ""
}

// pendingConfirm asks before a retry or a drop changes anything.
func (c *Console) pendingConfirm(w http.ResponseWriter, r *http.Request, s *session) {
	action := r.PostFormValue("action")
	if action != "retry" && action != "drop" {
		c.renderError(w, r, s, http.StatusBadRequest, "Choose Retry or Drop.")
		return
	}
	ids, msg := selected(r)
	if msg != "" {
		c.renderError(w, r, s, http.StatusBadRequest, msg)
		return
	}
	c.render(w, r, http.StatusOK, "confirm", view{Title: "Confirm", Nav: "pending", Session: s, Data: confirmData{Action: action, IDs: ids, Kind: r.PostFormValue("kind")}})
}

// actResult is the result page's data.
type actResult struct {
	Action   string
	Kind     string
	Outcomes []outcomeRow
}

// pendingAct retries or drops the confirmed records through the API, which refuses a
// read-only or auditor client with 603.
func (c *Console) pendingAct(w http.ResponseWriter, r *http.Request, s *session) {
	action := r.PathValue("action")
	ids, msg := selected(r)
	if msg != "" {
		c.renderError(w, r, s, http.StatusBadRequest, msg)
		return
	}
	ctx, cancel := c.ctx(r, s)
	defer cancel()
	var outs []*orchestratorv1.SyncRecordOutcome
	switch action {
	case "retry":
		resp, err := c.runs.RetryPendingRecords(ctx, &orchestratorv1.RetryPendingRecordsRequest{PendingIds: ids})
		if err != nil {
			c.failed(w, r, s, "retry the selected records", err)
			return
		}
		outs = resp.GetOutcomes()
	case "drop":
		resp, err := c.runs.DropPendingRecords(ctx, &orchestratorv1.DropPendingRecordsRequest{PendingIds: ids})
		if err != nil {
			c.failed(w, r, s, "drop the selected records", err)
			return
		}
		outs = resp.GetOutcomes()
	default:
		c.notFound(w, r)
		return
	}
	d := actResult{Action: action, Kind: r.PostFormValue("kind")}
	for _, o := range outs {
		row := newOutcomeRow(o)
		if row.PendingID == "" {
			row.PendingID = o.GetPendingId()
		}
		d.Outcomes = append(d.Outcomes, row)
	}
	c.render(w, r, http.StatusOK, "result", view{Title: "Result", Nav: "pending", Session: s, Data: d})
}
