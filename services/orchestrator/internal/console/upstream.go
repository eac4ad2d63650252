package console

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
)

// upstreamPanel is the overview's "Marketo delivery" panel, in words; the overview shows
// it only in upstream mode (MSISYNC_MARKETO_URL set).
type upstreamPanel struct {
	// MarketoURL is the Marketo instance's REST endpoint.
	MarketoURL string
	// Paused is true while the delivery is paused; PausedUntil and PausedReason say until
	// when and why.
	Paused                    bool
	PausedUntil, PausedReason string
	// LastError is the last error a Marketo call ended with ("" when none), LastErrorAt
	// when it happened.
	LastError, LastErrorAt string
	// Queues is the outbox, one row per object in the MSI order.
	Queues []upstreamQueueRow
	// Calls is the Marketo API calls today.
	Calls upstreamCallsRow
	// Rate is the delivery rate ("3.5 records/s"); Delivered the records delivered since
	// start.
	Rate, Delivered string
	// MSI is the MSI poller's state.
	MSI upstreamMSIRow
}

// upstreamQueueRow is one object's part of the outbox.
type upstreamQueueRow struct {
	Object                                         string
	Pending, InFlight, Waiting, Skipped, Delivered string
	// OldestAge is how long ago the oldest waiting change was accepted ("12 min ago"; ""
	// when none waits); Oldest the time itself.
	OldestAge, Oldest string
}

// upstreamCallsRow is the Marketo API calls today.
type upstreamCallsRow struct {
	Used, Allowed, Left string
	Percent             int // of allowed used, 0 to 100
	ResetAt             string
	Rate                string // calls started per second over the rate window
}

// upstreamMSIRow is the MSI poller's state.
type upstreamMSIRow struct {
	// LastPollAge is how long ago the last poll ended ("" before the first); LastPoll the
	// time itself.
	LastPollAge, LastPoll string
	LastError             string
	LeadsRead             string
	Backfilling           bool
}

// upstreamObjectNames are the outbox's objects in the overview's words.
var upstreamObjectNames = map[string]string{
	"salesPerson": "Sales persons",
	"company":     "Companies",
	"lead":        "People",
	"opportunity": "Opportunities",
	"role":        "Opportunity roles",
}

// upstreamStatus reads the delivery to Marketo; it returns nil in embedded mode (or from
// an orchestrator without UpstreamService), when the overview shows no panel.
func (c *Console) upstreamStatus(ctx context.Context, now time.Time) (*upstreamPanel, error) {
	resp, err := c.upstream.GetUpstreamStatus(ctx, &orchestratorv1.GetUpstreamStatusRequest{})
	if status.Code(err) == codes.Unimplemented {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if resp.GetMode() != "upstream" {
		return nil, nil
	}
	return newUpstreamPanel(resp, now), nil
}

// newUpstreamPanel puts a status into words as of now.
func newUpstreamPanel(resp *orchestratorv1.GetUpstreamStatusResponse, now time.Time) *upstreamPanel {
	p := &upstreamPanel{MarketoURL: resp.GetMarketoUrl(), LastError: resp.GetLastError()}
	if resp.GetLastErrorTime() != nil {
		p.LastErrorAt = when(resp.GetLastErrorTime().AsTime())
	}
	if u := resp.GetPausedUntil(); u != nil || resp.GetPausedReason() != "" {
		p.Paused, p.PausedReason = true, sentence(resp.GetPausedReason())
		if u != nil {
			p.PausedUntil = when(u.AsTime())
		}
	}
	for _, q := range resp.GetObjects() {
		name := upstreamObjectNames[q.GetObject()]
		if name == "" {
			name = q.GetObject()
		}
		row := upstreamQueueRow{
			Object: name, Pending: thousands(q.GetPending()), InFlight: thousands(q.GetInFlight()),
			Waiting: thousands(q.GetWaiting()), Skipped: thousands(q.GetSkipped()), Delivered: thousands(q.GetDelivered()),
		}
		if o := q.GetOldestWaiting(); o != nil {
			row.OldestAge, row.Oldest = ago(now.Sub(o.AsTime())), when(o.AsTime())
		}
		p.Queues = append(p.Queues, row)
	}
	calls := resp.GetCalls()
	p.Calls = upstreamCallsRow{
		Used: thousands(calls.GetUsedToday()), Allowed: thousands(calls.GetAllowed()), Left: thousands(calls.GetLeft()),
		Rate: fmt.Sprintf("%.2f calls/s", calls.GetRate()), ResetAt: "—",
	}
	if a := calls.GetAllowed(); a > 0 {
		p.Calls.Percent = int(max(0, min(100, calls.GetUsedToday()*100/a)))
	}
	if r := calls.GetResetAt(); r != nil {
		p.Calls.ResetAt = when(r.AsTime())
	}
	p.Rate = fmt.Sprintf("%.1f records/s", resp.GetDelivery().GetRecordsPerSecond())
	p.Delivered = thousands(resp.GetDelivery().GetDeliveredSinceStart())
	m := resp.GetMsi()
	p.MSI = upstreamMSIRow{LastError: m.GetLastError(), LeadsRead: thousands(m.GetLeadsRead()), Backfilling: m.GetBackfilling()}
	if lp := m.GetLastPoll(); lp != nil {
		p.MSI.LastPollAge, p.MSI.LastPoll = ago(now.Sub(lp.AsTime())), when(lp.AsTime())
	}
	return p
}

// upstreamAct resumes the delivery, sends the records Marketo skipped again, or reads
// every delivered lead's MSI fields again, through the API, which refuses a read-only or
// auditor client with 603 (the overview offers those clients no button).
func (c *Console) upstreamAct(w http.ResponseWriter, r *http.Request, s *session) {
	action := r.PathValue("action")
	ctx, cancel := c.ctx(r, s)
	defer cancel()
	var notice string
	switch action {
	case "resume":
		if _, err := c.upstream.ResumeUpstream(ctx, &orchestratorv1.ResumeUpstreamRequest{}); err != nil {
			c.failed(w, r, s, "resume the delivery to Marketo", err)
			return
		}
		notice = "The delivery to Marketo runs again: every waiting record is due now."
	case "retry":
		resp, err := c.upstream.RetryUpstream(ctx, &orchestratorv1.RetryUpstreamRequest{})
		if err != nil {
			c.failed(w, r, s, "send the skipped records again", err)
			return
		}
		switch n := resp.GetQueued(); n {
		case 0:
			notice = "No record was skipped by Marketo: nothing to send again."
		case 1:
			notice = "1 record queued again: it goes to Marketo with the next delivery."
		default:
			notice = thousands(n) + " records queued again: they go to Marketo with the next delivery."
		}
	case "backfill":
		if _, err := c.upstream.BackfillUpstream(ctx, &orchestratorv1.BackfillUpstreamRequest{}); err != nil {
			c.failed(w, r, s, "read the MSI fields again", err)
			return
		}
		notice = "Reading every delivered lead's MSI fields from Marketo again, in the background; the overview shows when it is done."
	default:
		c.notFound(w, r)
		return
	}
	c.render(w, r, http.StatusOK, "upstream", view{Title: "Marketo delivery", Nav: "overview", Session: s, Notice: notice})
}

// sentence ends a non-empty text with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s != "" && !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
