package dataverse

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"time"

	"github.com/msisync/msisync/platform/retry"
)

// Update is one update-only PATCH of a row's columns.
type Update struct {
	EntitySet string         // e.g. "leads"
	ID        string         // the row's GUID (any case, braces allowed)
	Columns   map[string]any // columns to set; send only changed ones
}

// UpdateResult is the outcome of one Update: Status 204 (or 200) on success, 404 when the
// row does not exist (it is never created: If-Match: *), otherwise the error status.
// Err is set for every non-2xx status, 404 included; it is nil on success.
type UpdateResult struct {
	Status int
	Err    *Error
}

// OK reports whether the update was applied.
func (r UpdateResult) OK() bool { return r.Status >= 200 && r.Status < 300 }

// NotFound reports whether the row does not exist (deleted in Dataverse).
func (r UpdateResult) NotFound() bool { return r.Status == http.StatusNotFound }

type preparedUpdate struct {
	url  string
	body []byte
}

func (c *Client) prepare(u Update) (preparedUpdate, error) {
	set := strings.TrimSpace(u.EntitySet)
	if set == "" || strings.ContainsAny(set, "/?#() ") {
		return preparedUpdate{}, fmt.Errorf("dataverse: update: EntitySet %q must be an entity-set name such as \"leads\"", u.EntitySet)
	}
	id := NormalizeGUID(u.ID)
	if !isGUID(id) {
		return preparedUpdate{}, fmt.Errorf("dataverse: update %s: ID %q is not a GUID", set, u.ID)
	}
	if len(u.Columns) == 0 {
		return preparedUpdate{}, fmt.Errorf("dataverse: update %s(%s): no columns to set", set, id)
	}
	body, err := json.Marshal(u.Columns)
	if err != nil {
		return preparedUpdate{}, fmt.Errorf("dataverse: update %s(%s): encoding columns: %w", set, id, err)
	}
	return preparedUpdate{url: c.base + set + "(" + id + ")", body: body}, nil
}

// Update sends one PATCH <set>(<id>) with If-Match: * (update only, never create).
// Answers of the service (404, 400, 403, 412, ...) come back in the UpdateResult with a
// nil error; the error is for the call failing as a whole (bad input, ctx, auth, retries
// exhausted — then the result holds the last answer, if any).
func (c *Client) Update(ctx context.Context, u Update) (UpdateResult, error) {
	p, err := c.prepare(u)
	if err != nil {
		return UpdateResult{}, err
	}
	var res UpdateResult
	cl := call{method: http.MethodPatch, url: p.url, body: p.body, header: http.Header{
		"Content-Type": {"application/json"},
		"If-Match":     {"*"},
		"Prefer":       {c.prefer},
	}}
	err = c.do(ctx, cl, c.cfg.MaxAttempts, func(resp *http.Response) error {
		res.Status = resp.StatusCode
		return nil
	})
	if err == nil {
		return res, nil
	}
	if e, ok := err.(*Error); ok && e.Status != http.StatusUnauthorized {
		return UpdateResult{Status: e.Status, Err: e}, nil
	}
	var e *Error
	if errors.As(err, &e) {
		res = UpdateResult{Status: e.Status, Err: e}
	}
	return res, err
}

// UpdateBatch sends updates (at most 1000) in one multipart $batch with
// Prefer: odata.continue-on-error, every part a PATCH with If-Match: *. Results are in
// input order. Parts answered 429 or 5xx, and parts the response lacks (the service
// stopped early), are sent again in a following smaller $batch after the Retry-After
// (or a backoff), until MaxAttempts rounds are used, so nothing is lost silently.
// The error is only for the whole call failing (bad input, ctx, auth, retries exhausted);
// the results are returned alongside it with the last known answer of each part.
func (c *Client) UpdateBatch(ctx context.Context, updates []Update) ([]UpdateResult, error) {
	if len(updates) == 0 {
		return nil, nil
	}
	if len(updates) > MaxBatch {
		return nil, fmt.Errorf("dataverse: UpdateBatch: %d updates, a $batch holds at most %d: split them", len(updates), MaxBatch)
	}
	items := make([]preparedUpdate, len(updates))
	for i, u := range updates {
		p, err := c.prepare(u)
		if err != nil {
			return nil, fmt.Errorf("dataverse: UpdateBatch: updates[%d]: %w", i, err)
		}
		items[i] = p
	}
	results := make([]UpdateResult, len(updates))
	pending := make([]int, len(updates))
	for i := range pending {
		pending[i] = i
	}
	t := &throttle{}
	reauthed := false
	logParts := func(r retry.Retrying) bool {
		var pe *partsError
		if !errors.As(r.Err, &pe) {
			return false
		}
		c.log.Warn("dataverse: retrying $batch parts", "parts", pe.failing, "missing", pe.missing,
			"status", pe.last.Status, "attempt", r.Attempts, "max_attempts", c.cfg.MaxAttempts, "wait", r.Wait, "error", pe.last.Error())
		return true
	}
	_, err := retry.Do(ctx, c.policy(c.cfg.MaxAttempts, http.MethodPost, c.base+"$batch", logParts), func(ctx context.Context) error {
		batch := make([]preparedUpdate, len(pending))
		for i, idx := range pending {
			batch[i] = items[idx]
		}
		parts, err := c.sendBatch(ctx, batch, t, &reauthed)
		if err != nil {
			return err
		}
		var again error
		pending, again = c.batchRound(t, pending, parts, results)
		return again
	})
	return results, exhausted(err)
}

// batchRound records the answers of one $batch round in results and returns the updates
// to send again, with the error that marks the round for retry.Do: retry.Again when only
// throttled parts are left (the round is paced by the service, so it costs the throttle
// budget, not an attempt), otherwise retry.RetryAfter with the longest Retry-After of the
// throttled parts, or a backoff; nil when nothing is left to send.
func (c *Client) batchRound(t *throttle, pending []int, parts []partResult, results []UpdateResult) ([]int, error) {
	if len(parts) > len(pending) {
		c.log.Warn("dataverse: $batch answered more parts than requests", "requests", len(pending), "parts", len(parts))
	}
	var (
		again   []int
		wait    time.Duration
		last    *Error
		missing int
		failed  int // retried parts that failed for another reason than throttling
	)
	for i, idx := range pending {
		if i >= len(parts) {
			missing++
			last = &Error{Message: "no answer in the $batch response (the service stopped early)"}
			results[idx] = UpdateResult{Err: last}
			again = append(again, idx)
			failed++
			continue
		}
		p := parts[i]
		results[idx] = UpdateResult{Status: p.status, Err: p.err}
		if p.err == nil || !retryableStatus(p.status) {
			continue
		}
		if p.status == http.StatusTooManyRequests {
			c.stats.throttled.Add(1)
		} else {
			c.stats.serverErrors.Add(1)
		}
		if (p.status == http.StatusTooManyRequests || p.status == http.StatusServiceUnavailable) && p.err.RetryAfter > wait {
			wait = p.err.RetryAfter
		}
		if p.status != http.StatusTooManyRequests && (p.status != http.StatusServiceUnavailable || p.err.RetryAfter <= 0) {
			failed++
		}
		last = p.err
		again = append(again, idx)
	}
	for _, p := range parts {
		if p.status == http.StatusUnauthorized {
			c.stats.unauthorized.Add(1)
		}
	}
	if len(again) == 0 {
		return nil, nil
	}
	if failed == 0 {
		wait, err := c.throttled(t, wait, wait > 0, last)
		if err != nil {
			return again, err
		}
		c.stats.retries.Add(1)
		c.log.Info("dataverse: $batch parts throttled, waiting", "parts", len(again), "wait", wait,
			"throttled_for", t.waited, "throttle_budget", c.cfg.ThrottleBudget)
		return again, retry.Again(last, wait)
	}
	return again, retry.RetryAfter(&partsError{failing: len(again), total: len(results), missing: missing, last: last}, wait)
}

// partsError is a $batch round with parts still unanswered or failing.
type partsError struct {
	failing, total, missing int
	last                    *Error
}

func (e *partsError) Error() string {
	return fmt.Sprintf("$batch: %d of %d updates still unanswered or failing (last: %v)", e.failing, e.total, e.last)
}

func (e *partsError) Unwrap() error { return e.last }

// partResult is the answer of one $batch part.
type partResult struct {
	status int
	err    *Error
}

// sendBatch posts one $batch of PATCHes once (see Client.try) and returns the part
// answers in order.
func (c *Client) sendBatch(ctx context.Context, items []preparedUpdate, t *throttle, reauthed *bool) ([]partResult, error) {
	boundary := "batch_" + rand.Text()
	body := buildBatch(boundary, items)
	cl := call{method: http.MethodPost, url: c.base + "$batch", body: body, header: http.Header{
		"Content-Type": {"multipart/mixed; boundary=" + boundary},
		"Prefer":       {"odata.continue-on-error"},
	}}
	var parts []partResult
	err := c.try(ctx, cl, t, reauthed, func(resp *http.Response) error {
		var err error
		parts, err = parseBatchResponse(resp)
		return err
	})
	return parts, err
}

// buildBatch writes the multipart/mixed body (docs/dataverse-facts.md, Writing the MSI
// columns). Each part carries a Content-Length so the inner request can be read with
// http.ReadRequest.
func buildBatch(boundary string, items []preparedUpdate) []byte {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.SetBoundary(boundary); err != nil {
		panic(err) // boundary is ours: "batch_" + base32
	}
	for _, it := range items {
		h := textproto.MIMEHeader{}
		h.Set("Content-Type", "application/http")
		h.Set("Content-Transfer-Encoding", "binary")
		w, _ := mw.CreatePart(h) // writes to a bytes.Buffer: no error
		fmt.Fprintf(w, "PATCH %s HTTP/1.1\r\nContent-Type: application/json; type=entry\r\nIf-Match: *\r\nContent-Length: %d\r\n\r\n", it.url, len(it.body))
		_, _ = w.Write(it.body)
	}
	_ = mw.Close()
	return buf.Bytes()
}

// parseBatchResponse reads a multipart/mixed $batch response; each part's body is an HTTP
// response. Change sets (nested multipart) are flattened in order.
func parseBatchResponse(resp *http.Response) ([]partResult, error) {
	ct := resp.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || !strings.HasPrefix(mt, "multipart/") || params["boundary"] == "" {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("dataverse: $batch answered HTTP %d with Content-Type %q, not multipart/mixed: %s",
			resp.StatusCode, ct, excerpt(strings.TrimSpace(string(body)), 200))
	}
	return parseMultipart(multipart.NewReader(resp.Body, params["boundary"]), nil)
}

func parseMultipart(mr *multipart.Reader, out []partResult) ([]partResult, error) {
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("dataverse: reading $batch response: %w", err)
		}
		if mt, params, err := mime.ParseMediaType(p.Header.Get("Content-Type")); err == nil && strings.HasPrefix(mt, "multipart/") {
			if out, err = parseMultipart(multipart.NewReader(p, params["boundary"]), out); err != nil {
				return out, err
			}
			continue
		}
		r, err := http.ReadResponse(bufio.NewReader(p), nil)
		if err != nil {
			return out, fmt.Errorf("dataverse: $batch response part %d: %w", len(out)+1, err)
		}
		pr := partResult{status: r.StatusCode}
		if r.StatusCode < 200 || r.StatusCode >= 300 {
			pr.err = errorFromResponse(r)
		}
		_ = r.Body.Close()
		out = append(out, pr)
	}
}
