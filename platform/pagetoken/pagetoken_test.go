package pagetoken

import (
	"errors"
	"testing"
)

type cursor struct {
	AfterID int64 `json:"a"`
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	c := New([]byte("0123456789abcdef0123456789abcdef"))
	q := Query("email", "a@x.io,b@x.io")
	tok, err := c.Encode(q, cursor{AfterID: 42})
	if err != nil {
		t.Fatal(err)
	}
	var got cursor
	if err := c.Decode(tok, q, &got); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if got.AfterID != 42 {
		t.Errorf("AfterID = %d, want 42", got.AfterID)
	}
}

func TestRejects(t *testing.T) {
	t.Parallel()
	c := New([]byte("0123456789abcdef0123456789abcdef"))
	q := Query("email", "a@x.io")
	tok, err := c.Encode(q, cursor{AfterID: 42})
	if err != nil {
		t.Fatal(err)
	}
	other := New([]byte("another key another key another!"))
	tests := []struct {
		name  string
		codec *Codec
		token string
		query string
	}{
		{name: "another query", codec: c, token: tok, query: Query("email", "b@x.io")},
		{name: "another key", codec: other, token: tok, query: q},
		{name: "edited body", codec: c, token: "x" + tok[1:], query: q},
		{name: "no signature", codec: c, token: tok[:len(tok)-25], query: q},
		{name: "garbage", codec: c, token: "not-a-token", query: q},
		{name: "empty", codec: c, token: "", query: q},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got cursor
			if err := tt.codec.Decode(tt.token, tt.query, &got); !errors.Is(err, ErrInvalid) {
				t.Errorf("Decode = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestQueryIsUnambiguous(t *testing.T) {
	t.Parallel()
	if Query("ab", "c") == Query("a", "bc") {
		t.Error(`Query("ab","c") == Query("a","bc")`)
	}
}
