package marketoclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// start is a Tuesday afternoon in Chicago (CST, UTC-6).
var start = time.Date(2026, 12, 8, 20, 0, 0, 0, time.UTC)

func TestTokenIsCachedAndRenewedOnceOn601And602(t *testing.T) {
	c := &clock{t: start}
	f := newFake(t, c)
	f.reply = func(n int, r *http.Request) (int, string) {
		switch n {
		case 2:
			return 200, failure("601", "Access token invalid")
		case 4:
			return 200, failure("602", "Access token expired")
		}
		return 200, ok([]map[string]any{{"name": "SalesPerson"}})
	}
	cl := f.client(Defaults, c)
	ctx := context.Background()
	for i := range 3 {
		if _, err := cl.Describe(ctx, SalesPersons); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	// Call 1 with tok1; call 2 answered 601 → tok2, call 3 passes; call 4 answered 602 →
	// tok3, call 5 passes.
	if f.tokens != 3 || f.count() != 5 || f.lastAuth != "Bearer tok3" {
		t.Errorf("tokens %d, calls %d, last %q; want 3 tokens, 5 calls, Bearer tok3", f.tokens, f.count(), f.lastAuth)
	}
	// A token is replaced shortly before it expires (3599 s).
	c.sleep(ctx, 3599*time.Second-tokenMargin)
	_, _ = cl.Describe(ctx, SalesPersons)
	if f.tokens != 4 {
		t.Errorf("after expiry: %d tokens issued, want 4", f.tokens)
	}
}

func TestA601WithAFreshTokenIsAnAuthError(t *testing.T) {
	f := newFake(t, nil)
	f.reply = func(int, *http.Request) (int, string) { return 200, failure("601", "Access token invalid") }
	_, err := f.client(Defaults, &clock{t: start}).Describe(context.Background(), Leads)
	var auth *AuthError
	if !errors.As(err, &auth) || f.count() != 2 || f.tokens != 2 {
		t.Errorf("err %v after %d calls and %d tokens; want an AuthError after 2 and 2", err, f.count(), f.tokens)
	}
}

func TestWrongSecretIsAnAuthErrorNamingTheSettings(t *testing.T) {
	f := newFake(t, nil)
	cfg := Defaults
	cfg.ClientSecret = "wrong"
	_, err := f.client(cfg, &clock{t: start}).Describe(context.Background(), Leads)
	var auth *AuthError
	if !errors.As(err, &auth) || auth.Status != http.StatusUnauthorized || f.count() != 0 {
		t.Fatalf("err %v, %d REST calls; want a 401 AuthError and none", err, f.count())
	}
	for _, want := range []string{"Bad client credentials", "MSISYNC_MARKETO_CLIENT_SECRET"} {
		if !contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
}

func TestRateLimitAndConcurrencyErrorsBackOffAndRetry(t *testing.T) {
	c := &clock{t: start}
	f := newFake(t, c)
	f.reply = func(n int, r *http.Request) (int, string) {
		switch n {
		case 1:
			return 200, failure("606", "Max rate limit '100' exceeded with in '20' secs")
		case 2:
			return 200, failure("615", "Concurrent access limit '10' reached")
		}
		return 200, ok([]map[string]any{{"seq": 0, "status": "updated", "id": 7}})
	}
	cl := f.client(Defaults, c)
	res, err := cl.Sync(context.Background(), SalesPersons, SyncRequest{Input: []Record{{"externalSalesPersonId": "sp1"}}})
	if err != nil || len(res) != 1 || res[0].ID != 7 {
		t.Fatalf("Sync = %v, %v; want id 7", res, err)
	}
	if f.count() != 3 || c.slept() != 2 || c.sleeps[0] != time.Second || c.sleeps[1] != 2*time.Second {
		t.Errorf("%d calls, waits %v; want 3 calls after backoffs of 1s and 2s", f.count(), c.sleeps)
	}
	if st := cl.Status(); st.Calls != 3 || st.Retries != 2 || st.Failed != 0 {
		t.Errorf("status %+v; want 3 calls, 2 retries, 0 failed", st)
	}
}

func TestDailyQuotaReachedPausesEveryCallUntilMidnightChicago(t *testing.T) {
	c := &clock{t: start}
	f := newFake(t, c)
	f.reply = func(int, *http.Request) (int, string) { return 200, failure("607", "Daily quota reached") }
	cl := f.client(Defaults, c)
	_, err := cl.DailyUsage(context.Background())
	var q *QuotaError
	if !errors.As(err, &q) {
		t.Fatalf("err %v; want a QuotaError", err)
	}
	// 20:00 UTC on 8 Dec is 14:00 CST; the day ends at midnight CST, 06:00 UTC on 9 Dec.
	if want := time.Date(2026, 12, 9, 6, 0, 0, 0, time.UTC); !q.ResetAt.Equal(want) || !contains(err.Error(), "2026-12-09 00:00 CST") {
		t.Errorf("reset at %v (%q); want %v, said in Chicago time", q.ResetAt, err, want)
	}
	if _, err := cl.Describe(context.Background(), Leads); !errors.As(err, &q) || f.count() != 1 {
		t.Errorf("second call: %v after %d calls; want the pause without another call", err, f.count())
	}
	if st := cl.Status(); st.Limits.PausedUntil.IsZero() || !contains(st.LastError, "607") {
		t.Errorf("status %+v; want paused with the 607 as last error", st)
	}
	c.sleep(context.Background(), 10*time.Hour) // past the reset
	f.reply = nil
	if _, err := cl.DailyUsage(context.Background()); err != nil || f.count() != 2 {
		t.Errorf("after the reset: %v after %d calls; want the call made", err, f.count())
	}
}

func TestServerErrorsTimeoutsAndDroppedConnectionsAreRetried(t *testing.T) {
	c := &clock{t: start}
	f := newFake(t, c)
	f.reply = func(n int, r *http.Request) (int, string) {
		switch n {
		case 1:
			return http.StatusBadGateway, "bad gateway"
		case 2:
			return -1, "" // connection dropped
		case 3:
			return 200, failure("604", "Request time-out")
		}
		return 200, ok([]map[string]any{{"id": 1, "externalPersonId": "p1"}})
	}
	page, err := f.client(Defaults, c).QueryLeads(context.Background(), "externalPersonId", []string{"p1"}, []string{"id"}, "")
	if err != nil || len(page.Records) != 1 || f.count() != 4 {
		t.Fatalf("QueryLeads = %v, %v after %d calls; want 1 record after 4", page, err, f.count())
	}
}

func TestRetriesEndAfterMaxAttempts(t *testing.T) {
	c := &clock{t: start}
	f := newFake(t, c)
	f.reply = func(int, *http.Request) (int, string) { return http.StatusServiceUnavailable, "" }
	_, err := f.client(Defaults, c).Describe(context.Background(), Companies)
	if err == nil || f.count() != 4 || !contains(err.Error(), "HTTP 503") {
		t.Errorf("err %v after %d calls; want HTTP 503 after 4", err, f.count())
	}
}

func TestRecordErrorsAreNotRetried(t *testing.T) {
	f := newFake(t, nil)
	f.reply = func(int, *http.Request) (int, string) { return 200, failure("610", "Requested resource not found") }
	_, err := f.client(Defaults, &clock{t: start}).Describe(context.Background(), SalesPersons)
	var api *APIError
	if !errors.As(err, &api) || api.Code != "610" || f.count() != 1 {
		t.Errorf("err %v after %d calls; want 610 after 1", err, f.count())
	}
}

func TestConcurrencyNeverExceedsTheLimit(t *testing.T) {
	f := newFake(t, nil)
	f.reply = func(int, *http.Request) (int, string) {
		time.Sleep(2 * time.Millisecond) // load, so that calls overlap
		return 200, ok([]any{})
	}
	cfg := Defaults
	cfg.MaxConcurrency = 3
	cl := f.client(cfg, nil)
	var wg sync.WaitGroup
	for range 30 {
		wg.Go(func() {
			if _, err := cl.QueryLeads(context.Background(), "id", []string{"1"}, nil, ""); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if f.count() != 30 || f.maxRun > 3 || cl.Limits().Status().MaxRunning > 3 {
		t.Errorf("%d calls, at most %d at once at the server (%d in the client); want 30, at most 3", f.count(), f.maxRun, cl.Limits().Status().MaxRunning)
	}
}

func TestRateWindowIsNeverExceeded(t *testing.T) {
	c := &clock{t: start}
	f := newFake(t, c)
	cfg := Defaults
	cfg.RateLimitCalls, cfg.RateLimitWindow = 5, 20*time.Second
	cl := f.client(cfg, c)
	for range 12 {
		if _, err := cl.QueryLeads(context.Background(), "id", []string{"1"}, nil, ""); err != nil {
			t.Fatal(err)
		}
	}
	if f.count() != 12 {
		t.Fatalf("%d calls, want 12", f.count())
	}
	for i := 0; i+5 < len(f.at); i++ {
		if f.at[i+5].Sub(f.at[i]) < 20*time.Second {
			t.Errorf("calls %d and %d within %v: more than 5 in 20 s", i, i+5, f.at[i+5].Sub(f.at[i]))
		}
	}
	if c.slept() != 2 {
		t.Errorf("waited %d times, want 2 (after calls 5 and 10)", c.slept())
	}
	if st := cl.Limits().Status(); st.InWindow != 2 || st.UsedToday != 12 {
		t.Errorf("status %+v; want 2 calls in the window, 12 today", st)
	}
}

func TestQuotaReserveIsKeptFree(t *testing.T) {
	c := &clock{t: start}
	f := newFake(t, c)
	f.reply = func(n int, r *http.Request) (int, string) {
		if r.URL.Path == "/rest/v1/stats/usage.json" {
			return 200, ok([]map[string]any{{"date": "2026-12-08", "total": 6, "users": []map[string]any{{"userId": "other@x", "count": 5}}}})
		}
		return 200, ok([]any{})
	}
	cfg := Defaults
	cfg.DailyQuota, cfg.QuotaReserve = 10, 20 // msisync may make 8 calls
	cl := f.client(cfg, c)
	u, err := cl.DailyUsage(context.Background())
	if err != nil || u.Total != 6 {
		t.Fatalf("DailyUsage = %+v, %v", u, err)
	}
	// Marketo counts 6 today (the others' 5 and this one): 2 calls left.
	ctx := context.Background()
	for i := range 3 {
		_, err = cl.QueryLeads(ctx, "id", []string{"1"}, nil, "")
		var q *QuotaError
		if i < 2 && err != nil || i == 2 && (!errors.As(err, &q) || q.Used != 8 || q.Limit != 8) {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if f.count() != 3 {
		t.Errorf("%d calls reached Marketo, want 3", f.count())
	}
	if st := cl.Limits().Status(); st.Left != 0 || st.Allowed != 8 {
		t.Errorf("status %+v; want 0 left of 8", st)
	}
}

func TestNonIdempotentAndOversizeCallsAreRefused(t *testing.T) {
	f := newFake(t, nil)
	cl := f.client(Defaults, &clock{t: start})
	ctx := context.Background()
	if _, err := cl.SyncLeads(ctx, LeadSyncRequest{Action: "createDuplicate", LookupField: "email"}); err == nil {
		t.Error("createDuplicate accepted")
	}
	if _, err := cl.Sync(ctx, Companies, SyncRequest{Input: make([]Record, MaxBatch+1)}); err == nil {
		t.Error("301 records accepted")
	}
	if f.count() != 0 {
		t.Errorf("%d calls reached Marketo", f.count())
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestLongLeadQueriesGoAsAFormBody(t *testing.T) {
	f := newFake(t, nil)
	var method, form string
	f.reply = func(_ int, r *http.Request) (int, string) {
		_ = r.ParseForm()
		method, form = r.Method+" "+r.URL.RequestURI(), r.PostForm.Get("filterValues")
		return 200, ok([]any{})
	}
	values := make([]string, MaxBatch)
	for i := range values {
		values[i] = fmt.Sprintf("0a1b2c3d-0000-4000-8000-%012d", i)
	}
	if _, err := f.client(Defaults, &clock{t: start}).QueryLeads(context.Background(), "externalPersonId", values, []string{"id"}, ""); err != nil {
		t.Fatal(err)
	}
	if method != "POST /rest/v1/leads.json?_method=GET" || form != strings.Join(values, ",") {
		t.Errorf("sent %s with %d characters of filterValues; want POST ?_method=GET with all 300", method, len(form))
	}
}

func TestClientsSharingLimitsShareTheWindow(t *testing.T) {
	c := &clock{t: start}
	f := newFake(t, c)
	cfg := Defaults
	cfg.RateLimitCalls = 4
	cfg.URL, cfg.ClientID, cfg.ClientSecret = f.srv.URL, "cid", "s3cret"
	shared := NewLimits(cfg, c.now, c.sleep)
	a := New(cfg, Options{Limits: shared, Now: c.now, Sleep: c.sleep})
	b := New(cfg, Options{Limits: shared, Now: c.now, Sleep: c.sleep})
	for i := range 8 {
		cl := a
		if i%2 == 1 {
			cl = b
		}
		if _, err := cl.QueryLeads(context.Background(), "id", []string{"1"}, nil, ""); err != nil {
			t.Fatal(err)
		}
	}
	if f.count() != 8 || c.slept() != 1 || shared.Status().UsedToday != 8 {
		t.Errorf("%d calls, %d waits, %d counted; want 8 calls with one wait for the shared window, 8 counted", f.count(), c.slept(), shared.Status().UsedToday)
	}
}
