package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// GetUpstreamState implements store.UpstreamStore.
func (s *Store) GetUpstreamState(ctx context.Context, name string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, s.db.Rebind("SELECT value FROM upstream_state WHERE name = ?"), name).Scan(&v)
	if err == sql.ErrNoRows {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading upstream state %q: %w", name, err)
	}
	return v, nil
}

// PutUpstreamState implements store.UpstreamStore.
func (s *Store) PutUpstreamState(ctx context.Context, name, value string) error {
	if _, err := s.db.ExecContext(ctx, s.db.Rebind("INSERT INTO upstream_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value"), name, value); err != nil {
		return fmt.Errorf("storing upstream state %q: %w", name, err)
	}
	return nil
}

// leaseValue is the lease row's value: the expiry in zero-padded Unix microseconds (so that
// text order is time order), then the owner.
func leaseValue(owner string, until time.Time) string {
	return fmt.Sprintf("%020d|%s", micros(until), owner)
}

// TakeUpstreamLease implements store.UpstreamStore.
func (s *Store) TakeUpstreamLease(ctx context.Context, owner, gone string, now time.Time, ttl time.Duration) (bool, error) {
	if gone == "" {
		gone = owner
	}
	res, err := s.db.ExecContext(ctx, s.db.Rebind("INSERT INTO upstream_state (name, value) VALUES ('forwarder_lease', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value "+
		"WHERE substr(upstream_state.value, 1, 20) < ? OR substr(upstream_state.value, 22) = ? OR substr(upstream_state.value, 22) = ?"),
		leaseValue(owner, now.Add(ttl)), fmt.Sprintf("%020d", micros(now)), owner, gone)
	if err != nil {
		return false, fmt.Errorf("taking the forwarder lease: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// UpstreamLeaseHolder implements store.UpstreamStore.
func (s *Store) UpstreamLeaseHolder(ctx context.Context) (string, time.Time, error) {
	v, err := s.GetUpstreamState(ctx, "forwarder_lease")
	if err != nil || v == "" {
		return "", time.Time{}, err
	}
	exp, owner, ok := strings.Cut(v, "|")
	if !ok {
		return "", time.Time{}, fmt.Errorf("the forwarder lease %q is malformed", v)
	}
	us, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("the forwarder lease %q is malformed", v)
	}
	return owner, fromMicros(us), nil
}
