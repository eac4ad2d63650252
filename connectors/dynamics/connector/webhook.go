package connector

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/msisync/msisync/connectors/dynamics/dataverse"
	"github.com/msisync/msisync/connectors/dynamics/mapping"
	"github.com/msisync/msisync/platform/config"
)

// Near real time: with MSISYNC_DYNAMICS_WEBHOOK_URL set, the connector in watch mode
// registers a Dataverse webhook (a service endpoint with a step on Create, Update and
// Delete of every synced table), listens on MSISYNC_DYNAMICS_WEBHOOK_ADDR, and runs a
// delta cycle of the tables notified (see webhook_listen.go); the scheduled cycle stays as
// the safety net.

// WebhookEndpointName is the name of the connector's service endpoint in Dataverse; it is
// found by this name and updated at every start, so registering twice changes nothing.
const WebhookEndpointName = "msisync Dynamics connector"

// WebhookKeyHeader is the header every notification carries with the shared secret
// (MSISYNC_DYNAMICS_WEBHOOK_SECRET); the endpoint is registered with authtype HttpHeader.
const WebhookKeyHeader = "X-Msisync-Webhook-Key"

// Dataverse's codes for a webhook registration (serviceendpoint and sdkmessageprocessingstep
// columns).
const (
	contractWebhook = 8  // serviceendpoint.contract: Webhook
	authHTTPHeader  = 5  // serviceendpoint.authtype: HttpHeader
	formatJSON      = 2  // serviceendpoint.messageformat: JSON
	modeAsync       = 1  // sdkmessageprocessingstep.mode: Asynchronous
	stagePostOp     = 40 // sdkmessageprocessingstep.stage: PostOperation
)

// watchedTables maps the logical name of each table whose changes trigger a pull to its
// entity set: the tracked sets (mapping.PullOrder), tableOf turned around.
var watchedTables = func() map[string]string {
	m := make(map[string]string, len(mapping.PullOrder))
	for _, set := range mapping.PullOrder {
		m[tableOf[set]] = set
	}
	return m
}()

// webhookEnabled reports whether near real time is on.
func (c *Config) webhookEnabled() bool { return strings.TrimSpace(c.WebhookURL) != "" }

// webhookDebounce is MSISYNC_DYNAMICS_WEBHOOK_DEBOUNCE (1s when zero).
func (c *Config) webhookDebounce() time.Duration {
	if c.WebhookDebounce <= 0 {
		return time.Second
	}
	return c.WebhookDebounce
}

// validateWebhook checks the webhook settings: all or none of URL, address and secret.
func (c *Config) validateWebhook() []error {
	var errs []error
	if c.WebhookDebounce < 0 || c.WebhookDebounce > time.Minute {
		errs = append(errs, fmt.Errorf("MSISYNC_DYNAMICS_WEBHOOK_DEBOUNCE is %s; use a duration up to 1m, such as 1s", c.WebhookDebounce))
	}
	if !c.webhookEnabled() {
		if c.WebhookAddr != "" || c.WebhookSecret.Value() != "" {
			errs = append(errs, errors.New("MSISYNC_DYNAMICS_WEBHOOK_ADDR or MSISYNC_DYNAMICS_WEBHOOK_SECRET is set but MSISYNC_DYNAMICS_WEBHOOK_URL is not: set the public URL Dataverse posts to, or unset both"))
		}
		return errs
	}
	if u, err := url.Parse(c.WebhookURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("MSISYNC_DYNAMICS_WEBHOOK_URL is %q; use the absolute https URL Dataverse can reach the connector's listener at, e.g. https://msisync.example.com/dynamics/webhook", c.WebhookURL))
	}
	if c.WebhookAddr == "" {
		errs = append(errs, errors.New("MSISYNC_DYNAMICS_WEBHOOK_ADDR is not set: set the address the connector listens on for Dataverse's notifications, e.g. 0.0.0.0:8095"))
	} else if err := config.CheckAddr("MSISYNC_DYNAMICS_WEBHOOK_ADDR", c.WebhookAddr); err != nil {
		errs = append(errs, err)
	}
	if n := len(c.WebhookSecret.Value()); n < 16 {
		errs = append(errs, fmt.Errorf("MSISYNC_DYNAMICS_WEBHOOK_SECRET has %d characters; set a random key of at least 16 (e.g. openssl rand -hex 24): every notification must carry it", n))
	}
	return errs
}

// RegisterWebhook creates or updates the connector's service endpoint (found by
// WebhookEndpointName) with MSISYNC_DYNAMICS_WEBHOOK_URL and the secret, and adds the
// asynchronous post-operation steps on Create, Update and Delete of every watched table it
// lacks. It returns the endpoint's id.
func (c *Connector) RegisterWebhook(ctx context.Context) (string, error) {
	endpoint := map[string]any{
		"name": WebhookEndpointName, "contract": contractWebhook, "url": c.cfg.WebhookURL, "authtype": authHTTPHeader,
		"authvalue":     `<settings><setting name="` + WebhookKeyHeader + `" value="` + xmlAttr(c.cfg.WebhookSecret.Value()) + `" /></settings>`,
		"messageformat": formatJSON, "description": "Notifies the msisync Dynamics connector of changes to the synced tables.",
	}
	rows, err := c.all(ctx, "serviceendpoints", []string{"serviceendpointid"}, "name eq '"+WebhookEndpointName+"'")
	if err != nil {
		return "", fmt.Errorf("finding the webhook's service endpoint: %w", err)
	}
	var ep string
	if len(rows) > 0 {
		ep = rows[0].GUID("serviceendpointid")
		if res, err := c.dv.Update(ctx, dataverse.Update{EntitySet: "serviceendpoints", ID: ep, Columns: endpoint}); err != nil || !res.OK() {
			return "", fmt.Errorf("updating the webhook's service endpoint: %w", errors.Join(err, resErr(res)))
		}
	} else if ep, err = c.dv.Create(ctx, "serviceendpoints", endpoint); err != nil {
		return "", fmt.Errorf("creating the webhook's service endpoint: %w", err)
	}
	steps, err := c.all(ctx, "sdkmessageprocessingsteps", []string{"sdkmessageprocessingstepid", "_sdkmessagefilterid_value"}, "_eventhandler_value eq "+ep)
	if err != nil {
		return "", fmt.Errorf("reading the webhook's steps: %w", err)
	}
	have := map[string]bool{}
	for _, s := range steps {
		have[s.GUID("_sdkmessagefilterid_value")] = true
	}
	msgs, err := c.all(ctx, "sdkmessages", []string{"sdkmessageid", "name"}, "name eq 'Create' or name eq 'Update' or name eq 'Delete'")
	if err != nil {
		return "", fmt.Errorf("reading the SDK messages: %w", err)
	}
	tables := make([]string, 0, len(watchedTables))
	for t := range watchedTables {
		tables = append(tables, "primaryobjecttypecode eq '"+t+"'")
	}
	slices.Sort(tables)
	for _, m := range msgs {
		msg, name := m.GUID("sdkmessageid"), m.String("name")
		filters, err := c.all(ctx, "sdkmessagefilters", []string{"sdkmessagefilterid", "primaryobjecttypecode"},
			"_sdkmessageid_value eq "+msg+" and ("+strings.Join(tables, " or ")+")")
		if err != nil {
			return "", fmt.Errorf("reading the %s message's filters: %w", name, err)
		}
		for _, f := range filters {
			id := f.GUID("sdkmessagefilterid")
			if have[id] {
				continue
			}
			_, err := c.dv.Create(ctx, "sdkmessageprocessingsteps", map[string]any{
				"name": "msisync: " + name + " of " + f.String("primaryobjecttypecode"), "mode": modeAsync, "stage": stagePostOp, "rank": 1,
				"asyncautodelete": true, "eventhandler_serviceendpoint@odata.bind": "/serviceendpoints(" + ep + ")",
				"sdkmessageid@odata.bind": "/sdkmessages(" + msg + ")", "sdkmessagefilterid@odata.bind": "/sdkmessagefilters(" + id + ")",
			})
			if err != nil {
				return "", fmt.Errorf("registering the webhook's step on %s of %s: %w", name, f.String("primaryobjecttypecode"), err)
			}
		}
	}
	return ep, nil
}

// resErr is the error of an update Dataverse answered with a failure (nil otherwise).
func resErr(r dataverse.UpdateResult) error {
	if r.Err != nil {
		return r.Err
	}
	return nil
}

// xmlAttr escapes s for an XML attribute value.
func xmlAttr(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(s)
}
