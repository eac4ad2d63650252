package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// faultProxy stands between a forwarding suite and its upstream Marketo (another suite): it
// passes every request on, logs it with the answer, and injects the faults a real Marketo
// and a real network produce, one call at a time.
type faultProxy struct {
	t        *testing.T
	upstream string
	srv      *httptest.Server

	mu        sync.Mutex
	log       []proxyCall
	faults    []fault
	hold      chan struct{} // while set, answers of applied calls to holdMatch wait on it
	held      chan struct{} // receives when a call is held
	holdMatch string
}

// proxyCall is one request the proxy saw and what it answered.
type proxyCall struct {
	Method, Path string
	Body         []byte
	Status       int
	Answer       []byte
	Fault        string
	At           time.Time
}

// fault is one injected failure, for the next calls whose path contains match.
type fault struct {
	match string
	kind  string // a Marketo code (606, 607, …), "http502", "http503", "slow", "dropBefore", "dropAfter"
	left  int    // calls it still applies to; -1: until cleared
	delay time.Duration
}

func newFaultProxy(t *testing.T, upstream string) *faultProxy {
	p := &faultProxy{t: t, upstream: upstream}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

// URL is where the forwarding suite reaches the upstream.
func (p *faultProxy) URL() string { return p.srv.URL }

// inject adds a fault for the next n calls whose path contains match (-1: until clear).
func (p *faultProxy) inject(match, kind string, n int, delay time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = append(p.faults, fault{match: match, kind: kind, left: n, delay: delay})
}

// clear removes every fault.
func (p *faultProxy) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = nil
}

// holdAnswers makes the proxy keep the answers of the calls to paths containing match that
// it passed on (the upstream applied them) until release; held receives once per held call.
func (p *faultProxy) holdAnswers(match string) (held <-chan struct{}, release func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.holdMatch = match
	p.hold = make(chan struct{})
	p.held = make(chan struct{}, 100)
	h := p.hold
	return p.held, func() {
		p.mu.Lock()
		if p.hold == h {
			p.hold = nil
		}
		p.mu.Unlock()
		close(h)
	}
}

// calls returns the log so far.
func (p *faultProxy) calls() []proxyCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]proxyCall(nil), p.log...)
}

// take returns the fault for a call to path, if one applies, counting it.
func (p *faultProxy) take(path string) (fault, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range p.faults {
		f := &p.faults[i]
		if f.left != 0 && strings.Contains(path, f.match) {
			if f.left > 0 {
				f.left--
			}
			return *f, true
		}
	}
	return fault{}, false
}

func (p *faultProxy) record(c proxyCall) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c.At = time.Now()
	p.log = append(p.log, c)
}

// marketoError is a Marketo envelope with one response-level error.
func marketoError(code string) []byte {
	b, _ := json.Marshal(map[string]any{"requestId": "proxy#1", "success": false, "errors": []map[string]string{{"code": code, "message": "injected by the test's proxy"}}})
	return b
}

func (p *faultProxy) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	path := r.URL.Path
	call := proxyCall{Method: r.Method, Path: path, Body: body}
	f, faulty := p.take(path)
	if faulty {
		call.Fault = f.kind
		switch f.kind {
		case "http502", "http503":
			call.Status = map[string]int{"http502": 502, "http503": 503}[f.kind]
			p.record(call)
			http.Error(w, "injected", call.Status)
			return
		case "dropBefore":
			p.record(call)
			drop(w)
			return
		case "slow", "dropAfter":
		default: // a Marketo error code, answered with HTTP 200 as Marketo does
			call.Status, call.Answer = 200, marketoError(f.kind)
			p.record(call)
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(call.Answer)
			return
		}
	}
	req, err := http.NewRequest(r.Method, p.upstream+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		p.t.Errorf("proxy: %v", err)
		return
	}
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		call.Status = 599
		p.record(call)
		http.Error(w, fmt.Sprint(err), http.StatusBadGateway)
		return
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	call.Status, call.Answer = resp.StatusCode, answer
	p.record(call)
	p.mu.Lock()
	hold, held, match := p.hold, p.held, p.holdMatch
	p.mu.Unlock()
	if hold != nil && path == match {
		held <- struct{}{}
		<-hold
	}
	if faulty {
		switch f.kind {
		case "slow":
			time.Sleep(f.delay)
		case "dropAfter":
			drop(w)
			return
		}
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(answer)
}

// drop closes the client's connection without an answer.
func drop(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("proxy: cannot hijack")
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		conn.Close()
	}
}
