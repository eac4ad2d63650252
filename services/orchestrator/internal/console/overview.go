package console

import (
	"net/http"
	"sort"
	"sync"
	"time"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
)

// overviewData is the overview page's data.
type overviewData struct {
	Health        []serviceHealth
	Healthy       bool
	Runs          []runRow
	Pending       countText
	DeadLetters   countText
	Findings      countText
	ScoredPeople  int32
	HasTiers      bool
	Quota         []quotaRow
	DailyQuota    int64
	QuotaNote     string
	Problems      []string // parts that could not be read, in words
	Counts        []recordCount
	Cycles        []cycleRow
	Upstream      *upstreamPanel // the delivery to Marketo; nil in embedded mode
	RefreshSecond int
}

type serviceHealth struct{ Name, State string }

type quotaRow struct {
	ClientID string
	Used     int64
	Percent  int
}

// countText is a count shown as "n" or "n+" when there are more than one page holds.
type countText struct {
	N    int
	More bool
}

// overviewPage is how many rows the overview reads of each list.
const overviewPage = 100

// overview shows the suite's health and the sync at a glance; it refreshes itself.
func (c *Console) overview(w http.ResponseWriter, r *http.Request, s *session) {
	d := overviewData{RefreshSecond: 10}
	ctx, cancel := c.ctx(r, s)
	defer cancel()
	var mu sync.Mutex
	problem := func(p string) { mu.Lock(); d.Problems = append(d.Problems, p); mu.Unlock() }
	// unread notes a part of the page whose call failed, with the error in words.
	unread := func(part string, err error) {
		_, msg := describe(err)
		problem(part + ": " + msg)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		if c.cfg.Health == nil {
			return
		}
		states := c.cfg.Health(ctx)
		d.Healthy = true
		for name, st := range states {
			d.Health = append(d.Health, serviceHealth{Name: name, State: st})
			if st != "SERVING" {
				d.Healthy = false
			}
		}
		sort.Slice(d.Health, func(i, j int) bool { return d.Health[i].Name < d.Health[j].Name })
	})
	wg.Go(func() {
		resp, err := c.runs.ListSyncRuns(ctx, &orchestratorv1.ListSyncRunsRequest{PageSize: 5})
		if err != nil {
			unread("Last sync runs", err)
			return
		}
		for _, run := range resp.GetSyncRuns() {
			d.Runs = append(d.Runs, newRunRow(run))
		}
	})
	wg.Go(func() {
		resp, err := c.runs.ListPendingRecords(ctx, &orchestratorv1.ListPendingRecordsRequest{PageSize: overviewPage})
		if err != nil {
			unread("Parked records", err)
			return
		}
		d.Pending = countText{N: len(resp.GetPendingRecords()), More: resp.GetNextPageToken() != ""}
	})
	wg.Go(func() {
		resp, err := c.runs.ListDeadLetters(ctx, &orchestratorv1.ListDeadLettersRequest{PageSize: overviewPage})
		if err != nil {
			unread("Dead letters", err)
			return
		}
		d.DeadLetters = countText{N: len(resp.GetDeadLetters()), More: resp.GetNextPageToken() != ""}
	})
	wg.Go(func() {
		resp, err := c.insight.ListCrmFindings(ctx, &orchestratorv1.ListCrmFindingsRequest{PageSize: 1})
		if err != nil {
			unread("CRM findings", err)
			return
		}
		d.Findings = countText{N: int(resp.GetTotalSize())}
	})
	wg.Go(func() {
		resp, err := c.insight.GetTierBoundaries(ctx, &orchestratorv1.GetTierBoundariesRequest{})
		if err != nil {
			unread("Scored people", err)
			return
		}
		d.HasTiers = true
		d.ScoredPeople = resp.GetBoundaries().GetScoredLeadCount()
	})
	wg.Go(func() {
		if c.cfg.Quota == nil {
			return
		}
		usage, quota, err := c.cfg.Quota(ctx)
		if err != nil {
			c.cfg.Log.WarnContext(ctx, "console: reading today's API calls", "error", err)
			problem("API calls today: the counts could not be read; they show again on the next refresh.")
			return
		}
		d.DailyQuota = quota
		for _, u := range usage {
			row := quotaRow{ClientID: u.ClientID, Used: u.Used}
			if quota > 0 {
				row.Percent = int(min(100, u.Used*100/quota))
			}
			d.Quota = append(d.Quota, row)
		}
	})
	wg.Go(func() {
		counts, err := c.recordCounts(ctx)
		if err != nil {
			unread("Records", err)
			return
		}
		d.Counts = counts
	})
	wg.Go(func() {
		cycles, err := c.connectorCycles(ctx, time.Now())
		if err != nil {
			unread("Connector", err)
			return
		}
		d.Cycles = cycles
	})
	wg.Go(func() {
		panel, err := c.upstreamStatus(ctx, time.Now())
		if err != nil {
			unread("Marketo delivery", err)
			return
		}
		d.Upstream = panel
	})
	wg.Wait()
	sort.Strings(d.Problems)
	c.render(w, r, http.StatusOK, "overview", view{Title: "Overview", Nav: "overview", Session: s, Data: d})
}
