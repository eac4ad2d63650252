// Package pagetoken makes opaque, tamper-proof page tokens. A token carries a cursor (where
// the next page starts) and is bound to the query it was issued for, so that it survives a
// restart (the key is persisted by the caller) but cannot be replayed against another query
// or edited to point elsewhere.
package pagetoken

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ErrInvalid is returned for a token that is malformed, was signed with another key, or was
// issued for another query.
var ErrInvalid = errors.New("invalid page token")

// Codec signs and verifies page tokens with one secret key.
type Codec struct {
	key []byte
}

// New returns a Codec that signs with key, which should be at least 32 random bytes kept
// across restarts.
func New(key []byte) *Codec { return &Codec{key: key} }

// Query identifies a query: call it with every parameter that shapes the result set (not
// the page size), in a fixed order.
func Query(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:12])
}

type payload struct {
	Query  string          `json:"q"`
	Cursor json.RawMessage `json:"c"`
}

// Encode returns a token for query that resumes at cursor (any JSON-encodable value).
func (c *Codec) Encode(query string, cursor any) (string, error) {
	raw, err := json.Marshal(cursor)
	if err != nil {
		return "", fmt.Errorf("encoding page cursor: %w", err)
	}
	body, err := json.Marshal(payload{Query: query, Cursor: raw})
	if err != nil {
		return "", fmt.Errorf("encoding page token: %w", err)
	}
	b := base64.RawURLEncoding.EncodeToString(body)
	return b + "." + c.sign(b), nil
}

// Decode verifies token against query and stores its cursor in cursor (a pointer). It
// returns ErrInvalid for any token that Encode did not make for this query with this key.
func (c *Codec) Decode(token, query string, cursor any) error {
	b, sig, ok := strings.Cut(token, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(c.sign(b))) {
		return ErrInvalid
	}
	body, err := base64.RawURLEncoding.DecodeString(b)
	if err != nil {
		return ErrInvalid
	}
	var p payload
	if err := json.Unmarshal(body, &p); err != nil || p.Query != query {
		return ErrInvalid
	}
	if err := json.Unmarshal(p.Cursor, cursor); err != nil {
		return ErrInvalid
	}
	return nil
}

func (c *Codec) sign(b string) string {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(b))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}
