package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/msisync/msisync/suite/internal/suiteproc"
)

// leadsPath is the Marketo leads endpoint.
const leadsPath = "/rest/v1/leads.json"

// leadFields are the fields read back and checked.
const leadFields = "externalPersonId,email,externalCompanyId"

// acked is the last acknowledged state of one lead.
type acked struct {
	id         string // the externalPersonId as first sent
	email      string
	companyKey string // match key of the externalCompanyId
}

// worker is one client of the load. It owns the leads it creates: no other worker writes
// them, so the last acknowledged value of each is exact.
type worker struct {
	id      int
	c       *suiteproc.Client
	rng     *rand.Rand
	data    *suiteproc.Dataset
	leads   map[string]acked // match key → last acknowledged state
	keys    []string         // the keys of leads, in order of first acknowledgement
	pending [][]suiteproc.Lead
	opps    []string // externalOpportunityIds this worker created
	seq     int      // records generated, for unique emails
	stats   *stats
}

func newWorker(id int, c *suiteproc.Client, data *suiteproc.Dataset, seed uint64) *worker {
	return &worker{
		id:    id,
		c:     c,
		rng:   rand.New(rand.NewPCG(seed, 0x6c6f6164+uint64(id))),
		data:  data,
		leads: map[string]acked{},
		stats: newStats(),
	}
}

// drive runs every worker until d has passed and returns how long they ran.
func drive(ctx context.Context, workers []*worker, d time.Duration) (time.Duration, error) {
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() {
			for time.Now().Before(deadline) && ctx.Err() == nil {
				w.step(ctx)
			}
		})
	}
	wg.Wait()
	return time.Since(start), ctx.Err()
}

// drain sends every worker's outstanding lead batches until each is acknowledged (or fails
// for good). Its calls are counted in separate stats.
func drain(ctx context.Context, workers []*worker) error {
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() {
			for len(w.pending) > 0 && ctx.Err() == nil {
				batch := w.pending[0]
				w.pending = w.pending[1:]
				w.stats.resent++
				w.sendLeads(ctx, batch)
			}
		})
	}
	wg.Wait()
	return ctx.Err()
}

// step makes one call of the mix.
func (w *worker) step(ctx context.Context) {
	r := w.rng.IntN(100)
	switch {
	case r < 40:
		w.leadSync(ctx)
	case r < 55:
		if w.rng.IntN(2) == 0 {
			w.companySync(ctx)
		} else {
			w.opportunitySync(ctx)
		}
	case r < 80:
		w.leadQuery(ctx)
	case r < 95:
		w.readBack(ctx)
	default:
		w.scoreOrMoment(ctx)
	}
}

// leadSync sends the oldest outstanding lead batch, or else a new one.
func (w *worker) leadSync(ctx context.Context) {
	if len(w.pending) > 0 {
		batch := w.pending[0]
		w.pending = w.pending[1:]
		w.stats.resent++
		w.sendLeads(ctx, batch)
		return
	}
	w.sendLeads(ctx, w.newLeadBatch())
}

// newLeadBatch returns 100–300 leads, about 60 % new and 40 % of this worker's
// acknowledged leads (in a new letter case) with a new email and company.
func (w *worker) newLeadBatch() []suiteproc.Lead {
	n := 100 + w.rng.IntN(201)
	batch := make([]suiteproc.Lead, 0, n)
	used := map[string]bool{}
	for range n {
		w.seq++
		l := suiteproc.RandomLead(w.rng, w.data.Companies, w.seq)
		l.Email = fmt.Sprintf("load.c%d.%d@customer%d.example.com", w.id, w.seq, w.seq%997)
		if len(w.keys) > 0 && w.rng.IntN(100) < 40 {
			k := w.keys[w.rng.IntN(len(w.keys))]
			if used[k] {
				continue
			}
			used[k] = true
			l.ExternalPersonID = recase(w.rng, w.leads[k].id)
		}
		batch = append(batch, l)
	}
	return batch
}

// sendLeads sends a lead batch (createOrUpdate by externalPersonId) and records what was
// acknowledged. A refused or unanswered batch is kept to be sent again.
func (w *worker) sendLeads(ctx context.Context, batch []suiteproc.Lead) {
	body, err := suiteproc.EncodeSync(batch, "externalPersonId")
	if err != nil {
		w.stats.fail(kindLeadSync, "encoding: %v", err)
		return
	}
	a := w.call(kindLeadSync, func() (int, []byte, error) { return w.c.CallJSON(ctx, leadsPath, body) })
	switch {
	case a.refused():
		w.pending = append(w.pending, batch)
		backoff(ctx, w.rng)
		return
	case a.unknown():
		w.pending = append(w.pending, batch)
		return
	case !a.ok():
		return
	}
	var env suiteproc.Envelope
	if err := json.Unmarshal(a.raw, &env); err != nil || len(env.Result) != len(batch) {
		w.stats.fail(kindLeadSync, "%d results for %d leads (%v): %s", len(env.Result), len(batch), err, suiteproc.Snippet(a.raw))
		return
	}
	for i, r := range env.Result {
		if r.Status != "created" && r.Status != "updated" {
			w.stats.skip(kindLeadSync, r.Status, r.Reasons)
			continue
		}
		l := batch[i]
		k := suiteproc.Key(l.ExternalPersonID)
		prev, seen := w.leads[k]
		if !seen {
			w.keys = append(w.keys, k)
			prev.id = l.ExternalPersonID
		}
		w.leads[k] = acked{id: prev.id, email: l.Email, companyKey: suiteproc.Key(l.ExternalCompanyID)}
		w.stats.kinds[kindLeadSync].records++
	}
}

// companySync updates 20–100 of the shared companies.
func (w *worker) companySync(ctx context.Context) {
	n := min(len(w.data.Companies), 20+w.rng.IntN(81))
	batch := make([]suiteproc.Company, 0, n)
	for _, i := range w.rng.Perm(len(w.data.Companies))[:n] {
		c := w.data.Companies[i]
		c.NumberOfEmployees = 10 + w.rng.IntN(20000)
		batch = append(batch, c)
	}
	body, err := suiteproc.EncodeSync(batch, "")
	if err != nil {
		w.stats.fail(kindCompanySync, "encoding: %v", err)
		return
	}
	w.syncOther(ctx, kindCompanySync, "/rest/v1/companies.json", body, n, nil)
}

// opportunity is an opportunity as the REST API takes it.
type opportunity struct {
	ExternalOpportunityID string  `json:"externalOpportunityId"`
	ExternalCompanyID     string  `json:"externalCompanyId"`
	ExternalSalesPersonID string  `json:"externalSalesPersonId"`
	Name                  string  `json:"name"`
	Stage                 string  `json:"stage"`
	Amount                float64 `json:"amount"`
	Probability           int     `json:"probability"`
	IsClosed              bool    `json:"isClosed"`
}

var stages = []string{"Prospecting", "Qualification", "Proposal", "Negotiation"}

// opportunitySync creates or updates 10–100 opportunities, about a third of them existing
// ones of this worker.
func (w *worker) opportunitySync(ctx context.Context) {
	n := 10 + w.rng.IntN(91)
	batch := make([]opportunity, 0, n)
	used := map[string]bool{}
	var fresh []string
	for range n {
		id := ""
		if len(w.opps) > 0 && w.rng.IntN(3) == 0 {
			id = w.opps[w.rng.IntN(len(w.opps))]
			if used[id] {
				continue
			}
		} else {
			id = suiteproc.MixedGUID(w.rng)
			fresh = append(fresh, id)
		}
		used[id] = true
		c := w.data.Companies[w.rng.IntN(len(w.data.Companies))]
		batch = append(batch, opportunity{
			ExternalOpportunityID: id,
			ExternalCompanyID:     c.ExternalCompanyID,
			ExternalSalesPersonID: c.ExternalSalesPersonID,
			Name:                  fmt.Sprintf("%s — renewal %d", c.Company, w.rng.IntN(1000)),
			Stage:                 stages[w.rng.IntN(len(stages))],
			Amount:                float64(1000 + w.rng.IntN(500000)),
			Probability:           10 * w.rng.IntN(10),
		})
	}
	body, err := suiteproc.EncodeSync(batch, "")
	if err != nil {
		w.stats.fail(kindOpportunitySync, "encoding: %v", err)
		return
	}
	w.syncOther(ctx, kindOpportunitySync, "/rest/v1/opportunities.json", body, len(batch), func() { w.opps = append(w.opps, fresh...) })
}

// syncOther sends a company or opportunity sync; these are not tracked record by record,
// so a refused one is not sent again. onSuccess runs when the call succeeded.
func (w *worker) syncOther(ctx context.Context, k kind, path string, body []byte, records int, onSuccess func()) {
	a := w.call(k, func() (int, []byte, error) { return w.c.CallJSON(ctx, path, body) })
	if a.refused() {
		backoff(ctx, w.rng)
		return
	}
	if !a.ok() {
		return
	}
	var env suiteproc.Envelope
	if err := json.Unmarshal(a.raw, &env); err != nil || len(env.Result) != records {
		w.stats.fail(k, "%d results for %d records (%v): %s", len(env.Result), records, err, suiteproc.Snippet(a.raw))
		return
	}
	for _, r := range env.Result {
		if r.Status == "created" || r.Status == "updated" {
			w.stats.kinds[k].records++
		} else {
			w.stats.skip(k, r.Status, r.Reasons)
		}
	}
	if onSuccess != nil {
		onSuccess()
	}
}

// leadQuery reads the leads of 1–5 companies by externalCompanyId (GET, first page).
func (w *worker) leadQuery(ctx context.Context) {
	n := 1 + w.rng.IntN(5)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = w.data.Companies[w.rng.IntN(len(w.data.Companies))].ExternalCompanyID
	}
	q := url.Values{
		"filterType":   {"externalCompanyId"},
		"filterValues": {strings.Join(ids, ",")},
		"fields":       {"externalPersonId,email,firstName,lastName,title,externalCompanyId,externalSalesPersonId"},
	}
	a := w.call(kindLeadQuery, func() (int, []byte, error) {
		return w.c.Call(ctx, http.MethodGet, leadsPath+"?"+q.Encode(), "", nil)
	})
	if a.refused() {
		backoff(ctx, w.rng)
		return
	}
	if !a.ok() {
		return
	}
	var env struct {
		Result []json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(a.raw, &env); err != nil {
		w.stats.fail(kindLeadQuery, "answer is not a Marketo envelope: %v", err)
		return
	}
	w.stats.kinds[kindLeadQuery].records += len(env.Result)
}

// readBack reads 50–300 of this worker's acknowledged leads by externalPersonId (POST
// ?_method=GET) and compares each with its last acknowledged state.
func (w *worker) readBack(ctx context.Context) {
	if len(w.keys) == 0 {
		w.leadQuery(ctx)
		return
	}
	n := min(len(w.keys), 50+w.rng.IntN(251))
	want := make(map[string]acked, n)
	for len(want) < n {
		k := w.keys[w.rng.IntN(len(w.keys))]
		want[k] = w.leads[k]
	}
	a, got, err := queryLeads(ctx, w.c, want, w.rng, func(send func() (int, []byte, error)) answer {
		return w.call(kindReadBack, send)
	})
	if a.refused() {
		backoff(ctx, w.rng)
		return
	}
	if !a.ok() {
		return
	}
	if err != nil {
		w.stats.fail(kindReadBack, "%v", err)
		return
	}
	w.stats.kinds[kindReadBack].records += len(got)
	w.stats.liveRead += len(want)
	for _, p := range compare(want, got) {
		w.stats.liveBad++
		w.stats.sample(&w.stats.liveBadEx, p)
	}
}

// scoreOrMoment records score changes or interesting moments for 1–50 of this worker's
// leads through msisync's /v1/ API.
func (w *worker) scoreOrMoment(ctx context.Context) {
	if len(w.keys) == 0 {
		w.leadQuery(ctx)
		return
	}
	n := min(len(w.keys), 1+w.rng.IntN(50))
	ids := make([]string, n)
	for i := range ids {
		ids[i] = w.leads[w.keys[w.rng.IntN(len(w.keys))]].id
	}
	k, path := kindScoreChange, "/v1/score-changes"
	var req any
	if w.rng.IntN(2) == 0 {
		type change struct {
			ExternalPersonID string `json:"externalPersonId"`
			Delta            int    `json:"delta"`
			Reason           string `json:"reason"`
		}
		changes := make([]change, n)
		for i, id := range ids {
			changes[i] = change{ExternalPersonID: id, Delta: w.rng.IntN(41) - 10, Reason: "load test"}
		}
		req = map[string]any{"changes": changes}
	} else {
		k, path = kindMoment, "/v1/interesting-moments"
		type moment struct {
			ExternalPersonID string `json:"externalPersonId"`
			Type             string `json:"type"`
			Description      string `json:"description"`
		}
		moments := make([]moment, n)
		for i, id := range ids {
			moments[i] = moment{ExternalPersonID: id, Type: []string{"Web", "Email", "Milestone"}[w.rng.IntN(3)], Description: "Visited the pricing page"}
		}
		req = map[string]any{"moments": moments}
	}
	body, err := json.Marshal(req)
	if err != nil {
		w.stats.fail(k, "encoding: %v", err)
		return
	}
	a := w.call(k, func() (int, []byte, error) { return w.c.CallJSON(ctx, path, body) })
	if a.refused() {
		backoff(ctx, w.rng)
		return
	}
	if !a.ok() {
		return
	}
	var res v1Results
	if err := json.Unmarshal(a.raw, &res); err != nil || len(res.Results) != n {
		w.stats.fail(k, "%d results for %d records (%v): %s", len(res.Results), n, err, suiteproc.Snippet(a.raw))
		return
	}
	for _, r := range res.Results {
		if r.Status == "RECORD_STATUS_CREATED" || r.Status == "RECORD_STATUS_UPDATED" {
			w.stats.kinds[k].records++
			continue
		}
		reasons := make([]suiteproc.MarketoError, len(r.Reasons))
		for i, rs := range r.Reasons {
			reasons[i] = suiteproc.MarketoError{Code: suiteproc.Code(rs.Code), Message: rs.Message}
		}
		w.stats.skip(k, r.Status, reasons)
	}
}

// recase returns id with each letter randomly in upper or lower case, as a CRM may send
// the same GUID differently.
func recase(rng *rand.Rand, id string) string {
	b := []byte(id)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'f' && rng.IntN(2) == 0:
			b[i] = c - 'a' + 'A'
		case c >= 'A' && c <= 'F' && rng.IntN(2) == 0:
			b[i] = c - 'A' + 'a'
		}
	}
	return string(b)
}
