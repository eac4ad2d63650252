package pagetoken

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"unicode/utf8"
)

// fuzzKey is the key the fuzz seeds are signed with.
var fuzzKey = []byte("0123456789abcdef0123456789abcdef")

// FuzzDecode feeds arbitrary tokens and queries to Decode. Nothing panics; a token that
// decodes round-trips through Encode; a token Encode made for the fuzzed query and cursor
// decodes, and fails once any byte of it is changed or it is checked against another query.
// Arbitrary strings never decode unless they are one of the signed seeds.
func FuzzDecode(f *testing.F) {
	c := New(fuzzKey)
	q := Query("email", "a@x.io,b@x.io")
	signed := map[string]bool{}
	for _, cur := range []any{cursor{AfterID: 42}, map[string]any{"a": 1, "k": "x"}, nil, "s", []int{1, 2}} {
		tok, err := c.Encode(q, cur)
		if err != nil {
			f.Fatal(err)
		}
		signed[tok] = true
		f.Add(tok, q, `{"a":7}`, uint16(0), byte('A'))
	}
	f.Add("", "", "", uint16(0), byte(0))
	f.Add(".", "", "null", uint16(1), byte('.'))
	f.Add("e30.AAAAAAAAAAAAAAAAAAAAAAAA", Query(), `{}`, uint16(3), byte('B'))
	f.Add("not a token", "q", `"x"`, uint16(5), byte(0xff))
	f.Add("eyJxIjoiIiwiYyI6MX0.", "", "1", uint16(30), byte('-'))
	f.Fuzz(func(t *testing.T, token, query, cursorJSON string, pos uint16, b byte) {
		var got any
		if err := c.Decode(token, query, &got); err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Decode(%q) = %v, want ErrInvalid", token, err)
			}
		} else {
			if !signed[token] {
				t.Fatalf("Decode accepted a token Encode never made: %q for query %q", token, query)
			}
			roundTrip(t, c, query, got)
		}
		// Another key never accepts the token.
		if err := New([]byte("another key another key another!")).Decode(token, query, &got); err == nil {
			t.Fatalf("a token decoded with the wrong key: %q", token)
		}

		// A token for the fuzzed query and cursor: it decodes, and tampering is detected.
		// Callers always pass a Query(...) result, which is ASCII; a raw query is used as
		// well when it is valid UTF-8 (JSON would replace invalid bytes, and the token
		// would then fail closed).
		var cur any
		if json.Unmarshal([]byte(cursorJSON), &cur) != nil {
			return
		}
		if utf8.ValidString(query) {
			roundTrip(t, c, query, cur)
		}
		query = Query(query, cursorJSON)
		tok, err := c.Encode(query, cur)
		if err != nil {
			t.Fatalf("Encode(%q, %#v): %v", query, cur, err)
		}
		roundTrip(t, c, query, cur)
		var dst any
		if err := c.Decode(tok, query+"x", &dst); err == nil {
			t.Fatalf("token %q decoded for another query", tok)
		}
		tampered := []byte(tok)
		i := int(pos) % len(tampered)
		if tampered[i] == b {
			return
		}
		tampered[i] = b
		if err := c.Decode(string(tampered), query, &dst); err == nil {
			t.Fatalf("tampered token %q (from %q) decoded to %#v", tampered, tok, dst)
		}
	})
}

// roundTrip checks that a cursor encoded for query decodes back to itself.
func roundTrip(t *testing.T, c *Codec, query string, cur any) {
	t.Helper()
	tok, err := c.Encode(query, cur)
	if err != nil {
		t.Fatalf("Encode(%q, %#v): %v", query, cur, err)
	}
	var back any
	if err := c.Decode(tok, query, &back); err != nil {
		t.Fatalf("Decode of a fresh token %q: %v", tok, err)
	}
	if !reflect.DeepEqual(back, cur) {
		t.Fatalf("cursor did not round-trip: encoded %#v, decoded %#v", cur, back)
	}
}
