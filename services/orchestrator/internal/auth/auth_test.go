package auth

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
	"github.com/msisync/msisync/services/orchestrator/internal/store/sqlstore"
)

func newAuth(t *testing.T) (*Authenticator, *time.Time) {
	t.Helper()
	st, err := sqlstore.Open(context.Background(), config.Store{DataDir: t.TempDir(), SQLiteSynchronous: "NORMAL"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.PutClient(context.Background(), store.Client{ID: "client", SecretHash: HashSecret("s3cret-s3cret"), Role: store.RoleReadWrite, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	a := New(st, []byte("0123456789abcdef0123456789abcdef"), time.Hour)
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	a.now = func() time.Time { return now }
	return a, &now
}

func code(err error) string {
	c, _ := marketo.FromError(err)
	return c
}

func TestIssueAndVerify(t *testing.T) {
	t.Parallel()
	a, now := newAuth(t)
	ctx := context.Background()
	if _, _, err := a.Issue(ctx, "client", "wrong"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("wrong secret: %v, want ErrBadCredentials", err)
	}
	if _, _, err := a.Issue(ctx, "nobody", "s3cret-s3cret"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("unknown client: %v, want ErrBadCredentials", err)
	}
	tok, left, err := a.Issue(ctx, "client", "s3cret-s3cret")
	if err != nil || left != 3600 {
		t.Fatalf("Issue = %q %d %v", tok, left, err)
	}
	*now = now.Add(20 * time.Minute)
	again, left, err := a.Issue(ctx, "client", "s3cret-s3cret")
	if err != nil || again != tok || left != 2400 {
		t.Errorf("Issue before expiry = %q %d %v; want the same token with 2400 s left", again, left, err)
	}
	p, err := a.Verify(ctx, tok)
	if err != nil || p.ClientID != "client" || p.Role != store.RoleReadWrite {
		t.Errorf("Verify = %+v, %v", p, err)
	}
	if got := code(func() error { _, err := a.Verify(ctx, tok+"x"); return err }()); got != "601" {
		t.Errorf("tampered token: %s, want 601", got)
	}
	if got := code(func() error { _, err := a.Verify(ctx, "garbage"); return err }()); got != "601" {
		t.Errorf("garbage token: %s, want 601", got)
	}
	*now = now.Add(41 * time.Minute)
	if got := code(func() error { _, err := a.Verify(ctx, tok); return err }()); got != "602" {
		t.Errorf("expired token: %s, want 602", got)
	}
	fresh, _, err := a.Issue(ctx, "client", "s3cret-s3cret")
	if err != nil || fresh == tok {
		t.Errorf("Issue after expiry = %q, %v; want a new token", fresh, err)
	}
}

func TestTokensFromAnotherKeyAreInvalid(t *testing.T) {
	t.Parallel()
	a, _ := newAuth(t)
	tok, _, err := a.Issue(context.Background(), "client", "s3cret-s3cret")
	if err != nil {
		t.Fatal(err)
	}
	b := New(a.store, []byte("another key, another deployment.."), time.Hour)
	if _, err := b.Verify(context.Background(), tok); code(err) != "601" {
		t.Errorf("token under another key: %v, want 601", err)
	}
}
