package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/msisync/msisync/suite/internal/suiteproc"
)

// Credentials of the API client each suite creates at start-up; the forwarding suite uses
// the same pair to reach the upstream.
const (
	benchClientID     = "msisync-bench"
	benchClientSecret = "msisync-bench-secret-0123456789"
)

// noLimits turns a suite's own API limits off.
var noLimits = []string{"MSISYNC_RATE_LIMIT_CALLS=0", "MSISYNC_MAX_CONCURRENCY=0", "MSISYNC_DAILY_QUOTA=0"}

// env is the two suites, the proxy between them and a client of each.
type env struct {
	upstream, forwarder *suiteproc.Process
	proxy               *countingProxy
	up, fwd             *suiteproc.Client
}

// startEnv starts the upstream suite, the proxy and the forwarding suite.
func startEnv(ctx context.Context, binary, dir string) (*env, error) {
	e := &env{}
	start := func(name string, extra ...string) (*suiteproc.Process, *suiteproc.Client, error) {
		p, err := suiteproc.Start(ctx, suiteproc.Config{
			Binary: binary, DataDir: filepath.Join(dir, name), ClientID: benchClientID, ClientSecret: benchClientSecret,
			BuildHint: "run `make bench`, which builds it", Env: append(append([]string{}, noLimits...), extra...),
		})
		if err != nil {
			return nil, nil, fmt.Errorf("%s suite: %w", name, err)
		}
		c := suiteproc.NewClient(p.Base(), benchClientID, benchClientSecret, 4)
		if err := c.Authenticate(ctx); err != nil {
			_ = p.Stop()
			return nil, nil, fmt.Errorf("%s suite: %w", name, err)
		}
		return p, c, nil
	}
	var err error
	if e.upstream, e.up, err = start("upstream"); err != nil {
		return nil, err
	}
	if e.proxy, err = startProxy(e.upstream.Base()); err != nil {
		_ = e.upstream.Stop()
		return nil, err
	}
	e.forwarder, e.fwd, err = start("forwarder",
		"MSISYNC_MARKETO_URL="+e.proxy.url,
		"MSISYNC_MARKETO_CLIENT_ID="+benchClientID,
		"MSISYNC_MARKETO_CLIENT_SECRET="+benchClientSecret,
		"MSISYNC_MARKETO_RATE_LIMIT_CALLS="+strconv.Itoa(limitCalls),
		"MSISYNC_MARKETO_RATE_LIMIT_WINDOW="+limitWindow.String(),
		"MSISYNC_MARKETO_MAX_CONCURRENCY="+strconv.Itoa(limitConc),
		"MSISYNC_MARKETO_POLL_INTERVAL=1h",
	)
	if err != nil {
		e.proxy.close()
		_ = e.upstream.Stop()
		return nil, err
	}
	return e, nil
}

// settleStartup waits until the forwarding suite's start-up calls to the upstream are
// over (no new call for 2 s, at most 20 s) and returns them.
func (e *env) settleStartup(ctx context.Context) []call {
	deadline := time.Now().Add(20 * time.Second)
	n, quiet := -1, time.Now()
	for time.Now().Before(deadline) && ctx.Err() == nil {
		c := len(e.proxy.snapshot())
		if c != n {
			n, quiet = c, time.Now()
		} else if time.Since(quiet) >= 2*time.Second {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return e.proxy.snapshot()
}

// close stops both suites and the proxy; on an error it shows the end of the forwarding
// suite's output.
func (e *env) close(err *error) {
	if *err != nil {
		fmt.Fprintf(os.Stderr, "--- last lines of the forwarding suite's output ---\n%s\n---\n", e.forwarder.LogTail(40))
	}
	for _, p := range []*suiteproc.Process{e.forwarder, e.upstream} {
		if serr := p.Stop(); serr != nil && *err == nil {
			*err = serr
		}
	}
	e.proxy.close()
}
