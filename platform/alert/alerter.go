package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/msisync/msisync/platform/retry"
)

// Options tunes an Alerter. Zero values take the defaults.
type Options struct {
	// QueueSize bounds the alerts waiting for delivery (default 256); past it, new ones are
	// dropped with a log line.
	QueueSize int
	// Retry is how each alert is retried when the receiver fails or refuses it (default: 8
	// attempts, backoff with jitter from 1s up to 5m).
	Retry retry.Policy
	// Timeout bounds one webhook call (default 10s).
	Timeout time.Duration
	// Client makes the calls (default: a client with Timeout).
	Client *http.Client
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Alerter raises and resolves alerts. It is safe for concurrent use; a nil *Alerter does
// nothing, so callers need no check.
type Alerter struct {
	cfg    Config
	source string
	log    *slog.Logger
	opts   Options
	queue  chan Event

	mu     sync.Mutex
	firing map[string]bool
}

// New returns an Alerter that posts to cfg's webhook in the name of source (a process name
// such as "orchestrator"); nil when cfg has no webhook. Alerts are delivered only while Run
// runs.
func New(cfg Config, source string, log *slog.Logger, opts Options) *Alerter {
	if !cfg.Enabled() {
		return nil
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 256
	}
	if opts.Retry.MaxAttempts <= 0 {
		opts.Retry.MaxAttempts, opts.Retry.Base, opts.Retry.Max = 8, time.Second, 5*time.Minute
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: opts.Timeout}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Alerter{cfg: cfg, source: source, log: log.With("component", "alerts"), opts: opts,
		queue: make(chan Event, opts.QueueSize), firing: map[string]bool{}}
}

// Raise fires the alert key with a one-sentence summary and its details. An alert already
// firing is not sent again until it is resolved. It never blocks.
func (a *Alerter) Raise(key, summary string, details map[string]any) {
	if a == nil {
		return
	}
	a.mu.Lock()
	already := a.firing[key]
	a.firing[key] = true
	a.mu.Unlock()
	if !already {
		a.enqueue(Event{Alert: key, Status: Firing, Summary: summary, Details: details})
	}
}

// Resolve ends the alert key, with a summary saying what is back to normal; nothing is sent
// when it is not firing. It never blocks.
func (a *Alerter) Resolve(key, summary string) {
	if a == nil {
		return
	}
	a.mu.Lock()
	was := a.firing[key]
	delete(a.firing, key)
	a.mu.Unlock()
	if was {
		a.enqueue(Event{Alert: key, Status: Resolved, Summary: summary})
	}
}

// Firing reports whether the alert key is firing.
func (a *Alerter) Firing(key string) bool {
	if a == nil {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.firing[key]
}

// enqueue queues e without blocking, or drops it with a log line when the queue is full.
func (a *Alerter) enqueue(e Event) {
	e.Source, e.Time = a.source, a.opts.Now().UTC()
	select {
	case a.queue <- e:
	default:
		a.log.Error("alert dropped: too many alerts wait for the webhook", "alert", e.Alert, "status", e.Status, "summary", e.Summary)
	}
}

// Run delivers the queued alerts, one at a time and in order, until ctx ends; each is
// retried with backoff (Options.Retry) while the receiver is unreachable or answers other
// than 2xx, then given up with an error log line. It returns nil when ctx ends.
func (a *Alerter) Run(ctx context.Context) error {
	if a == nil {
		<-ctx.Done()
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case e := <-a.queue:
			a.deliver(ctx, e)
		}
	}
}

// deliver posts e until the receiver takes it, the retries are spent or ctx ends.
func (a *Alerter) deliver(ctx context.Context, e Event) {
	body, err := json.Marshal(e)
	if err != nil {
		a.log.ErrorContext(ctx, "alert not sent: encoding it failed", "alert", e.Alert, "error", err)
		return
	}
	log := a.log.With("alert", e.Alert, "status", e.Status)
	p := a.opts.Retry
	p.OnRetry = func(r retry.Retrying) {
		log.WarnContext(ctx, "alert webhook failed; retrying", "attempt", r.Attempts, "retry_in", r.Wait.Round(time.Millisecond), "error", r.Err)
	}
	attempts, err := retry.Do(ctx, p, func(ctx context.Context) error { return retry.Retry(a.post(ctx, body)) })
	switch {
	case err == nil:
		log.InfoContext(ctx, "alert sent", "summary", e.Summary, "attempts", attempts)
	case ctx.Err() != nil:
		log.WarnContext(ctx, "alert not sent: stopping", "summary", e.Summary)
	default:
		log.ErrorContext(ctx, "alert not sent: the webhook kept failing", "summary", e.Summary, "error", err)
	}
}

// post makes one webhook call.
func (a *Alerter) post(ctx context.Context, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, a.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSpace(a.cfg.WebhookURL.Value()), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "msisync-alerts")
	req.Header.Set(SignatureHeader, Sign([]byte(a.cfg.WebhookSecret.Value()), body))
	resp, err := a.opts.Client.Do(req)
	if err != nil {
		// The URL may hold a credential: name the failure, not the URL.
		return fmt.Errorf("calling the alert webhook: %w", unwrapURL(err))
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("the alert webhook answered HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(msg)))
	}
	return nil
}
