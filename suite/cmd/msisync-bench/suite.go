package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Credentials of the API client the suite creates at start-up.
const (
	benchClientID     = "msisync-bench"
	benchClientSecret = "msisync-bench-secret-0123456789"
)

// addrVars are the suite's gRPC address settings, one per service.
var addrVars = []string{
	"MSISYNC_ORCHESTRATOR_ADDR",
	"MSISYNC_IDENTITY_ADDR",
	"MSISYNC_ACCOUNT_ADDR",
	"MSISYNC_PERSON_ADDR",
	"MSISYNC_OPPORTUNITY_ADDR",
	"MSISYNC_SCORING_ADDR",
}

// pprofAddrVar is where a profiling build of the suite serves net/http/pprof. The normal
// suite binary ignores it.
const pprofAddrVar = "MSISYNC_BENCH_PPROF_ADDR"

// suiteProcess is the running suite child process.
type suiteProcess struct {
	cmd       *exec.Cmd
	base      string // http://127.0.0.1:port of the REST gateway
	pprofAddr string // host:port a profiling build serves pprof on
	logs      *tailBuffer
	logFile   *os.File
	done      chan error
	stopped   bool
}

// startSuite starts binary over dataDir on free loopback ports and waits until /healthz
// answers 200. Inherited MSISYNC_* and OTEL_* settings are not passed on, so the suite
// runs on SQLite with only the settings given here.
func startSuite(ctx context.Context, binary, dataDir, logPath string) (*suiteProcess, error) {
	if _, err := os.Stat(binary); err != nil {
		return nil, fmt.Errorf("suite binary: %w (build it with `make build` or use `make bench`)", err)
	}
	httpAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	pprofAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	env := make([]string, 0, len(os.Environ())+16)
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "MSISYNC_") || strings.HasPrefix(kv, "OTEL_") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"MSISYNC_DATA_DIR="+dataDir,
		"MSISYNC_HTTP_ADDR="+httpAddr,
		"MSISYNC_CLIENT_ID="+benchClientID,
		"MSISYNC_CLIENT_SECRET="+benchClientSecret,
		"MSISYNC_LOG_LEVEL=warn",
		"MSISYNC_SQLITE_SYNCHRONOUS=NORMAL",
		"MSISYNC_RATE_LIMIT_CALLS=0",
		"MSISYNC_MAX_CONCURRENCY=0",
		"MSISYNC_DAILY_QUOTA=0",
		pprofAddrVar+"="+pprofAddr,
	)
	for _, v := range addrVars {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		env = append(env, v+"="+addr)
	}

	s := &suiteProcess{base: "http://" + httpAddr, pprofAddr: pprofAddr, logs: &tailBuffer{limit: 64 << 10}, done: make(chan error, 1)}
	var out io.Writer = s.logs
	if logPath != "" {
		f, err := os.Create(logPath)
		if err != nil {
			return nil, fmt.Errorf("suite log: %w", err)
		}
		s.logFile = f
		out = io.MultiWriter(s.logs, f)
	}
	s.cmd = exec.Command(binary)
	s.cmd.Env = env
	s.cmd.Stdout, s.cmd.Stderr = out, out
	s.cmd.SysProcAttr = childAttr()
	if err := s.cmd.Start(); err != nil {
		s.closeLog()
		return nil, fmt.Errorf("starting the suite: %w", err)
	}
	go func() { s.done <- s.cmd.Wait() }()

	deadline := time.Now().Add(60 * time.Second)
	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil}}
	for {
		resp, err := hc.Get(s.base + "/healthz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case err := <-s.done:
			s.stopped = true
			s.closeLog()
			return nil, fmt.Errorf("the suite exited before it was healthy (%v):\n%s", err, s.logTail(40))
		case <-ctx.Done():
			_ = s.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = s.stop()
			return nil, fmt.Errorf("the suite was not healthy within 60 s:\n%s", s.logTail(40))
		}
	}
}

// stop sends SIGTERM and waits up to 30 s for the suite to exit, then kills it.
func (s *suiteProcess) stop() error {
	if s.stopped {
		return nil
	}
	s.stopped = true
	defer s.closeLog()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		if err != nil {
			return fmt.Errorf("the suite did not stop cleanly: %v", err)
		}
		return nil
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		return errors.New("the suite did not stop within 30 s of SIGTERM; killed it")
	}
}

func (s *suiteProcess) closeLog() {
	if s.logFile != nil {
		_ = s.logFile.Close()
		s.logFile = nil
	}
}

// logTail returns the last n lines the suite printed.
func (s *suiteProcess) logTail(n int) string {
	lines := strings.Split(strings.TrimRight(s.logs.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// freeAddr returns a loopback address with a port nobody listens on right now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// tailBuffer keeps the last limit bytes written to it; safe for concurrent use.
type tailBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	limit int
}

// Write implements io.Writer.
func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if over := b.buf.Len() - b.limit; over > 0 {
		b.buf.Next(over)
	}
	return len(p), nil
}

// String returns what the buffer holds.
func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
