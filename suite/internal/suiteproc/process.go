package suiteproc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
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

// Config says how to start the suite.
type Config struct {
	Binary       string   // the all-in-one suite binary
	DataDir      string   // MSISYNC_DATA_DIR
	LogPath      string   // also copy the suite's output to this file ("": memory only)
	ClientID     string   // the API client the suite creates at start-up
	ClientSecret string   // its secret
	BuildHint    string   // how to build Binary, for the error when it is missing
	PprofAddrVar string   // when set, a free address is passed in this variable (see Process.PprofAddr)
	Env          []string // further KEY=value settings, such as the rate limits
	HTTPAddr     string   // the gateway's address; "" picks a free loopback port
}

// Process is the running suite child process.
type Process struct {
	cmd       *exec.Cmd
	base      string // http://127.0.0.1:port of the REST gateway
	pprofAddr string
	addrs     map[string]string // address variable → host:port
	logs      *tailBuffer
	logFile   *os.File
	done      chan error
	stopped   bool
}

// Base is the gateway's base URL, http://127.0.0.1:port.
func (s *Process) Base() string { return s.base }

// Addr returns the host:port passed in an address variable, e.g. MSISYNC_ORCHESTRATOR_ADDR.
func (s *Process) Addr(variable string) string { return s.addrs[variable] }

// PprofAddr is the host:port passed in Config.PprofAddrVar, where a profiling build of the
// suite serves net/http/pprof ("" without PprofAddrVar).
func (s *Process) PprofAddr() string { return s.pprofAddr }

// Start starts the suite over c.DataDir on free loopback ports and waits until /healthz
// answers 200. Inherited MSISYNC_* and OTEL_* settings are not passed on, so the suite
// runs on SQLite with only the settings given here.
func Start(ctx context.Context, c Config) (*Process, error) {
	if _, err := os.Stat(c.Binary); err != nil {
		return nil, fmt.Errorf("suite binary: %w (%s)", err, c.BuildHint)
	}
	httpAddr := c.HTTPAddr
	if httpAddr == "" {
		var err error
		if httpAddr, err = freeAddr(); err != nil {
			return nil, err
		}
	}
	env := make([]string, 0, len(os.Environ())+16)
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "MSISYNC_") || strings.HasPrefix(kv, "OTEL_") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"MSISYNC_DATA_DIR="+c.DataDir,
		"MSISYNC_HTTP_ADDR="+httpAddr,
		"MSISYNC_CLIENT_ID="+c.ClientID,
		"MSISYNC_CLIENT_SECRET="+c.ClientSecret,
		"MSISYNC_LOG_LEVEL=warn",
		"MSISYNC_SQLITE_SYNCHRONOUS=NORMAL",
	)
	env = append(env, c.Env...)
	s := &Process{base: "http://" + httpAddr, addrs: map[string]string{}, logs: &tailBuffer{limit: 64 << 10}, done: make(chan error, 1)}
	var err error
	if c.PprofAddrVar != "" {
		if s.pprofAddr, err = freeAddr(); err != nil {
			return nil, err
		}
		env = append(env, c.PprofAddrVar+"="+s.pprofAddr)
	}
	for _, v := range addrVars {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		s.addrs[v] = addr
		env = append(env, v+"="+addr)
	}

	var out io.Writer = s.logs
	if c.LogPath != "" {
		f, err := os.Create(c.LogPath)
		if err != nil {
			return nil, fmt.Errorf("suite log: %w", err)
		}
		s.logFile = f
		out = io.MultiWriter(s.logs, f)
	}
	s.cmd = exec.Command(c.Binary)
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
			return nil, fmt.Errorf("the suite exited before it was healthy (%v):\n%s", err, s.LogTail(40))
		case <-ctx.Done():
			_ = s.Stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = s.Stop()
			return nil, fmt.Errorf("the suite was not healthy within 60 s:\n%s", s.LogTail(40))
		}
	}
}

// Stop sends SIGTERM and waits up to 30 s for the suite to exit, then kills it. Stopping
// twice is a no-op.
func (s *Process) Stop() error {
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

func (s *Process) closeLog() {
	if s.logFile != nil {
		_ = s.logFile.Close()
		s.logFile = nil
	}
}

// LogTail returns the last n lines the suite printed.
func (s *Process) LogTail(n int) string {
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
