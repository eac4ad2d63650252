package connector

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/msisync/msisync/platform/config"
)

// notification is what the connector reads of Dataverse's RemoteExecutionContext.
type notification struct {
	PrimaryEntityName string `json:"PrimaryEntityName"`
	PrimaryEntityID   string `json:"PrimaryEntityId"`
	MessageName       string `json:"MessageName"`
}

// pending collects the entity sets notified since the last pull started.
type pending struct {
	mu   sync.Mutex
	sets map[string]bool
	kick chan struct{} // holds one token while sets is not empty
}

func newPending() *pending { return &pending{sets: map[string]bool{}, kick: make(chan struct{}, 1)} }

// add notes that set changed.
func (p *pending) add(set string) {
	p.mu.Lock()
	p.sets[set] = true
	p.mu.Unlock()
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// take returns the sets noted and forgets them.
func (p *pending) take() map[string]bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	sets := p.sets
	p.sets = map[string]bool{}
	return sets
}

// webhookHandler answers Dataverse's notifications: 401 without the shared secret, 400 for
// a body that is no RemoteExecutionContext, 202 once the table's pull is scheduled (200 for
// a table the connector does not sync).
func (c *Connector) webhookHandler(p *pending) http.Handler {
	secret := []byte(c.cfg.WebhookSecret.Value())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "Dataverse webhook notifications are POSTed here", http.StatusMethodNotAllowed)
			return
		}
		key := r.Header.Get(WebhookKeyHeader)
		if key == "" {
			key = r.URL.Query().Get("code") // authtype WebhookKey
		}
		if subtle.ConstantTimeCompare([]byte(key), secret) != 1 {
			c.log.WarnContext(r.Context(), "refused a webhook notification without the right key (MSISYNC_DYNAMICS_WEBHOOK_SECRET)", "remote", r.RemoteAddr)
			http.Error(w, "missing or wrong "+WebhookKeyHeader+": the key must be MSISYNC_DYNAMICS_WEBHOOK_SECRET", http.StatusUnauthorized)
			return
		}
		var n notification
		body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
		if err == nil {
			err = json.Unmarshal(body, &n)
		}
		if err != nil || n.PrimaryEntityName == "" {
			http.Error(w, "the body is not a Dataverse RemoteExecutionContext (JSON with PrimaryEntityName)", http.StatusBadRequest)
			return
		}
		set, ok := watchedTables[n.PrimaryEntityName]
		if !ok {
			w.WriteHeader(http.StatusOK)
			return
		}
		c.log.DebugContext(r.Context(), "Dataverse notified a change", "table", n.PrimaryEntityName, "message", n.MessageName, "id", n.PrimaryEntityID)
		p.add(set)
		w.WriteHeader(http.StatusAccepted)
	})
}

// nearRealTime listens for notifications, registers the webhook (again every SyncInterval
// until it succeeds) and runs a delta cycle of the notified sets MSISYNC_DYNAMICS_WEBHOOK_DEBOUNCE
// after the first notification of each batch; notifications during a cycle schedule one
// more. It returns when ctx ends, or when it cannot listen.
func (c *Connector) nearRealTime(ctx context.Context) error {
	ln, err := net.Listen("tcp", c.cfg.WebhookAddr)
	if err != nil {
		return config.ListenError("dynamics connector webhook", "MSISYNC_DYNAMICS_WEBHOOK_ADDR", c.cfg.WebhookAddr, err)
	}
	p := newPending()
	srv := &http.Server{Handler: c.webhookHandler(p), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	c.log.InfoContext(ctx, "listening for Dataverse webhook notifications", "addr", ln.Addr().String(), "url", c.cfg.WebhookURL)
	go c.registerUntilDone(ctx)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-served:
			return fmt.Errorf("the webhook listener stopped: %w", err)
		case <-p.kick:
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(c.cfg.webhookDebounce()):
		}
		sets := p.take()
		if len(sets) == 0 {
			continue
		}
		rep, err := c.SyncSets(ctx, sets)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			c.log.ErrorContext(ctx, "Dynamics cycle after a webhook notification failed; the scheduled cycle picks the changes up", "error", err)
		default:
			c.log.InfoContext(ctx, "Dynamics cycle after a webhook notification done", "report", rep.String())
		}
	}
}

// registerUntilDone registers the webhook, trying again every SyncInterval on failure.
func (c *Connector) registerUntilDone(ctx context.Context) {
	for {
		ep, err := c.RegisterWebhook(ctx)
		if err == nil {
			c.log.InfoContext(ctx, "Dataverse webhook registered", "serviceendpointid", ep, "url", c.cfg.WebhookURL)
			return
		}
		if errors.Is(err, context.Canceled) || ctx.Err() != nil {
			return
		}
		c.log.ErrorContext(ctx, "could not register the Dataverse webhook; changes still arrive with the scheduled cycle, and registering is tried again", "error", err, "next", c.cfg.SyncInterval)
		select {
		case <-ctx.Done():
			return
		case <-time.After(c.cfg.SyncInterval):
		}
	}
}
