package main

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver, as the suite uses

	"github.com/msisync/msisync/suite/internal/suiteproc"
)

// leadsDDL is the person service's leads table and indexes as its SQLite migration
// (services/person/internal/store/sqlstore/migrations/sqlite/00001_leads.sql) creates them.
const leadsDDL = `
CREATE TABLE leads (
    id                        INTEGER PRIMARY KEY AUTOINCREMENT,
    email                     TEXT    NOT NULL DEFAULT '',
    email_key                 TEXT    NOT NULL DEFAULT '',
    external_person_id        TEXT    NOT NULL DEFAULT '',
    external_person_key       TEXT    NOT NULL DEFAULT '',
    external_company_id       TEXT    NOT NULL DEFAULT '',
    external_company_key      TEXT    NOT NULL DEFAULT '',
    external_sales_person_id  TEXT    NOT NULL DEFAULT '',
    external_sales_person_key TEXT    NOT NULL DEFAULT '',
    salutation                TEXT    NOT NULL DEFAULT '',
    first_name                TEXT    NOT NULL DEFAULT '',
    middle_name               TEXT    NOT NULL DEFAULT '',
    last_name                 TEXT    NOT NULL DEFAULT '',
    title                     TEXT    NOT NULL DEFAULT '',
    department                TEXT    NOT NULL DEFAULT '',
    phone                     TEXT    NOT NULL DEFAULT '',
    mobile_phone              TEXT    NOT NULL DEFAULT '',
    fax                       TEXT    NOT NULL DEFAULT '',
    company                   TEXT    NOT NULL DEFAULT '',
    website                   TEXT    NOT NULL DEFAULT '',
    address                   TEXT    NOT NULL DEFAULT '',
    city                      TEXT    NOT NULL DEFAULT '',
    state                     TEXT    NOT NULL DEFAULT '',
    postal_code               TEXT    NOT NULL DEFAULT '',
    country                   TEXT    NOT NULL DEFAULT '',
    lead_source               TEXT    NOT NULL DEFAULT '',
    lead_status               TEXT    NOT NULL DEFAULT '',
    lead_role                 TEXT    NOT NULL DEFAULT '',
    rating                    TEXT    NOT NULL DEFAULT '',
    industry                  TEXT    NOT NULL DEFAULT '',
    annual_revenue            REAL    NOT NULL DEFAULT 0,
    number_of_employees       INTEGER NOT NULL DEFAULT 0,
    unsubscribed              INTEGER NOT NULL DEFAULT 0,
    do_not_call               INTEGER NOT NULL DEFAULT 0,
    custom_fields             TEXT    NOT NULL DEFAULT '{}',
    created_at                INTEGER NOT NULL,
    updated_at                INTEGER NOT NULL
);
CREATE UNIQUE INDEX leads_external_person_key ON leads (external_person_key) WHERE external_person_key <> '';
CREATE INDEX leads_email_key ON leads (email_key);
CREATE INDEX leads_external_company_key ON leads (external_company_key);
CREATE INDEX leads_external_sales_person_key ON leads (external_sales_person_key);
`

// rawColumns are the columns the raw upsert writes: every column the benchmark's leads
// carry a value for, with the keys the suite derives, and the timestamps.
var rawColumns = []string{
	"email", "email_key", "external_person_id", "external_person_key",
	"external_company_id", "external_company_key", "external_sales_person_id", "external_sales_person_key",
	"first_name", "last_name", "title", "phone", "city", "custom_fields", "created_at", "updated_at",
}

// rawRow is one lead as the raw upsert binds it.
type rawRow []any

// rawSQLite upserts leads into a fresh SQLite file in dir, batchSize rows per transaction,
// with writers concurrent writers, opened with the suite's pragmas (platform/sqldb), and
// returns the timing. The rows, with their derived keys, are built before the clock starts.
func rawSQLite(ctx context.Context, dir string, leads []suiteproc.Lead, writers int) (writeStats, error) {
	path := filepath.Join(dir, "raw-baseline.db")
	dsn := "file:" + path + "?_txlock=immediate" +
		"&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(NORMAL)" +
		"&_pragma=busy_timeout(10000)" +
		"&_pragma=foreign_keys(ON)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return writeStats{}, err
	}
	defer db.Close()
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(0)
	if _, err := db.ExecContext(ctx, leadsDDL); err != nil {
		return writeStats{}, fmt.Errorf("creating the leads table: %w", err)
	}

	now := time.Now().UTC().UnixMicro()
	rows := make([]rawRow, len(leads))
	for i, l := range leads {
		rows[i] = rawRow{
			l.Email, strings.ToLower(l.Email), suiteproc.Canonical(l.ExternalPersonID), suiteproc.Key(l.ExternalPersonID),
			suiteproc.Canonical(l.ExternalCompanyID), suiteproc.Key(l.ExternalCompanyID), suiteproc.Canonical(l.ExternalSalesPersonID), suiteproc.Key(l.ExternalSalesPersonID),
			l.FirstName, l.LastName, l.Title, l.Phone, l.City, "{}", now, now,
		}
	}
	var batches [][]rawRow
	for start := 0; start < len(rows); start += batchSize {
		batches = append(batches, rows[start:min(start+batchSize, len(rows))])
	}

	stmts := map[int]*sql.Stmt{}
	for _, b := range batches {
		if _, ok := stmts[len(b)]; ok {
			continue
		}
		st, err := db.PrepareContext(ctx, upsertSQL(len(b)))
		if err != nil {
			return writeStats{}, fmt.Errorf("preparing the upsert: %w", err)
		}
		defer st.Close()
		stmts[len(b)] = st
	}

	work := make(chan []rawRow)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	var firstErr error
	durations := make(suiteproc.Latencies, 0, len(batches))
	var wg sync.WaitGroup
	start := time.Now()
	for range writers {
		wg.Go(func() {
			args := make([]any, 0, batchSize*len(rawColumns))
			for b := range work {
				args = args[:0]
				for _, r := range b {
					args = append(args, r...)
				}
				t0 := time.Now()
				err := upsertBatch(ctx, db, stmts[len(b)], args)
				d := time.Since(t0)
				mu.Lock()
				durations = append(durations, d)
				if err != nil && firstErr == nil {
					firstErr = err
					cancel()
				}
				mu.Unlock()
			}
		})
	}
feed:
	for _, b := range batches {
		select {
		case work <- b:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return writeStats{}, firstErr
	}
	if err := ctx.Err(); err != nil {
		return writeStats{}, err
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM leads").Scan(&n); err != nil {
		return writeStats{}, err
	}
	if n != len(leads) {
		return writeStats{}, fmt.Errorf("%d rows in the raw leads table after upserting %d leads", n, len(leads))
	}
	return writeStats{rows: len(leads), created: n, elapsed: elapsed, batches: durations}, nil
}

// upsertBatch runs one prepared multi-row upsert in its own (BEGIN IMMEDIATE) transaction.
func upsertBatch(ctx context.Context, db *sql.DB, st *sql.Stmt, args []any) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	if _, err := tx.StmtContext(ctx, st).ExecContext(ctx, args...); err != nil {
		_ = tx.Rollback()
		return fmt.Errorf("upserting leads: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}

// upsertSQL is the multi-row upsert of n leads keyed by external_person_key; an existing
// lead gets every column but created_at.
func upsertSQL(n int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(rawColumns)), ", ") + ")"
	var b strings.Builder
	b.WriteString("INSERT INTO leads (" + strings.Join(rawColumns, ", ") + ") VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	b.WriteString(" ON CONFLICT (external_person_key) WHERE external_person_key <> '' DO UPDATE SET ")
	first := true
	for _, c := range rawColumns {
		if c == "created_at" || c == "external_person_key" {
			continue
		}
		if !first {
			b.WriteString(", ")
		}
		first = false
		b.WriteString(c + " = excluded." + c)
	}
	return b.String()
}
