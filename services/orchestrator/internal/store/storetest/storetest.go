// Package storetest is the conformance suite every orchestrator store implementation
// passes. Each backend's test calls Run with a function that opens a fresh, empty store.
package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// Run runs the conformance suite; open returns a fresh, empty store for one subtest.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"ClientsArePutAndReplaced", testClients},
		{"TokensAreReusedUntilExpiry", testTokens},
		{"ConcurrentIssuersShareOneToken", testConcurrentIssue},
		{"ExpiredTokensArePruned", testPrune},
		{"SecretsPersist", testSecrets},
		{"QuotaUsageAddsUpPerClientAndDay", testQuotaUsage},
		{"ConcurrentQuotaAddsAllCount", testConcurrentQuota},
	}
	tests = append(tests, syncRunTests...)
	tests = append(tests, ownerTests...)
	tests = append(tests, retentionTests...)
	tests = append(tests, listRunTests...)
	tests = append(tests, crmTests...)
	tests = append(tests, deadLetterTests...)
	tests = append(tests, deadLetterRetryTests...)
	tests = append(tests, mergeTests...)
	tests = append(tests, connectorCycleTests...)
	tests = append(tests, upstreamTests...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tt.fn(t, s)
		})
	}
}

var t0 = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

func hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func putClient(t *testing.T, s store.Store, id string) {
	t.Helper()
	if err := s.PutClient(context.Background(), store.Client{ID: id, SecretHash: hash("secret-" + id), Role: store.RoleReadWrite, CreatedAt: t0}); err != nil {
		t.Fatalf("PutClient: %v", err)
	}
}

func token(clientID, id string, issued time.Time) store.Token {
	return store.Token{Hash: hash(id), ID: id, ClientID: clientID, IssuedAt: issued, ExpiresAt: issued.Add(time.Hour)}
}

func testClients(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.GetClient(ctx, "c1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetClient on empty store = %v, want ErrNotFound", err)
	}
	putClient(t, s, "c1")
	if err := s.PutClient(ctx, store.Client{ID: "c1", SecretHash: hash("new"), Role: store.RoleReadOnly, CreatedAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetClient(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	want := store.Client{ID: "c1", SecretHash: hash("new"), Role: store.RoleReadOnly, CreatedAt: t0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("client after replace (-want +got):\n%s", diff)
	}
	putClient(t, s, "c2")
	if n, err := s.CountClients(ctx); err != nil || n != 2 {
		t.Errorf("CountClients = %d, %v; want 2", n, err)
	}
}

func testTokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	putClient(t, s, "c1")
	first, created, err := s.IssueToken(ctx, token("c1", "tok-1", t0), t0)
	if err != nil || !created {
		t.Fatalf("first IssueToken = %v, %v; want created", created, err)
	}
	again, created, err := s.IssueToken(ctx, token("c1", "tok-2", t0.Add(30*time.Minute)), t0.Add(30*time.Minute))
	if err != nil || created {
		t.Fatalf("IssueToken before expiry = created %v, %v; want the existing token", created, err)
	}
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("reissued token (-want +got):\n%s", diff)
	}
	later, created, err := s.IssueToken(ctx, token("c1", "tok-3", t0.Add(61*time.Minute)), t0.Add(61*time.Minute))
	if err != nil || !created || later.ID != "tok-3" {
		t.Fatalf("IssueToken after expiry = %+v created %v, %v; want tok-3 created", later, created, err)
	}
	got, err := s.GetToken(ctx, hash("tok-1"))
	if err != nil || !got.ExpiresAt.Equal(t0.Add(time.Hour)) || got.ClientID != "c1" {
		t.Errorf("GetToken(expired) = %+v, %v", got, err)
	}
	if _, err := s.GetToken(ctx, hash("never")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetToken(unknown) = %v, want ErrNotFound", err)
	}
	if _, _, err := s.IssueToken(ctx, token("ghost", "tok-x", t0), t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("IssueToken for unknown client = %v, want ErrNotFound", err)
	}
}

func testConcurrentIssue(t *testing.T, s store.Store) {
	putClient(t, s, "c1")
	const n = 8
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, _, err := s.IssueToken(context.Background(), token("c1", fmt.Sprintf("tok-%d", i), t0), t0)
			if err != nil {
				t.Errorf("IssueToken: %v", err)
				return
			}
			ids[i] = tok.ID
		}()
	}
	wg.Wait()
	for i := 1; i < n; i++ {
		if ids[i] != ids[0] {
			t.Fatalf("concurrent issuers got different tokens: %v", ids)
		}
	}
}

func testPrune(t *testing.T, s store.Store) {
	ctx := context.Background()
	putClient(t, s, "c1")
	if _, _, err := s.IssueToken(ctx, token("c1", "old", t0), t0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.IssueToken(ctx, token("c1", "new", t0.Add(2*time.Hour)), t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	n, err := s.DeleteExpiredTokens(ctx, t0.Add(2*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("DeleteExpiredTokens = %d, %v; want 1", n, err)
	}
	if _, err := s.GetToken(ctx, hash("new")); err != nil {
		t.Errorf("valid token pruned: %v", err)
	}
}

func testSecrets(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, err := s.Secret(ctx, "token")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Secret(ctx, "token")
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Secret(ctx, "page")
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 32 || !bytes.Equal(a, b) || bytes.Equal(a, c) {
		t.Errorf("secrets: %x %x %x", a, b, c)
	}
}

func testQuotaUsage(t *testing.T, s store.Store) {
	ctx := context.Background()
	if got, err := s.QuotaUsage(ctx, "2026-11-29"); err != nil || len(got) != 0 {
		t.Fatalf("QuotaUsage on empty store = %v, %v; want none", got, err)
	}
	for _, step := range []struct {
		client, day string
		delta, want int64
	}{
		{"c1", "2026-11-28", 7, 7},
		{"c1", "2026-11-29", 3, 3},
		{"c1", "2026-11-29", 4, 7},
		{"c2", "2026-11-29", 50000, 50000},
	} {
		got, err := s.AddQuotaUsage(ctx, step.client, step.day, step.delta)
		if err != nil || got != step.want {
			t.Fatalf("AddQuotaUsage(%s, %s, %d) = %d, %v; want %d", step.client, step.day, step.delta, got, err, step.want)
		}
	}
	got, err := s.QuotaUsage(ctx, "2026-11-29")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int64{"c1": 7, "c2": 50000}, got); diff != "" {
		t.Errorf("QuotaUsage (-want +got):\n%s", diff)
	}
	n, err := s.DeleteQuotaUsageBefore(ctx, "2026-11-29")
	if err != nil || n != 1 {
		t.Fatalf("DeleteQuotaUsageBefore = %d, %v; want 1", n, err)
	}
	if got, err := s.QuotaUsage(ctx, "2026-11-28"); err != nil || len(got) != 0 {
		t.Errorf("QuotaUsage of a deleted day = %v, %v; want none", got, err)
	}
	if got, err := s.QuotaUsage(ctx, "2026-11-29"); err != nil || got["c1"] != 7 {
		t.Errorf("QuotaUsage after deleting older days = %v, %v; want c1 kept", got, err)
	}
}

func testConcurrentQuota(t *testing.T, s store.Store) {
	const n = 8
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.AddQuotaUsage(context.Background(), "c1", "2026-11-29", 5); err != nil {
				t.Errorf("AddQuotaUsage: %v", err)
			}
		}()
	}
	wg.Wait()
	got, err := s.QuotaUsage(context.Background(), "2026-11-29")
	if err != nil || got["c1"] != n*5 {
		t.Errorf("QuotaUsage after %d concurrent adds = %v, %v; want %d", n, got, err, n*5)
	}
}
