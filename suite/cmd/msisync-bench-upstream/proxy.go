package main

import (
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// call is one request the proxy passed to the upstream.
type call struct {
	key        string // what countingProxy.counts groups it under
	start, end time.Time
	status     int
}

// countingProxy passes every request to the upstream suite and records it: the path (a
// query sent as POST …?_method=GET counted apart from a write), the time and the status.
type countingProxy struct {
	srv      *http.Server
	url      string
	mu       sync.Mutex
	calls    []call
	inFlight int
	maxIn    int // most non-token calls in flight at once
}

// tokenKey groups the calls to Marketo's identity endpoint.
const tokenKey = "token (/identity/…)"

// startProxy listens on a free loopback port and forwards to target.
func startProxy(target string) (*countingProxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &countingProxy{url: "http://" + ln.Addr().String()}
	rp := &httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(u); r.Out.Host = u.Host },
		Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 32},
	}
	p.srv = &http.Server{Handler: p.wrap(rp), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

// callKey names what a request counts as.
func callKey(r *http.Request) string {
	if strings.HasPrefix(r.URL.Path, "/identity/") {
		return tokenKey
	}
	if r.URL.Query().Get("_method") == "GET" {
		return "GET " + r.URL.Path
	}
	return r.Method + " " + r.URL.Path
}

// wrap records each request around next.
func (p *countingProxy) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := call{key: callKey(r), start: time.Now()}
		token := c.key == tokenKey
		p.mu.Lock()
		if !token {
			p.inFlight++
			p.maxIn = max(p.maxIn, p.inFlight)
		}
		p.mu.Unlock()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		c.end, c.status = time.Now(), sw.status
		p.mu.Lock()
		if !token {
			p.inFlight--
		}
		p.calls = append(p.calls, c)
		p.mu.Unlock()
	})
}

// snapshot returns the calls recorded so far.
func (p *countingProxy) snapshot() []call {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.calls)
}

// maxInFlight is the most non-token calls that were in flight at once.
func (p *countingProxy) maxInFlight() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.maxIn
}

// close stops the proxy.
func (p *countingProxy) close() { _ = p.srv.Close() }

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// counts groups calls by key.
func counts(calls []call) map[string]int {
	out := map[string]int{}
	for _, c := range calls {
		out[c.key]++
	}
	return out
}

// sortedKeys lists a count map's keys in order.
func sortedKeys(m map[string]int) []string {
	return slices.Sorted(maps.Keys(m))
}

// nonTokenStarts returns when the non-token calls reached the proxy, in order.
func nonTokenStarts(calls []call) []time.Time {
	var starts []time.Time
	for _, c := range calls {
		if c.key != tokenKey {
			starts = append(starts, c.start)
		}
	}
	slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
	return starts
}

// minSpan is the shortest time between a non-token call and the n-th after it (0 when
// there are no n+1 calls): under a limit of n calls per window it should be at least the
// window.
func minSpan(calls []call, n int) time.Duration {
	starts := nonTokenStarts(calls)
	var best time.Duration
	for i := 0; i+n < len(starts); i++ {
		if d := starts[i+n].Sub(starts[i]); i == 0 || d < best {
			best = d
		}
	}
	return best
}

// maxInWindow is the most non-token calls that started within any window.
func maxInWindow(calls []call, window time.Duration) int {
	starts := nonTokenStarts(calls)
	best, lo := 0, 0
	for hi := range starts {
		for starts[hi].Sub(starts[lo]) >= window {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

// isWrite reports whether a call is a record write (a sync of up to 300 records).
func isWrite(c call) bool {
	return strings.HasPrefix(c.key, "POST /rest/v1/") && !strings.HasSuffix(c.key, "/delete.json")
}
