// Package config loads msisync's typed configuration from environment variables. Every
// variable starts with MSISYNC_; each service declares its settings as a struct with env
// tags (defaults in envDefault), loads it with Load and checks it with its Validate method
// before anything starts.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/caarlos0/env/v11"
)

// Prefix starts every msisync environment variable.
const Prefix = "MSISYNC_"

// Load fills cfg, a pointer to a struct with env tags, from the environment.
func Load(cfg any) error {
	if err := env.ParseWithOptions(cfg, env.Options{Prefix: Prefix}); err != nil {
		return explain(cfg, err)
	}
	return nil
}

// Secret is a setting that must never be logged: it prints as "[redacted]" in logs, fmt
// and JSON. Use Value to read it.
type Secret string

// Value returns the secret itself.
func (s Secret) Value() string { return string(s) }

// String implements fmt.Stringer without revealing the secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// LogValue implements slog.LogValuer without revealing the secret.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText implements encoding.TextMarshaler without revealing the secret.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Log configures the structured logs every process writes to standard error.
type Log struct {
	// Level is the least severe level written: debug, info, warn or error.
	Level slog.Level `env:"LOG_LEVEL" envDefault:"info"`
	// Format is text (one logfmt line per record) or json.
	Format string `env:"LOG_FORMAT" envDefault:"text"`
}

// Validate reports a setting that cannot work.
func (l Log) Validate() error {
	switch l.Format {
	case "text", "json":
		return nil
	}
	return fmt.Errorf("MSISYNC_LOG_FORMAT is %q; use text or json", l.Format)
}

// Store configures where a service keeps its data.
type Store struct {
	// DataDir holds one SQLite file per service when DatabaseURL is empty.
	DataDir string `env:"DATA_DIR" envDefault:"./data"`
	// DatabaseURL is a PostgreSQL URL (postgres://…). When set, every service keeps its
	// tables in a schema of its own name in that database; when empty, SQLite is used.
	DatabaseURL Secret `env:"DATABASE_URL"`
	// SQLiteSynchronous is SQLite's synchronous mode: NORMAL survives a killed process, FULL
	// also a power loss.
	SQLiteSynchronous string `env:"SQLITE_SYNCHRONOUS" envDefault:"NORMAL"`
}

// Validate reports a setting that cannot work.
func (s Store) Validate() error {
	var errs []error
	if s.DatabaseURL == "" && strings.TrimSpace(s.DataDir) == "" {
		errs = append(errs, errors.New("MSISYNC_DATA_DIR is empty and no MSISYNC_DATABASE_URL is set: name a directory for the SQLite files"))
	}
	if u := s.DatabaseURL.Value(); u != "" && !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") {
		errs = append(errs, errors.New("MSISYNC_DATABASE_URL must be a postgres:// or postgresql:// URL"))
	}
	switch strings.ToUpper(s.SQLiteSynchronous) {
	case "NORMAL", "FULL":
	default:
		errs = append(errs, fmt.Errorf("MSISYNC_SQLITE_SYNCHRONOUS is %q; use NORMAL or FULL", s.SQLiteSynchronous))
	}
	return errors.Join(errs...)
}

// SQLitePath returns the SQLite file of the named service.
func (s Store) SQLitePath(service string) string {
	return filepath.Join(s.DataDir, service+".db")
}

// Override returns a copy of s that uses url instead of DatabaseURL when url is set (a
// service-specific MSISYNC_<SERVICE>_DATABASE_URL).
func (s Store) Override(url Secret) Store {
	if url != "" {
		s.DatabaseURL = url
	}
	return s
}

// CheckAddr reports an address setting that is not host:port, naming the variable.
func CheckAddr(variable, addr string) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("%s %q is not host:port", variable, addr)
	}
	return nil
}

// ListenError explains a failure to listen on addr, the value of variable: a port in use
// says so and names the variable that moves it.
func ListenError(service, variable, addr string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%s: %s is already in use by another process: stop that process (an earlier msisync still running?) or set %s to a free address: %w", service, addr, variable, err)
	}
	return fmt.Errorf("%s: listening on %s (%s): %w", service, addr, variable, err)
}
