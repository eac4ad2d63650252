package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/msisync/msisync/suite/internal/suiteproc"
)

// consoleGoal is the most server time the console's overview may take at the demo org's size.
const consoleGoal = 300 * time.Millisecond

var (
	consoleCSRF  = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	serverTiming = regexp.MustCompile(`app;dur=([0-9.]+)`)
)

// timeConsole signs in to the console as a browser would and loads the overview n times,
// returning the server time of each load (its Server-Timing header).
func timeConsole(ctx context.Context, base, clientID, secret string, n int) (suiteproc.Latencies, error) {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	get := func(path string) (*http.Response, string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
		if err != nil {
			return nil, "", err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return nil, "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp, string(body), err
	}
	_, page, err := get("/console/login")
	if err != nil {
		return nil, fmt.Errorf("console sign-in page: %w", err)
	}
	m := consoleCSRF.FindStringSubmatch(page)
	if m == nil {
		return nil, fmt.Errorf("the console's sign-in page has no form token")
	}
	form := url.Values{"client_id": {clientID}, "client_secret": {secret}, "csrf": {m[1]}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/console/login", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("console sign-in: %w", err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/console/" {
		return nil, fmt.Errorf("console sign-in ended at %s, not the overview", resp.Request.URL)
	}
	var out suiteproc.Latencies
	for range n {
		resp, body, err := get("/console/")
		if err != nil {
			return nil, fmt.Errorf("console overview: %w", err)
		}
		if resp.StatusCode != http.StatusOK || strings.Contains(body, `role="alert"`) {
			return nil, fmt.Errorf("console overview: HTTP %d with an error on the page", resp.StatusCode)
		}
		t := serverTiming.FindStringSubmatch(resp.Header.Get("Server-Timing"))
		if t == nil {
			return nil, fmt.Errorf("console overview: no Server-Timing header")
		}
		msecs, _ := strconv.ParseFloat(t[1], 64)
		out = append(out, time.Duration(msecs*float64(time.Millisecond)))
	}
	return out, nil
}

// reportConsole prints the overview's server time against the goal.
func reportConsole(people int, l suiteproc.Latencies) {
	fmt.Printf("console: overview (GET /console/) %d loads at %d people, server time p50 %s, p95 %s, max %s\n  → goal p95 ≤ %s: %s\n",
		len(l), people, suiteproc.Ms(l.Percentile(50)), suiteproc.Ms(l.Percentile(95)), suiteproc.Ms(l.Max()), suiteproc.Ms(consoleGoal), goal(l.Percentile(95) <= consoleGoal))
}

func goal(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}
