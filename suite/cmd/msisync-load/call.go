package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/msisync/msisync/suite/internal/suiteproc"
)

// kind is a kind of call in the mix.
type kind int

const (
	kindLeadSync kind = iota
	kindCompanySync
	kindOpportunitySync
	kindLeadQuery
	kindReadBack
	kindScoreChange
	kindMoment
	numKinds
)

var kindNames = [numKinds]string{"lead sync", "company sync", "opportunity sync", "lead query", "read-back", "score change", "interesting moment"}

// answer is the classified outcome of one call.
type answer struct {
	status  int    // HTTP status; 0 when no answer came
	raw     []byte // the body
	err     error  // the transport error when no answer came
	code    string // the response-level Marketo code of a failed call ("" on success)
	message string // its message
}

// ok reports whether the call succeeded as a whole.
func (a answer) ok() bool { return a.err == nil && a.status == http.StatusOK && a.code == "" }

// refused reports whether the call was refused by a limit (606, 607, 615), so nothing was
// done and it may be sent again later.
func (a answer) refused() bool {
	switch suiteproc.Code(a.code) {
	case suiteproc.CodeRateLimit, suiteproc.CodeDailyQuota, suiteproc.CodeConcurrency:
		return true
	}
	return false
}

// unknown reports whether the call's effect is unknown (no answer, or a 5xx), so a write
// must be sent again.
func (a answer) unknown() bool { return a.err != nil || a.status >= 500 }

// describe words a failed answer for the report.
func (a answer) describe() string {
	switch {
	case a.err != nil:
		return "no answer: " + a.err.Error()
	case a.code != "":
		return fmt.Sprintf("HTTP %d, Marketo error %s %q", a.status, a.code, a.message)
	default:
		return fmt.Sprintf("HTTP %d: %s", a.status, suiteproc.Snippet(a.raw))
	}
}

// classify finds the Marketo code of a failed answer: in the envelope of the /rest/ API
// (HTTP 200, success false) or in the google.rpc.Status details of msisync's /v1/ API
// (ErrorInfo reason MARKETO_<code>).
func classify(status int, raw []byte, err error) answer {
	a := answer{status: status, raw: raw, err: err}
	if err != nil {
		return a
	}
	var env struct {
		Success *bool                    `json:"success"`
		Errors  []suiteproc.MarketoError `json:"errors"`
		Message string                   `json:"message"`
		Details []struct {
			Reason string `json:"reason"`
		} `json:"details"`
	}
	if json.Unmarshal(raw, &env) != nil {
		if status != http.StatusOK {
			a.code = "-"
		}
		return a
	}
	switch {
	case env.Success != nil && !*env.Success:
		a.code = "?"
		if len(env.Errors) > 0 {
			a.code, a.message = string(env.Errors[0].Code), env.Errors[0].Message
		}
	case status != http.StatusOK:
		a.code, a.message = "-", env.Message
		for _, d := range env.Details {
			if c, ok := strings.CutPrefix(d.Reason, "MARKETO_"); ok {
				a.code = c
			}
		}
	}
	return a
}

// call runs one call of kind k, records its status, Marketo code and (when it succeeded)
// latency, and classifies the answer.
func (w *worker) call(k kind, send func() (int, []byte, error)) answer {
	t0 := time.Now()
	status, raw, err := send()
	d := time.Since(t0)
	a := classify(status, raw, err)
	w.stats.record(k, a, d)
	return a
}

// backoff waits 200–500 ms after a refused call.
func backoff(ctx context.Context, rng *rand.Rand) {
	t := time.NewTimer(time.Duration(200+rng.IntN(301)) * time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// v1Results is the answer of /v1/score-changes and /v1/interesting-moments.
type v1Results struct {
	Results []struct {
		Status  string `json:"status"`
		Reasons []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"reasons"`
	} `json:"results"`
}
