// Package alert sends msisync's alerts to an operator's webhook: a JSON body a person can
// read, signed with an HMAC secret, posted when a condition starts ("firing") and again
// when it ends ("resolved"). Raise and Resolve never block: alerts wait in a bounded queue
// that Run delivers, retrying with backoff, so that a slow or failing receiver never holds
// up the sync.
//
// A receiver verifies an alert by computing the HMAC-SHA256 of the raw request body with
// the shared secret (MSISYNC_ALERT_WEBHOOK_SECRET) and comparing its lower-case hex form, in
// constant time, with the X-Msisync-Signature header after its "sha256=" prefix (see Verify).
package alert

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// SignatureHeader is the request header that carries the body's signature.
const SignatureHeader = "X-Msisync-Signature"

// The alert statuses.
const (
	// Firing says the condition holds.
	Firing = "firing"
	// Resolved says it holds no more.
	Resolved = "resolved"
)

// Event is the JSON body of one webhook call.
type Event struct {
	// Alert names the condition, e.g. "dead-letters" or "api-quota/connector".
	Alert string `json:"alert"`
	// Status is Firing or Resolved.
	Status string `json:"status"`
	// Summary is one sentence for a person.
	Summary string `json:"summary"`
	// Details are the facts behind it (counts, limits, the last error), when any.
	Details map[string]any `json:"details,omitempty"`
	// Source is the process that sent it, e.g. "orchestrator" or "dynamics-connector".
	Source string `json:"source"`
	// Time is when the condition was seen to start or end (RFC 3339, UTC).
	Time time.Time `json:"time"`
}

// Sign returns the X-Msisync-Signature value of body under secret:
// "sha256=" and the lower-case hex HMAC-SHA256.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether signature (an X-Msisync-Signature value) is body's under secret,
// comparing in constant time.
func Verify(secret, body []byte, signature string) bool {
	got, ok := strings.CutPrefix(strings.TrimSpace(signature), "sha256=")
	if !ok {
		return false
	}
	want := Sign(secret, body)[len("sha256="):]
	return hmac.Equal([]byte(strings.ToLower(got)), []byte(want))
}
