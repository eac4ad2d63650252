// Package e2e drives the real all-in-one suite: it builds cmd/msisync, starts it as a
// process on free ports with its own data directory, and talks to it over real HTTP and
// gRPC, as a user would.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the all-in-one executable built once for the whole package.
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("e2e: skipped under -short (the end-to-end, crash and Dynamics tests build and start the whole suite)")
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "msisync-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "msisync")
	build := exec.Command("go", "build", "-o", binary, "github.com/msisync/msisync/suite/cmd/msisync")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the suite:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	testClientID     = "e2e-client"
	testClientSecret = "e2e-secret-0123456789"
)

// services lists the gRPC services with the variable that sets each one's address.
var services = []struct{ name, env string }{
	{"orchestrator", "MSISYNC_ORCHESTRATOR_ADDR"},
	{"identity", "MSISYNC_IDENTITY_ADDR"},
	{"account", "MSISYNC_ACCOUNT_ADDR"},
	{"person", "MSISYNC_PERSON_ADDR"},
	{"opportunity", "MSISYNC_OPPORTUNITY_ADDR"},
	{"scoring", "MSISYNC_SCORING_ADDR"},
}

// suite is one running all-in-one process.
type suite struct {
	t       *testing.T
	cmd     *exec.Cmd
	base    string            // http://127.0.0.1:port
	grpc    map[string]string // service → host:port
	dataDir string
	env     []string
	logs    *syncBuffer
	done    chan error
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// freePort returns a loopback address with a port nobody listens on right now.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startSuite starts the suite on fresh ports over dataDir (a new temp dir when empty),
// with extra MSISYNC_* settings, and waits until /healthz answers 200.
func startSuite(t *testing.T, dataDir string, extra ...string) *suite {
	t.Helper()
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	// A port found free can be taken by a parallel test before the suite binds it; then
	// the suite exits at once, and another set of ports is tried.
	for attempt := 1; ; attempt++ {
		s, err := trySuite(t, dataDir, extra)
		if err == nil {
			t.Cleanup(s.stop)
			return s
		}
		if attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			t.Fatal(err)
		}
	}
}

// testCustomFields are the custom fields every test suite declares (MSISYNC_CUSTOM_FIELDS).
const testCustomFields = "leads:shoeSize:string,leads:bvCustom:string,leads:seats:integer"

// trySuite starts the suite once on a fresh set of ports.
func trySuite(t *testing.T, dataDir string, extra []string) (*suite, error) {
	t.Helper()
	s := &suite{t: t, grpc: map[string]string{}, dataDir: dataDir}
	httpAddr := freePort(t)
	s.base = "http://" + httpAddr
	s.env = []string{
		"MSISYNC_DATA_DIR=" + dataDir,
		"MSISYNC_HTTP_ADDR=" + httpAddr,
		"MSISYNC_CLIENT_ID=" + testClientID,
		"MSISYNC_CLIENT_SECRET=" + testClientSecret,
		"MSISYNC_LOG_LEVEL=warn",
		"MSISYNC_RATE_LIMIT_CALLS=0",
		"MSISYNC_MAX_CONCURRENCY=0",
		"MSISYNC_DAILY_QUOTA=0",
		// The lead custom fields the tests sync (undeclared names answer 1006).
		"MSISYNC_CUSTOM_FIELDS=" + testCustomFields,
	}
	for _, svc := range services {
		addr := freePort(t)
		s.grpc[svc.name] = addr
		s.env = append(s.env, svc.env+"="+addr)
	}
	s.env = append(s.env, extra...)
	if err := s.launch(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *suite) start() {
	s.t.Helper()
	if err := s.launch(); err != nil {
		s.t.Fatal(err)
	}
}

// launch starts the process and waits until /healthz answers 200.
func (s *suite) launch() error {
	t := s.t
	t.Helper()
	s.logs = &syncBuffer{}
	s.cmd = exec.Command(binary)
	s.cmd.Env = append(os.Environ(), s.env...)
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("starting the suite: %w", err)
	}
	s.done = make(chan error, 1)
	go func() { s.done <- s.cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-s.done:
			s.cmd = nil
			return fmt.Errorf("the suite exited before it was healthy: %v\n%s", err, s.logs.String())
		default:
		}
		if time.Now().After(deadline) {
			_ = s.cmd.Process.Kill()
			<-s.done
			s.cmd = nil
			return fmt.Errorf("the suite was not healthy within 60 s\n%s", s.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (s *suite) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		if err != nil {
			s.t.Errorf("the suite did not stop cleanly: %v\n%s", err, s.logs.String())
		}
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		s.t.Errorf("the suite did not stop within 30 s of SIGTERM\n%s", s.logs.String())
	}
	s.cmd = nil
}

// restart stops the suite and starts it again on the same ports and data.
func (s *suite) restart() {
	s.t.Helper()
	s.stop()
	s.start()
}

// response is a decoded HTTP answer.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

// call sends a request and decodes a JSON object answer. body may be nil, a string (sent
// as is) or any value (sent as JSON).
func (s *suite) call(method, path, token, contentType string, body any) response {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
		if contentType == "" {
			contentType = "application/json"
		}
	}
	req, err := http.NewRequestWithContext(context.Background(), method, s.base+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	out := response{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			s.t.Fatalf("%s %s: answer is not JSON: %v\n%s", method, path, err, raw)
		}
	}
	return out
}

// token gets an access token with the test client's credentials.
func (s *suite) token() string {
	s.t.Helper()
	q := url.Values{"grant_type": {"client_credentials"}, "client_id": {testClientID}, "client_secret": {testClientSecret}}
	r := s.call(http.MethodGet, "/identity/oauth/token?"+q.Encode(), "", "", nil)
	tok, _ := r.body["access_token"].(string)
	if r.status != http.StatusOK || tok == "" {
		s.t.Fatalf("token: HTTP %d %s", r.status, r.raw)
	}
	return tok
}

// errorCode returns the first response-level Marketo error code of an envelope, or "".
func (r response) errorCode() string {
	errs, _ := r.body["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	e, _ := errs[0].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// results returns the envelope's result items.
func (r response) results() []map[string]any {
	items, _ := r.body["result"].([]any)
	out := make([]map[string]any, len(items))
	for i, it := range items {
		out[i], _ = it.(map[string]any)
	}
	return out
}

// outcome summarises a sync or delete result item as "status" or "skipped 1036".
func outcome(item map[string]any) string {
	s, _ := item["status"].(string)
	reasons, _ := item["reasons"].([]any)
	for _, r := range reasons {
		m, _ := r.(map[string]any)
		c, _ := m["code"].(string)
		s += " " + c
	}
	return s
}
