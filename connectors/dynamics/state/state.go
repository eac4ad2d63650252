// Package state is the Dynamics connector's durable memory, on SQLite (a file under the data
// directory) or PostgreSQL: the delta link of each Dataverse entity set, the writeback
// cursor, a fingerprint of every record last sent to the orchestrator, and the writeback
// PATCHes Dataverse answered 404. Cursors and fingerprints move together in one transaction
// (Commit), after the orchestrator has stored the change set durably, so a restart resumes
// exactly where the last acknowledged change set ended.
package state

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"log/slog"
	"time"

	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/sqldb"
)

//go:embed migrations
var migrations embed.FS

// serviceName names the SQLite file (dynamics.db) and the PostgreSQL schema.
const serviceName = "dynamics"

// chunk bounds the ids of one IN (…) and the rows of one INSERT.
const chunk = 300

// Record is what the connector last sent for one CRM row.
type Record struct {
	// EntitySet is the Dataverse entity set, e.g. "contacts".
	EntitySet string
	// CRMID is the row's id, lowercase.
	CRMID string
	// Fingerprint identifies the mapped record sent; an unchanged row maps to the same one.
	Fingerprint string
	// Facts is connector-defined JSON kept with the row (empty when none).
	Facts string
}

// Key names one CRM row.
type Key struct {
	// EntitySet is the Dataverse entity set.
	EntitySet string
	// CRMID is the row's id, lowercase.
	CRMID string
}

// Commit is one atomic step of the connector's memory.
type Commit struct {
	// Cursors to set, by name.
	Cursors map[string]string
	// Put stores these records (replacing earlier ones with the same key).
	Put []Record
	// Delete forgets these rows.
	Delete []Key
}

// Miss is a writeback PATCH that Dataverse answered with a 404 (or another final error).
type Miss struct {
	// EntitySet and CRMID name the row.
	EntitySet, CRMID string
	// Status is the HTTP status of the answer.
	Status int
	// Message is Dataverse's error message.
	Message string
}

// Store is the connector's state database.
type Store struct {
	db *sqldb.DB
}

// Open opens and migrates the connector's database that cfg names.
func Open(ctx context.Context, cfg config.Store, log *slog.Logger) (*Store, error) {
	db, err := sqldb.OpenEmbedded(ctx, serviceName, cfg, migrations, log)
	if err != nil {
		return nil, err
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Cursor returns the named cursor, or "" when it was never set.
func (s *Store) Cursor(ctx context.Context, name string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, s.db.Rebind("SELECT value FROM cursors WHERE name = ?"), name).Scan(&v)
	if err == sql.ErrNoRows {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading cursor %s: %w", name, err)
	}
	return v, nil
}

// Records returns the stored records of the given rows of one entity set, by CRM id; rows
// never sent are absent.
func (s *Store) Records(ctx context.Context, entitySet string, ids []string) (map[string]Record, error) {
	out := make(map[string]Record, len(ids))
	for start := 0; start < len(ids); start += chunk {
		in, args := sqldb.In(ids[start:min(start+chunk, len(ids))])
		q := "SELECT crm_id, fingerprint, facts FROM records WHERE entity_set = ? AND crm_id IN (" + in + ")"
		if err := s.scan(ctx, out, entitySet, q, append([]any{entitySet}, args...)...); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// All returns every stored record of one entity set, by CRM id (for a full resync, which
// deletes what the CRM no longer has, and for the user directory).
func (s *Store) All(ctx context.Context, entitySet string) (map[string]Record, error) {
	out := map[string]Record{}
	if err := s.scan(ctx, out, entitySet, "SELECT crm_id, fingerprint, facts FROM records WHERE entity_set = ?", entitySet); err != nil {
		return nil, err
	}
	return out, nil
}

// scan adds the records of entitySet that query q selects to out.
func (s *Store) scan(ctx context.Context, out map[string]Record, entitySet, q string, args ...any) error {
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return fmt.Errorf("reading %s records: %w", entitySet, err)
	}
	defer rows.Close()
	for rows.Next() {
		r := Record{EntitySet: entitySet}
		if err := rows.Scan(&r.CRMID, &r.Fingerprint, &r.Facts); err != nil {
			return err
		}
		out[r.CRMID] = r
	}
	return rows.Err()
}

// Apply performs c in one transaction: either all of it is stored or none.
func (s *Store) Apply(ctx context.Context, c Commit) error {
	now := time.Now().UnixMicro()
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		for name, value := range c.Cursors {
			q := s.db.Rebind("INSERT INTO cursors (name, value, updated_at) VALUES (?, ?, ?) " +
				"ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at")
			if _, err := tx.ExecContext(ctx, q, name, value, now); err != nil {
				return fmt.Errorf("saving cursor %s: %w", name, err)
			}
		}
		for start := 0; start < len(c.Put); start += chunk {
			part := c.Put[start:min(start+chunk, len(c.Put))]
			args := make([]any, 0, 5*len(part))
			for _, r := range part {
				args = append(args, r.EntitySet, r.CRMID, r.Fingerprint, r.Facts, now)
			}
			q := sqldb.InsertRows("records", []string{"entity_set", "crm_id", "fingerprint", "facts", "updated_at"}, len(part)) +
				" ON CONFLICT (entity_set, crm_id) DO UPDATE SET fingerprint = excluded.fingerprint, facts = excluded.facts, updated_at = excluded.updated_at"
			if _, err := tx.ExecContext(ctx, s.db.Rebind(q), args...); err != nil {
				return fmt.Errorf("saving records: %w", err)
			}
		}
		for _, k := range c.Delete {
			q := s.db.Rebind("DELETE FROM records WHERE entity_set = ? AND crm_id = ?")
			if _, err := tx.ExecContext(ctx, q, k.EntitySet, k.CRMID); err != nil {
				return fmt.Errorf("forgetting record: %w", err)
			}
		}
		return nil
	})
}

// RecordMisses stores writeback PATCHes that Dataverse refused for good, replacing earlier
// entries for the same rows.
func (s *Store) RecordMisses(ctx context.Context, misses []Miss) error {
	if len(misses) == 0 {
		return nil
	}
	now := time.Now().UnixMicro()
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		for start := 0; start < len(misses); start += chunk {
			part := misses[start:min(start+chunk, len(misses))]
			args := make([]any, 0, 5*len(part))
			for _, m := range part {
				args = append(args, m.EntitySet, m.CRMID, m.Status, m.Message, now)
			}
			q := sqldb.InsertRows("writeback_misses", []string{"entity_set", "crm_id", "status", "message", "seen_at"}, len(part)) +
				" ON CONFLICT (entity_set, crm_id) DO UPDATE SET status = excluded.status, message = excluded.message, seen_at = excluded.seen_at"
			if _, err := tx.ExecContext(ctx, s.db.Rebind(q), args...); err != nil {
				return fmt.Errorf("recording writeback misses: %w", err)
			}
		}
		return nil
	})
}

// Misses returns the recorded writeback misses, oldest first.
func (s *Store) Misses(ctx context.Context) ([]Miss, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT entity_set, crm_id, status, message FROM writeback_misses ORDER BY seen_at, entity_set, crm_id")
	if err != nil {
		return nil, fmt.Errorf("reading writeback misses: %w", err)
	}
	defer rows.Close()
	var out []Miss
	for rows.Next() {
		var m Miss
		if err := rows.Scan(&m.EntitySet, &m.CRMID, &m.Status, &m.Message); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
