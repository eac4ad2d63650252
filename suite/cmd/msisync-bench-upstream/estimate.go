package main

import (
	"fmt"
	"io"
	"time"

	"github.com/msisync/msisync/platform/marketoclient"
)

// Marketo's limits the forwarder keeps to (marketoclient's defaults).
var (
	limitCalls  = marketoclient.Defaults.RateLimitCalls
	limitWindow = marketoclient.Defaults.RateLimitWindow
	limitConc   = marketoclient.Defaults.MaxConcurrency
	dailyQuota  = marketoclient.Defaults.DailyQuota
	reservePct  = marketoclient.Defaults.QuotaReserve
)

// callsPerSecond is the rate limit as calls per second (5).
func callsPerSecond() float64 { return float64(limitCalls) / limitWindow.Seconds() }

// capRecordsPerSecond is the most records per second the rate limit lets through (1,500).
func capRecordsPerSecond() float64 { return callsPerSecond() * listMax }

// ceilDiv is ⌈a/b⌉.
func ceilDiv(a, b int) int { return (a + b - 1) / b }

// initialLoad is the 1M-person initial load of docs/upstream.md in calls.
type initialLoad struct {
	records, writes, backfill int
}

// estimateInitialLoad counts the calls of the example mix: one write per 300 records of
// each object, and one MSI read per 300 leads.
func estimateInitialLoad() initialLoad {
	writes := 0
	for _, n := range []int{mixSalesPersons, mixCompanies, mixLeads, mixOpportunities, mixRoles} {
		writes += ceilDiv(n, listMax)
	}
	return initialLoad{records: mixTotal, writes: writes, backfill: ceilDiv(mixLeads, listMax)}
}

// print writes the estimate at the cap and at the measured delivery rate.
func (l initialLoad) print(w io.Writer, measured float64) {
	calls := l.writes + l.backfill
	share := int(float64(dailyQuota) * (100 - reservePct) / 100)
	atCap := time.Duration(float64(calls) / callsPerSecond() * float64(time.Second))
	fmt.Fprintf(w, "  1M-person load    %d records (%d sales persons, %d companies, %d leads, %d opportunities, %d roles)\n",
		l.records, mixSalesPersons, mixCompanies, mixLeads, mixOpportunities, mixRoles)
	fmt.Fprintf(w, "                     %d write calls + %d MSI backfill calls = %d calls; msisync's share of the daily quota %d (%d less %.0f %%)\n",
		l.writes, l.backfill, calls, share, dailyQuota, reservePct)
	fmt.Fprintf(w, "                     → %d quota day(s) while the other integrations use under %d calls that day\n",
		ceilDiv(calls, share), share-calls)
	fmt.Fprintf(w, "                     at the cap (%.0f calls/s): %s\n", callsPerSecond(), minutes(atCap))
	if measured > 0 {
		writes := time.Duration(float64(l.records) / measured * float64(time.Second))
		backfill := time.Duration(float64(l.backfill) / callsPerSecond() * float64(time.Second))
		fmt.Fprintf(w, "                     at the measured %.0f records/s: %s (writes %s, then the backfill at the cap %s)\n",
			measured, minutes(writes+backfill), minutes(writes), minutes(backfill))
	}
}

// minutes formats a long duration in minutes.
func minutes(d time.Duration) string { return fmt.Sprintf("%.1f min", d.Minutes()) }
