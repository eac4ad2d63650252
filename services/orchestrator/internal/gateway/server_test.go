package gateway

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// patience is how long a test waits for something that must happen; the servers' own
// timeouts are 1 s, so it only runs out when the behaviour is missing.
const patience = 30 * time.Second

// startServer serves the whole gateway handler (its orchestrator unreachable: these tests
// stop before any call) with cfg on a loopback port, as the orchestrator does, and returns
// the address.
// defaultServerConfig is the orchestrator's defaults (its MSISYNC_HTTP_* envDefault tags):
// a 1 MB batch passes over a link of about 70 kbit/s.
var defaultServerConfig = ServerConfig{
	ReadHeaderTimeout: 10 * time.Second,
	ReadTimeout:       2 * time.Minute,
	WriteTimeout:      5 * time.Minute,
	IdleTimeout:       2 * time.Minute,
	MaxHeaderBytes:    64 << 10,
	MaxConnections:    1000,
}

func startServer(t *testing.T, cfg ServerConfig) string {
	t.Helper()
	conn, err := grpc.NewClient("passthrough:///orchestrator",
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(context.Context, string) (net.Conn, error) {
			return nil, errors.New("no orchestrator in this test")
		}),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	h, err := New(context.Background(), DefaultConfig, conn, ok, ok)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(cfg, h)
	go func() { _ = srv.Serve(Limit(lis, cfg)) }()
	t.Cleanup(func() { srv.Close() })
	return lis.Addr().String()
}

// quickConfig has 1 s timeouts, so that the tests need not wait long.
var quickConfig = ServerConfig{
	ReadHeaderTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: 5 * time.Second,
	IdleTimeout: time.Second, MaxHeaderBytes: 64 << 10,
}

// dial opens a raw connection that gives up after patience.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(patience))
	return c
}

// readUntilClosed reads what the server sends until it closes the connection; it fails
// the test when the server keeps the connection open for the whole patience.
func readUntilClosed(t *testing.T, c net.Conn) string {
	t.Helper()
	got, err := io.ReadAll(c)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the server kept the connection open for %v (read so far: %q)", patience, got)
	}
	return string(got)
}

func TestServerAnswersSlowBody408AndCloses(t *testing.T) {
	t.Parallel()
	addr := startServer(t, quickConfig)
	for _, path := range []string{"/rest/v1/leads.json", "/v1/syncruns"} {
		c := dial(t, addr)
		// Headers promise 1000 bytes; one arrives, then the client trickles on.
		fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{", path)
		stop := make(chan struct{})
		go func() {
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					if _, err := c.Write([]byte(" ")); err != nil {
						return
					}
				}
			}
		}()
		got := readUntilClosed(t, c)
		close(stop)
		if !strings.HasPrefix(got, "HTTP/1.1 408 ") || !strings.Contains(got, "MSISYNC_HTTP_READ_TIMEOUT") {
			t.Errorf("%s: a body that never completes got %q, want 408 naming MSISYNC_HTTP_READ_TIMEOUT, then the connection closed", path, got)
		}
	}
}

func TestServerClosesSlowHeaders(t *testing.T) {
	t.Parallel()
	addr := startServer(t, quickConfig)
	c := dial(t, addr)
	fmt.Fprint(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n")
	if got := readUntilClosed(t, c); got != "" {
		t.Errorf("headers that never complete got %q, want the connection closed", got)
	}
}

func TestServerClosesIdleConnections(t *testing.T) {
	t.Parallel()
	addr := startServer(t, quickConfig)
	c := dial(t, addr)
	fmt.Fprint(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Close {
		t.Fatalf("first request: HTTP %d, close %v; want 200 on a kept-alive connection", resp.StatusCode, resp.Close)
	}
	// The connection now idles: the server closes it.
	readUntilClosed(t, c)
}

func TestServerCapsConnections(t *testing.T) {
	t.Parallel()
	cfg := quickConfig
	cfg.IdleTimeout, cfg.MaxConnections = time.Minute, 2
	addr := startServer(t, cfg)
	// Two clients hold a connection each, kept alive after one request.
	var held []net.Conn
	for range cfg.MaxConnections {
		c := dial(t, addr)
		fmt.Fprint(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("holding connection %d: %v", len(held)+1, err)
		}
		resp.Body.Close()
		held = append(held, c)
	}
	// A third is not served while they hold theirs...
	quick := &http.Client{Timeout: 500 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
	if resp, err := quick.Get("http://" + addr + "/healthz"); err == nil {
		resp.Body.Close()
		t.Fatalf("a third connection was served (HTTP %d) while %d were held; want it to wait", resp.StatusCode, cfg.MaxConnections)
	}
	// ...and is as soon as one lets go.
	held[0].Close()
	patient := &http.Client{Timeout: patience, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := patient.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("after one held connection closed: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("after one held connection closed: HTTP %d, want 200", resp.StatusCode)
	}
}

// TestServerOversizeBodyAlwaysGets413 sends 2 MB bodies the way some clients do, the
// whole body written before the answer is read: every one must get the 413 answer, never a
// connection reset.
func TestServerOversizeBodyAlwaysGets413(t *testing.T) {
	t.Parallel()
	addr := startServer(t, defaultServerConfig)
	body := `{"input":[{"email":"` + strings.Repeat("x", 2<<20) + `"}]}`
	chunked := fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(body), body)
	tests := []struct {
		name, path, framing, body, want string
	}{
		{"Marketo, Content-Length", "/rest/v1/leads.json", fmt.Sprintf("Content-Length: %d", len(body)), body, `"code":"413"`},
		{"Marketo, chunked", "/rest/v1/leads.json", "Transfer-Encoding: chunked", chunked, `"code":"413"`},
		{"own API, Content-Length", "/v1/syncruns", fmt.Sprintf("Content-Length: %d", len(body)), body, `larger than 1 MB`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n%s\r\n\r\n%s", tt.path, tt.framing, tt.body)
			var wg sync.WaitGroup
			errs := make([]error, 20)
			for i := range errs {
				wg.Go(func() { errs[i] = sendAllThenRead(addr, req, tt.want) })
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("attempt %d of %d: %v", i+1, len(errs), err)
				}
			}
		})
	}
}

// sendAllThenRead writes req as a client on a slow link does, in pieces for about a
// second, and only then reads the answer, which must be a 413 holding want.
func sendAllThenRead(addr, req, want string) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(patience))
	const piece = 32 << 10
	for rest := req; rest != ""; {
		n := min(piece, len(rest))
		if _, err := io.WriteString(c, rest[:n]); err != nil {
			return fmt.Errorf("writing the request, %d bytes left: %w", len(rest), err)
		}
		rest = rest[n:]
		time.Sleep(15 * time.Millisecond) // the slow link
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("reading the answer's body: %w", err)
	}
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(got), want) {
		return fmt.Errorf("HTTP %d %s, want 413 with %s", resp.StatusCode, got, want)
	}
	return nil
}

// TestServerOversizeBodyWithExpectContinue: a client that asks before sending (curl does
// for large bodies) gets the 413 at once, without the gateway waiting for a body that
// will not come.
func TestServerOversizeBodyWithExpectContinue(t *testing.T) {
	t.Parallel()
	cfg := defaultServerConfig
	cfg.ReadTimeout, cfg.WriteTimeout = time.Hour, time.Hour // so a wait would show
	addr := startServer(t, cfg)
	c := dial(t, addr)
	fmt.Fprintf(c, "POST /rest/v1/leads.json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", 2<<20)
	got := readUntilClosed(t, c)
	if !strings.HasPrefix(got, "HTTP/1.1 413 ") || strings.Contains(got, "100 Continue") {
		t.Errorf("answer %q, want the 413 without 100 Continue", got)
	}
}
