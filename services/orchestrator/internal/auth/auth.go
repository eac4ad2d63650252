// Package auth issues and checks the orchestrator's access tokens, Marketo style: a client
// exchanges its id and secret for a bearer token that lives TokenTTL, gets the same token
// back while it is valid, and sends it on every call.
//
// Only hashes are stored: a SHA-256 of each client secret and of each token. A token is
// "<id>:<mac>", where mac is an HMAC of the random id under a persisted key, so that the
// same token can be handed out again before it expires (by any replica) without keeping it,
// and so that a forged token is refused before any database read.
package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// ErrBadCredentials is returned by Issue for an unknown client or a wrong secret.
var ErrBadCredentials = errors.New("bad client credentials")

// Principal is the API client a call acts as.
type Principal struct {
	// ClientID is the client's id.
	ClientID string
	// Role is what the client may do.
	Role store.Role
}

// SeesAll reports whether the client sees every client's sync runs, parked and
// dead-lettered records (an admin, who also manages them, or an auditor, who may only read);
// the others see only their own.
func (p Principal) SeesAll() bool { return p.Role == store.RoleAdmin || p.Role == store.RoleAuditor }

// Authenticator issues and verifies tokens.
type Authenticator struct {
	store store.Store
	key   []byte
	ttl   time.Duration
	now   func() time.Time

	mu    sync.Mutex
	cache map[string]cached // by token string: tokens never change once issued
}

type cached struct {
	principal Principal
	expiresAt time.Time
}

// maxCached bounds the verified-token cache; it is cleared when full.
const maxCached = 10000

// New returns an Authenticator over st. key signs token ids; ttl is a new token's lifetime.
func New(st store.Store, key []byte, ttl time.Duration) *Authenticator {
	return &Authenticator{store: st, key: key, ttl: ttl, now: time.Now, cache: make(map[string]cached)}
}

// HashSecret returns the stored form of a client secret.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// Issue checks a client's credentials and returns its token and the seconds it has left.
func (a *Authenticator) Issue(ctx context.Context, clientID, secret string) (string, int, error) {
	c, err := a.store.GetClient(ctx, clientID)
	if errors.Is(err, store.ErrNotFound) {
		return "", 0, ErrBadCredentials
	}
	if err != nil {
		return "", 0, err
	}
	if subtle.ConstantTimeCompare(c.SecretHash, HashSecret(secret)) != 1 {
		return "", 0, ErrBadCredentials
	}
	now := a.now()
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", 0, fmt.Errorf("generating token id: %w", err)
	}
	id := formatUUID(raw)
	token := a.derive(id)
	tok, _, err := a.store.IssueToken(ctx, store.Token{
		Hash:      hashToken(token),
		ID:        id,
		ClientID:  clientID,
		IssuedAt:  now,
		ExpiresAt: now.Add(a.ttl),
	}, now)
	if errors.Is(err, store.ErrNotFound) {
		return "", 0, ErrBadCredentials
	}
	if err != nil {
		return "", 0, err
	}
	left := int(tok.ExpiresAt.Sub(now) / time.Second)
	return a.derive(tok.ID), max(left, 1), nil
}

// Verify returns the client that token acts as. It fails with a marketo.Error: 601 for a
// token msisync never issued, 602 for an expired one.
func (a *Authenticator) Verify(ctx context.Context, token string) (Principal, error) {
	invalid := marketo.NewError(codes.Unauthenticated, marketo.CodeAccessTokenInvalid, "")
	id, _, ok := strings.Cut(token, ":")
	if !ok || !hmac.Equal([]byte(token), []byte(a.derive(id))) {
		return Principal{}, invalid
	}
	now := a.now()
	a.mu.Lock()
	c, hit := a.cache[token]
	a.mu.Unlock()
	if !hit {
		tok, err := a.store.GetToken(ctx, hashToken(token))
		if errors.Is(err, store.ErrNotFound) {
			return Principal{}, invalid
		}
		if err != nil {
			return Principal{}, err
		}
		client, err := a.store.GetClient(ctx, tok.ClientID)
		if errors.Is(err, store.ErrNotFound) {
			return Principal{}, invalid
		}
		if err != nil {
			return Principal{}, err
		}
		c = cached{principal: Principal{ClientID: client.ID, Role: client.Role}, expiresAt: tok.ExpiresAt}
		a.mu.Lock()
		if len(a.cache) >= maxCached {
			clear(a.cache)
		}
		a.cache[token] = c
		a.mu.Unlock()
	}
	if !now.Before(c.expiresAt) {
		return Principal{}, marketo.NewError(codes.Unauthenticated, marketo.CodeAccessTokenExpired, "")
	}
	return c.principal, nil
}

// derive returns the token string for a token id.
func (a *Authenticator) derive(id string) string {
	m := hmac.New(sha256.New, a.key)
	m.Write([]byte(id))
	return id + ":" + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func formatUUID(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	s := hex.EncodeToString(b[:])
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:32]
}
