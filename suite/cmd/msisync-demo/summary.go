package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/msisync/msisync/connectors/dynamics/connector"
	"github.com/msisync/msisync/connectors/dynamics/simulator"
	"github.com/msisync/msisync/suite/internal/suiteproc"
)

// mktColumns are the MSI columns the writeback fills (the defaults in docs/msi-contract.md, Writeback).
var mktColumns = []string{"mkt_priority", "mkt_urgency", "mkt_relativescore", "mkt_leadscore", "mkt_lastinterestingmomenttype",
	"mkt_lastinterestingmomentdesc", "mkt_leadinterestingmomentsource", "mkt_lastinterestingmomentdate"}

// summarize prints what the demo did: records per type, what waits or was refused and why,
// what the CRM side explains, and the MSI fields now in Dynamics.
// It sets exampleID to the person it shows.
func summarize(ctx context.Context, out io.Writer, api *suiteproc.Client, sim *simulator.Simulator, rep *connector.SyncReport, wb *connector.WritebackReport, exampleID *string) error {
	fmt.Fprintf(out, "   %-17s %7s %7s %7s %8s\n", "records", "sent", "applied", "parked", "rejected")
	for _, o := range rep.Objects {
		fmt.Fprintf(out, "   %-17s %7d %7d %7d %8d\n", o.Object, o.Sent, o.Applied, o.Parked, o.Rejected)
	}
	if len(rep.Reasons) > 0 {
		fmt.Fprintln(out, "   parked and rejected, by reason:")
		for _, r := range rep.Reasons {
			fmt.Fprintf(out, "     %5d %s %s: %s %s\n", r.Count, r.Object, r.Outcome, r.Code, r.Message)
		}
	}
	kinds, examples, err := findings(ctx, api)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "   diagnostics findings (GET /v1/crm/findings):")
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		fmt.Fprintf(out, "     %5d %s, e.g. %s\n", kinds[k], strings.TrimPrefix(k, "CRM_FINDING_KIND_"), examples[k])
	}
	pending, err := countPending(ctx, api)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   %d records parked, waiting for a parent (GET /v1/pending)\n", pending)
	st := sim.Stats()
	fmt.Fprintf(out, "   MSI fields written back: %d Dynamics rows updated (%d PATCHes in %d $batch requests), %d rows gone (404)\n",
		wb.Written, st.PatchesApplied, st.Batches, wb.Missing)
	// Show the written row of the person with the highest priority: the one MSI puts first.
	example, best := simulator.PatchRecord{}, -1.0
	for _, p := range sim.Patches() {
		if row, ok := sim.Get(p.Set, p.ID); ok {
			if pr := number(row["mkt_priority"]); pr > best {
				example, best = p, pr
			}
		}
	}
	if best >= 0 {
		row, _ := sim.Get(example.Set, example.ID)
		fmt.Fprintf(out, "   e.g. %s(%s) %v %v:", example.Set, example.ID, row["firstname"], row["lastname"])
		for _, c := range mktColumns {
			if v := row[c]; v != nil {
				fmt.Fprintf(out, " %s=%v", c, v)
			}
		}
		fmt.Fprintln(out)
	}
	*exampleID = example.ID
	return nil
}

// findings counts the orchestrator's CRM findings by kind, with one message of each.
func findings(ctx context.Context, api *suiteproc.Client) (map[string]int, map[string]string, error) {
	counts, examples := map[string]int{}, map[string]string{}
	token := ""
	for {
		raw, err := api.Do(ctx, http.MethodGet, "/v1/crm/findings?page_size=300&page_token="+url.QueryEscape(token), "", nil)
		if err != nil {
			return nil, nil, fmt.Errorf("reading findings: %w", err)
		}
		var page struct {
			Findings []struct {
				Kind    string `json:"kind"`
				Message string `json:"message"`
			} `json:"findings"`
			NextPageToken string `json:"nextPageToken"`
		}
		if err := json.Unmarshal(raw, &page); err != nil {
			return nil, nil, err
		}
		for _, f := range page.Findings {
			if counts[f.Kind]++; examples[f.Kind] == "" {
				examples[f.Kind] = f.Message
			}
		}
		if token = page.NextPageToken; token == "" {
			return counts, examples, nil
		}
	}
}

// countPending counts the parked records.
func countPending(ctx context.Context, api *suiteproc.Client) (int, error) {
	n, token := 0, ""
	for {
		raw, err := api.Do(ctx, http.MethodGet, "/v1/pending?page_size=300&page_token="+url.QueryEscape(token), "", nil)
		if err != nil {
			return 0, fmt.Errorf("reading the pending list: %w", err)
		}
		var page struct {
			PendingRecords []json.RawMessage `json:"pendingRecords"`
			NextPageToken  string            `json:"nextPageToken"`
		}
		if err := json.Unmarshal(raw, &page); err != nil {
			return 0, err
		}
		n += len(page.PendingRecords)
		if token = page.NextPageToken; token == "" {
			return n, nil
		}
	}
}

// number reads a simulator column value as a number (0 when it is none).
func number(v any) float64 {
	switch n := v.(type) {
	case int64:
		return float64(n)
	case float64:
		return n
	}
	return 0
}
