package connector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/msisync/msisync/connectors/dynamics/dataverse"
	"github.com/msisync/msisync/platform/alert"
)

// alertSource names the connector in its alerts.
const alertSource = "dynamics-connector"

// The connector's alert keys; a cycle kind's failures are "dynamics/<kind>-cycles-failing".
const (
	dataverseAlertKey    = "dynamics/dataverse-unreachable"
	orchestratorAlertKey = "dynamics/orchestrator-unreachable"
)

// cycleAlerts tells the operator's webhook (MSISYNC_ALERT_WEBHOOK_URL) when watch-mode cycles
// of one kind fail MSISYNC_ALERT_FAILED_CYCLES times in a row, and when a cycle failed
// because Dataverse or the orchestrator could not be reached; each alert resolves with the
// next cycle that succeeds. A nil *cycleAlerts does nothing.
type cycleAlerts struct {
	a     *alert.Alerter
	after int

	mu     sync.Mutex
	failed map[string]int // failed cycles in a row, per kind
}

// newCycleAlerts returns the connector's alerts; nil without a webhook.
func newCycleAlerts(cfg Config, log *slog.Logger) *cycleAlerts {
	a := alert.New(cfg.Alert, alertSource, log, alert.Options{})
	if a == nil {
		return nil
	}
	return &cycleAlerts{a: a, after: cfg.AlertFailedCycles, failed: map[string]int{}}
}

// run delivers the alerts until ctx ends.
func (h *cycleAlerts) run(ctx context.Context) error {
	if h == nil {
		return nil
	}
	return h.a.Run(ctx)
}

// observe counts the outcome of a cycle of kind ("sync" or "writeback"): err is nil when it
// succeeded.
func (h *cycleAlerts) observe(kind string, err error) {
	if h == nil {
		return
	}
	key := "dynamics/" + kind + "-cycles-failing"
	h.mu.Lock()
	if err == nil {
		h.failed[kind] = 0
	} else {
		h.failed[kind]++
	}
	n := h.failed[kind]
	h.mu.Unlock()
	if err == nil {
		h.a.Resolve(key, fmt.Sprintf("Dynamics %s cycles succeed again", kind))
		// A cycle talks to both Dataverse and the orchestrator: both are reachable.
		h.a.Resolve(dataverseAlertKey, "Dataverse is reachable again: a connector cycle succeeded")
		h.a.Resolve(orchestratorAlertKey, "the msisync orchestrator is reachable again: a connector cycle succeeded")
		return
	}
	switch {
	case orchestratorUnreachable(err):
		h.a.Raise(orchestratorAlertKey, "the Dynamics connector cannot reach the msisync orchestrator (MSISYNC_ORCHESTRATOR_ADDR): its cycles fail until it is back",
			map[string]any{"cycle": kind, "error": err.Error()})
	case dataverseUnreachable(err):
		h.a.Raise(dataverseAlertKey, "the Dynamics connector cannot reach Dataverse (MSISYNC_DYNAMICS_URL), or Dataverse answers with server errors: its cycles fail until it is back",
			map[string]any{"cycle": kind, "error": err.Error()})
	}
	if n >= h.after {
		h.a.Raise(key, fmt.Sprintf("%d Dynamics %s cycles failed in a row (MSISYNC_ALERT_FAILED_CYCLES=%d); the changes wait, nothing is skipped", n, kind, h.after),
			map[string]any{"cycle": kind, "failedInARow": n, "error": err.Error()})
	}
}

// orchestratorUnreachable reports whether err says the orchestrator could not be reached.
func orchestratorUnreachable(err error) bool {
	return status.Code(err) == codes.Unavailable
}

// dataverseUnreachable reports whether err says Dataverse (or its token endpoint) could not
// be reached, or answered with a server error (5xx) after the client's retries.
func dataverseUnreachable(err error) bool {
	var de *dataverse.Error
	if errors.As(err, &de) {
		return de.Status >= 500
	}
	var ne net.Error
	return errors.As(err, &ne)
}
