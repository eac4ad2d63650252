package store

import (
	"context"
	"time"
)

// ConnectorCycle is the summary of one CRM connector's sync cycle, as the connector reported
// it: what the operations console shows as the connector's last cycle.
type ConnectorCycle struct {
	// Source names the connector, for example "dynamics"; cycles are keyed by it.
	Source string
	// Started and Finished bound the cycle.
	Started, Finished time.Time
	// Error says why the cycle failed, in words; "" when it succeeded.
	Error string
	// RowsRead counts the CRM rows read; RecordsSent the records sent in sync runs, of
	// which RecordsApplied were applied, RecordsParked parked and RecordsRejected rejected.
	RowsRead, RecordsSent, RecordsApplied, RecordsParked, RecordsRejected int64
	// DeletesWaiting counts the deletes refused as in use, tried again next cycle.
	DeletesWaiting int64
	// Reported is when the orchestrator stored the report; set by the store.
	Reported time.Time
}

// ConnectorCycleStore keeps the last cycle each CRM connector reported.
type ConnectorCycleStore interface {
	// PutConnectorCycle stores c as its source's last cycle, replacing the one stored
	// before, with Reported now.
	PutConnectorCycle(ctx context.Context, c ConnectorCycle, now time.Time) error
	// ListConnectorCycles returns the last cycle of each source, ordered by source.
	ListConnectorCycles(ctx context.Context) ([]ConnectorCycle, error)
}
