package marketoclient

import (
	"fmt"
	"time"
)

// APIError is a response-level error Marketo answered with (the envelope's errors[0]), or
// an HTTP status without an envelope (Code is then "HTTP <status>").
type APIError struct {
	// Code is Marketo's code, e.g. "610".
	Code string
	// Message is Marketo's message.
	Message string
	// Path is the request's path, without the query.
	Path string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("Marketo answered %s %s (%s)", e.Code, e.Message, e.Path)
}

// QuotaError says the daily quota msisync may use is spent, by Marketo's 607 or by the
// client's own count (which keeps MSISYNC_MARKETO_QUOTA_RESERVE free); calls pause until
// ResetAt, midnight America/Chicago.
type QuotaError struct {
	// ResetAt is when the quota day ends (midnight America/Chicago).
	ResetAt time.Time
	// Used and Limit are today's count and the calls msisync may make today; Limit is 0
	// when Marketo itself answered 607.
	Used, Limit int64
}

func (e *QuotaError) Error() string {
	reset := e.ResetAt.In(chicago()).Format("2006-01-02 15:04 MST")
	if e.Limit == 0 {
		return "Marketo's daily API quota is spent (607): calls pause until " + reset
	}
	return fmt.Sprintf("msisync's share of Marketo's daily API quota is spent (%d of %d calls): calls pause until %s", e.Used, e.Limit, reset)
}

// AuthError says Marketo refused the credentials or kept refusing the token.
type AuthError struct {
	// Status is the identity service's HTTP status, or 0 when the REST API refused a fresh
	// token.
	Status int
	// Detail is what Marketo said.
	Detail string
}

func (e *AuthError) Error() string {
	return "Marketo refused msisync's credentials (" + e.Detail + "): check MSISYNC_MARKETO_CLIENT_ID and MSISYNC_MARKETO_CLIENT_SECRET against the LaunchPoint custom service"
}
