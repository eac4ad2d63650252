package dataverse

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrDeltaExpired reports a delta link whose token has expired (older than the
// organization's change-tracking retention): drop the delta link and do a full resync.
// Query and Follow return it wrapped together with the *Error the service answered, so
// both errors.Is(err, ErrDeltaExpired) and errors.As(err, **Error) work.
var ErrDeltaExpired = errors.New("dataverse: delta token expired, do a full resync")

// ErrToken wraps every failure to get an OAuth2 token from the token endpoint.
var ErrToken = errors.New("dataverse: token request failed")

// codeExpiredVersionStamp is the Dataverse error code of ExpiredVersionStamp.
const codeExpiredVersionStamp = "0x80044352"

// Error is an error answered by the Web API.
type Error struct {
	Status     int           // HTTP status
	Code       string        // error.code of the body, e.g. "0x80072322"; often empty
	Message    string        // error.message of the body (or a short excerpt of a non-JSON body)
	RetryAfter time.Duration // the Retry-After header of a 429/503, 0 when absent
}

// Error returns "dataverse: <status> <code>: <message>" (without the code when it is empty).
func (e *Error) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("dataverse: %d: %s", e.Status, e.Message)
	}
	return fmt.Sprintf("dataverse: %d %s: %s", e.Status, e.Code, e.Message)
}

// maxErrorBody bounds how much of an error body is read.
const maxErrorBody = 64 << 10

// errorFromResponse builds an *Error from a non-2xx response, reading (a bounded part of)
// its body. The caller closes the body.
func errorFromResponse(resp *http.Response) *Error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	return errorFrom(resp.StatusCode, resp.Header, body)
}

func errorFrom(status int, h http.Header, body []byte) *Error {
	e := &Error{Status: status, RetryAfter: parseRetryAfter(h.Get("Retry-After"), time.Now())}
	var env struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &env) == nil && env.Error != nil {
		e.Code, e.Message = env.Error.Code, env.Error.Message
	} else if s := strings.TrimSpace(string(body)); s != "" {
		e.Message = excerpt(s, 300)
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
		if e.Message == "" {
			e.Message = "status " + strconv.Itoa(status)
		}
	}
	return e
}

// excerpt shortens s to at most n bytes on a rune boundary.
func excerpt(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date. The result is
// capped at MaxRetryAfter; 0 when absent or unparseable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > MaxRetryAfter.Seconds() {
			return MaxRetryAfter
		}
		d = time.Duration(secs * float64(time.Second))
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), MaxRetryAfter)
}

// isDeltaExpired reports whether e is the answer to an expired delta token: HTTP 400/410
// with code 0x80044352 (ExpiredVersionStamp) or a message saying that the version stamp /
// delta token expired.
func isDeltaExpired(e *Error) bool {
	if e == nil || (e.Status != http.StatusBadRequest && e.Status != http.StatusGone) {
		return false
	}
	code := strings.ToLower(strings.TrimSpace(e.Code))
	if code == codeExpiredVersionStamp || code == "expiredversionstamp" {
		return true
	}
	m := strings.ToLower(e.Message)
	if strings.Contains(m, "expiredversionstamp") {
		return true
	}
	if !strings.Contains(m, "expire") {
		return false
	}
	for _, s := range []string{"version stamp", "versionstamp", "delta token", "deltatoken", "change tracking token", "changetracking token"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

// retryableStatus reports whether a response status is worth retrying.
func retryableStatus(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}
