package e2e

import (
	"bufio"
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
)

// slowClientPatience is how long these tests wait for the suite to act on a client it must
// cut off; its timeouts are 1 s, so it only runs out when the protection is missing.
const slowClientPatience = 30 * time.Second

// rawConn opens a TCP connection to the suite's REST gateway that gives up after
// slowClientPatience.
func (s *suite) rawConn(t *testing.T) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(s.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(slowClientPatience))
	return c
}

// readToClose reads what the suite sends until it closes the connection, failing the test
// when it keeps the connection open.
func readToClose(t *testing.T, c net.Conn) string {
	t.Helper()
	got, err := io.ReadAll(c)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the suite kept the connection open for %v (read so far: %q)", slowClientPatience, got)
	}
	return string(got)
}

// TestSlowClientsCannotHoldTheGateway plays slow-loris clients against the suite with 1 s
// HTTP timeouts: a body that trickles in gets 408 and is cut off, headers that never end
// and kept-alive connections that idle are closed, and the suite serves normally
// afterwards.
func TestSlowClientsCannotHoldTheGateway(t *testing.T) {
	t.Parallel()
	s := startSuite(t, "",
		"MSISYNC_HTTP_READ_HEADER_TIMEOUT=1s", "MSISYNC_HTTP_READ_TIMEOUT=1s", "MSISYNC_HTTP_WRITE_TIMEOUT=10s",
		"MSISYNC_HTTP_IDLE_TIMEOUT=1s")
	tok := s.token()

	t.Run("slow body", func(t *testing.T) {
		for _, path := range []string{"/rest/v1/leads.json", "/v1/syncruns"} {
			c := s.rawConn(t)
			fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{", path, tok)
			stop := make(chan struct{})
			var trickle sync.WaitGroup
			trickle.Go(func() {
				tick := time.NewTicker(100 * time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case <-stop:
						return
					case <-tick.C:
						if _, err := c.Write([]byte(" ")); err != nil {
							return
						}
					}
				}
			})
			got := readToClose(t, c)
			close(stop)
			trickle.Wait()
			if !strings.HasPrefix(got, "HTTP/1.1 408 ") || !strings.Contains(got, "MSISYNC_HTTP_READ_TIMEOUT") {
				t.Errorf("%s: a body that trickles in got %q; want 408 naming MSISYNC_HTTP_READ_TIMEOUT, then the connection closed", path, got)
			}
		}
	})

	t.Run("slow headers", func(t *testing.T) {
		c := s.rawConn(t)
		fmt.Fprint(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n")
		if got := readToClose(t, c); got != "" {
			t.Errorf("headers that never end got %q; want the connection closed", got)
		}
	})

	t.Run("idle keep-alive", func(t *testing.T) {
		c := s.rawConn(t)
		fmt.Fprint(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Close {
			t.Fatalf("HTTP %d, close %v; want 200 on a kept-alive connection", resp.StatusCode, resp.Close)
		}
		readToClose(t, c)
	})

	if r := s.call(http.MethodGet, "/rest/v1/leads.json?filterType=email&filterValues=nobody@example.com", tok, "", nil); r.status != http.StatusOK || r.body["success"] != true {
		t.Errorf("after the slow clients: HTTP %d %s; want a normal answer", r.status, r.raw)
	}
}

// TestGatewayCapsConnections holds as many connections as MSISYNC_HTTP_MAX_CONNECTIONS
// allows (3), each kept alive after one request: a fourth connection is not served while
// they are held, and is once one lets go.
func TestGatewayCapsConnections(t *testing.T) {
	t.Parallel()
	s := startSuite(t, "", "MSISYNC_HTTP_MAX_CONNECTIONS=3")
	http.DefaultClient.CloseIdleConnections() // the start-up health checks' connection
	var held []net.Conn
	for range 3 {
		c := s.rawConn(t)
		fmt.Fprint(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("holding connection %d: %v", len(held)+1, err)
		}
		resp.Body.Close()
		held = append(held, c)
	}
	quick := &http.Client{Timeout: 500 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
	if resp, err := quick.Get(s.base + "/healthz"); err == nil {
		resp.Body.Close()
		t.Fatalf("a fourth connection was served (HTTP %d) while 3 were held; want it to wait", resp.StatusCode)
	}
	held[0].Close()
	patient := &http.Client{Timeout: slowClientPatience, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := patient.Get(s.base + "/healthz")
	if err != nil {
		t.Fatalf("after one held connection closed: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("after one held connection closed: HTTP %d, want 200", resp.StatusCode)
	}
}

// TestOversizeBodyAlwaysGets413 sends 2 MB bodies as clients on a slow link do, the whole
// body written before the answer is read: every one gets the 413 answer, none a
// connection reset.
func TestOversizeBodyAlwaysGets413(t *testing.T) {
	t.Parallel()
	s := startSuite(t, "")
	tok := s.token()
	body := `{"input":[{"email":"` + strings.Repeat("x", 2<<20) + `"}]}`
	for _, path := range []string{"/rest/v1/leads.json", "/v1/syncruns"} {
		req := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", path, tok, len(body), body)
		errs := make([]error, 20)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() { errs[i] = writeAllThenRead413(s, req) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("%s, attempt %d of %d: %v", path, i+1, len(errs), err)
			}
		}
	}
}

// writeAllThenRead413 writes req in pieces for about a second, like a client on a slow
// link, then reads the answer, which must be the 413.
func writeAllThenRead413(s *suite, req string) error {
	c, err := net.Dial("tcp", strings.TrimPrefix(s.base, "http://"))
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(slowClientPatience))
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
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !(strings.Contains(string(got), `"code":"413"`) || strings.Contains(string(got), "larger than 1 MB")) {
		return fmt.Errorf("HTTP %d %s, want 413 with the Marketo (or own API) answer", resp.StatusCode, got)
	}
	return nil
}
