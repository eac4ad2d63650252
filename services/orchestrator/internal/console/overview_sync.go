package console

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
)

// recordCount is one line of the overview's record counts.
type recordCount struct {
	Label string
	N     string // grouped by thousands, for example 1,234
}

// recordCounts reads how many records of each type msisync holds.
func (c *Console) recordCounts(ctx context.Context) ([]recordCount, error) {
	resp, err := c.insight.GetRecordCounts(ctx, &orchestratorv1.GetRecordCountsRequest{})
	if err != nil {
		return nil, err
	}
	return []recordCount{
		{"Sales persons", thousands(resp.GetSalesPersons())},
		{"Companies", thousands(resp.GetCompanies())},
		{"People", thousands(resp.GetLeads())},
		{"Opportunities", thousands(resp.GetOpportunities())},
		{"Opportunity roles", thousands(resp.GetOpportunityRoles())},
	}, nil
}

// cycleRow is a CRM connector's last cycle, in words.
type cycleRow struct {
	// Name is the connector, for example "Dynamics connector".
	Name string
	// Ago is how long ago the cycle ended ("2 min ago"); Ended the time itself.
	Ago, Ended string
	// OK is true when the cycle succeeded; Error says why it failed.
	OK    bool
	Error string
	// Summary is its counts in words.
	Summary string
}

// connectorCycles reads the last cycle each CRM connector reported.
func (c *Console) connectorCycles(ctx context.Context, now time.Time) ([]cycleRow, error) {
	resp, err := c.insight.ListConnectorCycles(ctx, &orchestratorv1.ListConnectorCyclesRequest{})
	if err != nil {
		return nil, err
	}
	var out []cycleRow
	for _, cy := range resp.GetCycles() {
		end := cy.GetEndTime().AsTime()
		name := cy.GetSource()
		if name != "" {
			name = strings.ToUpper(name[:1]) + name[1:]
		}
		row := cycleRow{Name: name + " connector", Ago: ago(now.Sub(end)), Ended: when(end), OK: cy.GetError() == "", Error: cy.GetError()}
		took := end.Sub(cy.GetStartTime().AsTime()).Round(time.Second)
		row.Summary = fmt.Sprintf("%s rows read; %s records sent: %s applied, %s parked, %s rejected; took %s",
			thousands(cy.GetRowsRead()), thousands(cy.GetRecordsSent()), thousands(cy.GetRecordsApplied()),
			thousands(cy.GetRecordsParked()), thousands(cy.GetRecordsRejected()), took)
		if n := cy.GetDeletesWaiting(); n > 0 {
			row.Summary += fmt.Sprintf("; %s deletes waiting for their children to go", thousands(n))
		}
		out = append(out, row)
	}
	return out, nil
}

// ago says how long ago d was, coarsely: "just now", "5 s ago", "2 min ago", "3 h ago",
// "4 days ago".
func ago(d time.Duration) string {
	switch {
	case d < 5*time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%d s ago", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%d days ago", int(d/(24*time.Hour)))
}

// thousands writes n with commas between groups of three digits: 1234567 is "1,234,567".
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
