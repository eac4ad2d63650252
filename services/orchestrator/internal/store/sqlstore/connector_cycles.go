package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

const cycleColumns = "source, started_at, finished_at, error, rows_read, records_sent, records_applied, records_parked, records_rejected, deletes_waiting, reported_at"

// PutConnectorCycle implements store.Store.
func (s *Store) PutConnectorCycle(ctx context.Context, c store.ConnectorCycle, now time.Time) error {
	q := "INSERT INTO connector_cycles (" + cycleColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) " +
		"ON CONFLICT (source) DO UPDATE SET started_at = excluded.started_at, finished_at = excluded.finished_at, " +
		"error = excluded.error, rows_read = excluded.rows_read, records_sent = excluded.records_sent, " +
		"records_applied = excluded.records_applied, records_parked = excluded.records_parked, " +
		"records_rejected = excluded.records_rejected, deletes_waiting = excluded.deletes_waiting, reported_at = excluded.reported_at"
	_, err := s.db.ExecContext(ctx, s.db.Rebind(q), c.Source, micros(c.Started), micros(c.Finished), c.Error,
		c.RowsRead, c.RecordsSent, c.RecordsApplied, c.RecordsParked, c.RecordsRejected, c.DeletesWaiting, micros(now))
	if err != nil {
		return fmt.Errorf("storing the connector cycle of %q: %w", c.Source, err)
	}
	return nil
}

// ListConnectorCycles implements store.Store.
func (s *Store) ListConnectorCycles(ctx context.Context) ([]store.ConnectorCycle, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+cycleColumns+" FROM connector_cycles ORDER BY source")
	if err != nil {
		return nil, fmt.Errorf("reading connector cycles: %w", err)
	}
	defer rows.Close()
	var out []store.ConnectorCycle
	for rows.Next() {
		c, err := scanCycle(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading connector cycles: %w", err)
	}
	return out, nil
}

// scanCycle reads one row of cycleColumns.
func scanCycle(rows *sql.Rows) (store.ConnectorCycle, error) {
	var c store.ConnectorCycle
	var started, finished, reported int64
	if err := rows.Scan(&c.Source, &started, &finished, &c.Error, &c.RowsRead, &c.RecordsSent, &c.RecordsApplied,
		&c.RecordsParked, &c.RecordsRejected, &c.DeletesWaiting, &reported); err != nil {
		return c, fmt.Errorf("reading connector cycles: %w", err)
	}
	c.Started, c.Finished, c.Reported = fromMicros(started), fromMicros(finished), fromMicros(reported)
	return c, nil
}
