package orchestrator

import (
	"errors"
	"fmt"
	"time"

	"github.com/msisync/msisync/services/orchestrator/internal/gateway"
)

// HTTPConfig bounds what HTTP clients can hold of the REST gateway (MSISYNC_HTTP_*): a client
// that sends slowly, or keeps connections open, is cut off instead of holding a connection
// for ever. The defaults let a 1 MB batch through a link of about 70 kbit/s.
type HTTPConfig struct {
	// ReadHeaderTimeout is how long a client has to send a request's headers; a slower one
	// is disconnected without an answer (MSISYNC_HTTP_READ_HEADER_TIMEOUT, 1s to 10m).
	ReadHeaderTimeout time.Duration `env:"HTTP_READ_HEADER_TIMEOUT" envDefault:"10s"`
	// ReadTimeout is how long a client has to send a whole request, body included; a slower
	// body gets 408 and the connection is closed. It also bounds how long the rest of an
	// oversize body is read after its 413 (MSISYNC_HTTP_READ_TIMEOUT, 1s to 1h).
	ReadTimeout time.Duration `env:"HTTP_READ_TIMEOUT" envDefault:"2m"`
	// WriteTimeout is how long a request may take from the end of its headers to the end of
	// its answer: reading the body, running the call and sending the answer; past it the
	// connection is closed (MSISYNC_HTTP_WRITE_TIMEOUT, at least MSISYNC_HTTP_READ_TIMEOUT,
	// up to 1h).
	WriteTimeout time.Duration `env:"HTTP_WRITE_TIMEOUT" envDefault:"5m"`
	// IdleTimeout is how long a kept-alive connection may wait for its next request before
	// the gateway closes it (MSISYNC_HTTP_IDLE_TIMEOUT, 1s to 1h).
	IdleTimeout time.Duration `env:"HTTP_IDLE_TIMEOUT" envDefault:"2m"`
	// MaxHeaderBytes bounds a request's line and headers; more gets 431
	// (MSISYNC_HTTP_MAX_HEADER_BYTES, 16384 to 1048576: at least the 8 KB URI that gets 414).
	MaxHeaderBytes int `env:"HTTP_MAX_HEADER_BYTES" envDefault:"65536"`
	// MaxConnections is how many HTTP connections are served at once; more wait in the
	// operating system's accept queue until one closes (MSISYNC_HTTP_MAX_CONNECTIONS,
	// 0 for no limit, up to 1000000).
	MaxConnections int `env:"HTTP_MAX_CONNECTIONS" envDefault:"1000"`
}

// Validate reports a setting that cannot work.
func (c HTTPConfig) Validate() error {
	var errs []error
	timeouts := []struct {
		name     string
		value    time.Duration
		min, max time.Duration
	}{
		{"MSISYNC_HTTP_READ_HEADER_TIMEOUT", c.ReadHeaderTimeout, time.Second, 10 * time.Minute},
		{"MSISYNC_HTTP_READ_TIMEOUT", c.ReadTimeout, time.Second, time.Hour},
		{"MSISYNC_HTTP_WRITE_TIMEOUT", c.WriteTimeout, time.Second, time.Hour},
		{"MSISYNC_HTTP_IDLE_TIMEOUT", c.IdleTimeout, time.Second, time.Hour},
	}
	for _, t := range timeouts {
		if t.value < t.min || t.value > t.max {
			errs = append(errs, fmt.Errorf("%s %v is out of range: use %v to %v", t.name, t.value, t.min, t.max))
		}
	}
	if c.WriteTimeout < c.ReadTimeout {
		errs = append(errs, fmt.Errorf("MSISYNC_HTTP_WRITE_TIMEOUT %v is shorter than MSISYNC_HTTP_READ_TIMEOUT %v: a request whose body takes the whole read timeout could not be answered", c.WriteTimeout, c.ReadTimeout))
	}
	if c.MaxHeaderBytes < 16<<10 || c.MaxHeaderBytes > 1<<20 {
		errs = append(errs, fmt.Errorf("MSISYNC_HTTP_MAX_HEADER_BYTES %d is out of range: use 16384 to 1048576", c.MaxHeaderBytes))
	}
	if c.MaxConnections < 0 || c.MaxConnections > 1_000_000 {
		errs = append(errs, fmt.Errorf("MSISYNC_HTTP_MAX_CONNECTIONS %d is out of range: use 0 (no limit) to 1000000", c.MaxConnections))
	}
	return errors.Join(errs...)
}

// server returns the gateway's server settings.
func (c HTTPConfig) server() gateway.ServerConfig {
	return gateway.ServerConfig{
		ReadHeaderTimeout: c.ReadHeaderTimeout,
		ReadTimeout:       c.ReadTimeout,
		WriteTimeout:      c.WriteTimeout,
		IdleTimeout:       c.IdleTimeout,
		MaxHeaderBytes:    c.MaxHeaderBytes,
		MaxConnections:    c.MaxConnections,
	}
}
