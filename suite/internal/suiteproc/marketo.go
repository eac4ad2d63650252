package suiteproc

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// BatchSize is the most records one Marketo sync or query request takes.
const BatchSize = 300

// MarketoError is a response-level or record-level Marketo error.
type MarketoError struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

// Code is a Marketo code, sent as a string but accepted as a number too.
type Code string

// UnmarshalJSON implements json.Unmarshaler.
func (c *Code) UnmarshalJSON(b []byte) error {
	*c = Code(strings.Trim(string(b), `"`))
	return nil
}

// Marketo's codes for refused calls that a client retries later.
const (
	CodeRateLimit   Code = "606" // too many calls in the sliding window
	CodeDailyQuota  Code = "607" // the day's quota is used up
	CodeConcurrency Code = "615" // too many calls running at once
)

// SyncResult is one record's outcome in a sync answer.
type SyncResult struct {
	ID      *int64         `json:"id"`
	Status  string         `json:"status"`
	Reasons []MarketoError `json:"reasons"`
}

// Envelope is the Marketo response envelope of a sync call.
type Envelope struct {
	Success bool           `json:"success"`
	Result  []SyncResult   `json:"result"`
	Errors  []MarketoError `json:"errors"`
}

// APIError says that a whole request to path failed with a Marketo error.
func APIError(path string, errs []MarketoError) error {
	if len(errs) == 0 {
		return fmt.Errorf("POST %s: success false without errors", path)
	}
	e := errs[0]
	hint := ""
	if e.Code == "610" {
		hint = " (610: the gateway found no implementation for this endpoint — is its service finished?)"
	}
	return fmt.Errorf("POST %s: Marketo error %s %q%s", path, e.Code, e.Message, hint)
}

// BatchOutcome counts the results of one sync request.
type BatchOutcome struct {
	Created, Updated int
	Skipped          map[string]int // "code message" → count
}

// SkipReason words a skipped record's status and reasons.
func SkipReason(r SyncResult) string {
	reason := r.Status
	for _, rs := range r.Reasons {
		reason += fmt.Sprintf(" %s %q", rs.Code, rs.Message)
	}
	return reason
}

// Sync posts one pre-encoded sync request and checks that it succeeded with one result per
// record; skipped records are counted, not failed.
func (c *Client) Sync(ctx context.Context, path string, body []byte, records int) (BatchOutcome, error) {
	raw, err := c.Do(ctx, http.MethodPost, path, "application/json", body)
	if err != nil {
		return BatchOutcome{}, fmt.Errorf("POST %s: %w", path, err)
	}
	var env Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return BatchOutcome{}, fmt.Errorf("POST %s: answer is not a Marketo envelope: %v: %s", path, err, Snippet(raw))
	}
	if !env.Success {
		return BatchOutcome{}, APIError(path, env.Errors)
	}
	if len(env.Result) != records {
		return BatchOutcome{}, fmt.Errorf("POST %s: %d results for %d records", path, len(env.Result), records)
	}
	out := BatchOutcome{Skipped: map[string]int{}}
	for _, r := range env.Result {
		switch r.Status {
		case "created":
			out.Created++
		case "updated":
			out.Updated++
		default:
			out.Skipped[SkipReason(r)]++
		}
	}
	return out, nil
}

// SyncRequest is the body of a sync call.
type SyncRequest[T any] struct {
	Action      string `json:"action"`
	LookupField string `json:"lookupField,omitempty"`
	Input       []T    `json:"input"`
}

// EncodeSync encodes records as one createOrUpdate request by lookupField ("": the
// object's default).
func EncodeSync[T any](records []T, lookupField string) ([]byte, error) {
	return json.Marshal(SyncRequest[T]{Action: "createOrUpdate", LookupField: lookupField, Input: records})
}

// Job is one encoded sync request.
type Job struct {
	Body    []byte
	Records int
}

// EncodeBatches encodes records as createOrUpdate requests of at most BatchSize records
// each.
func EncodeBatches[T any](records []T, lookupField string) ([]Job, error) {
	var jobs []Job
	for start := 0; start < len(records); start += BatchSize {
		part := records[start:min(start+BatchSize, len(records))]
		body, err := EncodeSync(part, lookupField)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, Job{Body: body, Records: len(part)})
	}
	return jobs, nil
}
