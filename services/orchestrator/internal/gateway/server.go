package gateway

import (
	"net"
	"net/http"
	"time"

	"golang.org/x/net/netutil"
)

// ServerConfig bounds what one HTTP client can hold of the gateway: how long it may take to
// send a request, how long a kept-alive connection may sit idle, and how many connections
// are served at once.
type ServerConfig struct {
	// ReadHeaderTimeout is how long a client has to send a request's headers; a slower one
	// is disconnected without an answer.
	ReadHeaderTimeout time.Duration
	// ReadTimeout is how long a client has to send a whole request, body included; a
	// slower body is answered 408 and the connection closed. It also bounds how long a
	// refused oversize body is drained after its 413.
	ReadTimeout time.Duration
	// WriteTimeout is how long the gateway may take from the end of a request's headers to
	// the end of its answer (reading the body, running the call and sending the answer to a
	// client that reads it slowly); past it the connection is closed.
	WriteTimeout time.Duration
	// IdleTimeout is how long a kept-alive connection may wait for its next request.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds the request line and headers; more gets 431.
	MaxHeaderBytes int
	// MaxConnections is how many connections are served at once; more wait in the
	// operating system's accept queue until one closes. 0 sets no limit.
	MaxConnections int
}

// NewServer returns the HTTP server for handler with cfg's timeouts. Serve it on a
// listener from Limit.
func NewServer(cfg ServerConfig, handler http.Handler) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    cfg.MaxHeaderBytes,
	}
}

// Limit returns lis serving at most cfg.MaxConnections connections at once (lis itself
// when there is no limit): past the limit, Accept waits until a served connection closes,
// and new connections wait in the operating system's accept queue meanwhile.
func Limit(lis net.Listener, cfg ServerConfig) net.Listener {
	if cfg.MaxConnections <= 0 {
		return lis
	}
	return netutil.LimitListener(lis, cfg.MaxConnections)
}
