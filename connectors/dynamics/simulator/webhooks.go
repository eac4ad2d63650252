package simulator

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"math/rand"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Webhooks, as Dataverse's asynchronous service calls them. A service endpoint
// (serviceendpoints: contract 8 = Webhook, url, authtype 4 = WebhookKey, 5 = HttpHeader or
// 6 = HttpQueryString, authvalue) and its steps (sdkmessageprocessingsteps: eventhandler →
// the endpoint, sdkmessageid → the message (sdkmessages: Create, Update, Delete),
// sdkmessagefilterid → the message's filter of a table (sdkmessagefilters:
// primaryobjecttypecode = the table's logical name), statecode 0 = enabled) are ordinary
// rows of the Web API. After a row of a table with an enabled step is created, updated or
// deleted, the simulator POSTs a RemoteExecutionContext (JSON) to the endpoint's URL with
// its authentication, after Options.WebhookDelay, and tries a failed delivery (an error or
// a status other than 2xx) again, up to webhookAttempts times in all, with a doubling pause.
// Steps run asynchronously whatever their mode and stage (the simulator never blocks or
// rolls back the operation). Authvalue of HttpHeader and HttpQueryString is Dataverse's
// settings XML: <settings><setting name="x-key" value="…" /></settings>; WebhookKey's is
// the key, sent as the code query parameter.

// Webhook endpoint contracts and authentication types (serviceendpoint columns).
const (
	ContractWebhook     = 8
	AuthWebhookKey      = 4
	AuthHTTPHeader      = 5
	AuthHTTPQueryString = 6
)

// webhookAttempts bounds the deliveries of one notification.
const webhookAttempts = 4

// pluginMessages are the SDK messages the simulator knows, with a filter per table.
var pluginMessages = []string{"Create", "Update", "Delete"}

// pluginSets are the registration tables, whose own changes notify nobody.
var pluginSets = map[string]bool{"sdkmessages": true, "sdkmessagefilters": true, "serviceendpoints": true, "sdkmessageprocessingsteps": true}

// WebhookStats counts webhook deliveries.
type WebhookStats struct {
	// Delivered counts notifications an endpoint accepted (2xx).
	Delivered int64 `json:"delivered"`
	// Failed counts notifications given up after every attempt.
	Failed int64 `json:"failed"`
	// Attempts counts POSTs, retries included.
	Attempts int64 `json:"attempts"`
	// LastStatus is the last HTTP status an endpoint answered (0: none, or no answer).
	LastStatus int `json:"lastStatus"`
}

// webhooks holds the delivery counts.
type webhooks struct {
	mu    sync.Mutex
	stats WebhookStats
}

// Webhooks returns the webhook delivery counts.
func (s *Simulator) Webhooks() WebhookStats {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	return s.hooks.stats
}

// registrationBaseline creates the sdkmessages Create, Update and Delete and their filter of
// every other table (deterministic ids), and turns notifications on. Caller holds no lock.
func (s *Simulator) registrationBaseline(seed int64) {
	rng := rand.New(rand.NewSource(seed ^ 0x7e6400c5))
	o := s.org
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, name := range pluginMessages {
		msg := seededGUID(rng)
		o.put(o.tables["sdkmessages"], msg, map[string]any{"name": name}, nil)
		for _, d := range tableDefs {
			if pluginSets[d.set] {
				continue
			}
			o.put(o.tables["sdkmessagefilters"], seededGUID(rng), map[string]any{"_sdkmessageid_value": msg, "primaryobjecttypecode": d.logical},
				map[string]string{"_sdkmessageid_value": "sdkmessage"})
		}
	}
	o.changed = s.notice
}

// delivery is one notification to send.
type delivery struct {
	url      string
	authType int64
	auth     string
	body     map[string]any
}

// notice finds the enabled steps of message on t's table and sends each its notification.
// Caller holds s.org.mu.
func (s *Simulator) notice(t *table, id, message string) {
	o := s.org
	steps := o.tables["sdkmessageprocessingsteps"]
	if pluginSets[t.def.set] || len(steps.rows) == 0 {
		return
	}
	for stepID, st := range steps.rows {
		if toInt(st.vals["statecode"]) != 0 {
			continue
		}
		msg := o.tables["sdkmessages"].rows[str(st.vals["_sdkmessageid_value"])]
		filter := o.tables["sdkmessagefilters"].rows[str(st.vals["_sdkmessagefilterid_value"])]
		ep := o.tables["serviceendpoints"].rows[str(st.vals["_eventhandler_value"])]
		if msg == nil || filter == nil || ep == nil || str(msg.vals["name"]) != message ||
			str(filter.vals["primaryobjecttypecode"]) != t.def.logical || toInt(ep.vals["contract"]) != ContractWebhook {
			continue
		}
		d := delivery{url: str(ep.vals["url"]), authType: toInt(ep.vals["authtype"]), auth: str(ep.vals["authvalue"]),
			body: s.executionContext(t.def, id, message, stepID, str(st.vals["name"]), toInt(st.vals["stage"]), toInt(st.vals["mode"]))}
		go s.deliver(d)
	}
}

// executionContext is the RemoteExecutionContext of one operation, as Dataverse serializes
// it for a webhook (the members msisync and most receivers read; no images).
func (s *Simulator) executionContext(def *tableDef, id, message, stepID, stepName string, stage, mode int64) map[string]any {
	s.idsMu.Lock()
	orgID, buID, userID := s.organizationID, s.businessUnitID, s.appUserID
	s.idsMu.Unlock()
	target := map[string]any{"__type": "Entity:http://schemas.microsoft.com/xrm/2011/Contracts", "Id": id, "LogicalName": def.logical}
	if message == "Delete" {
		target["__type"] = "EntityReference:http://schemas.microsoft.com/xrm/2011/Contracts"
	}
	return map[string]any{
		"BusinessUnitId": buID, "CorrelationId": newGUID(), "Depth": 1, "InitiatingUserId": userID,
		"InputParameters":    []map[string]any{{"key": "Target", "value": target}},
		"IsExecutingOffline": false, "IsInTransaction": false, "IsOfflinePlayback": false, "IsolationMode": 1,
		"MessageName": message, "Mode": mode, "OperationCreatedOn": fmt.Sprintf("/Date(%d)/", s.opts.Now().UnixMilli()),
		"OperationId": newGUID(), "OrganizationId": orgID, "OrganizationName": "msisyncsim", "OutputParameters": []any{},
		"OwningExtension": map[string]any{"Id": stepID, "KeyAttributes": []any{}, "LogicalName": "sdkmessageprocessingstep", "Name": stepName, "RowVersion": nil},
		"ParentContext":   nil, "PostEntityImages": []any{}, "PreEntityImages": []any{},
		"PrimaryEntityId": id, "PrimaryEntityName": def.logical, "RequestId": newGUID(), "SecondaryEntityName": "none",
		"SharedVariables": []any{}, "Stage": stage, "UserAzureActiveDirectoryObjectId": "00000000-0000-0000-0000-000000000000", "UserId": userID,
	}
}

// deliver POSTs d after the webhook delay, again on failure.
func (s *Simulator) deliver(d delivery) {
	body, _ := json.Marshal(d.body)
	pause := max(s.opts.WebhookDelay, 250*time.Millisecond)
	time.Sleep(s.opts.WebhookDelay)
	for attempt := 1; ; attempt++ {
		status := s.post(d, body)
		s.hooks.mu.Lock()
		s.hooks.stats.Attempts++
		s.hooks.stats.LastStatus = status
		ok := status >= 200 && status < 300
		switch {
		case ok:
			s.hooks.stats.Delivered++
		case attempt == webhookAttempts:
			s.hooks.stats.Failed++
		}
		s.hooks.mu.Unlock()
		if ok || attempt == webhookAttempts {
			return
		}
		time.Sleep(pause)
		pause *= 2
	}
}

// post sends one attempt and returns the answer's status (0 when there was none).
func (s *Simulator) post(d delivery, body []byte) int {
	u, err := url.Parse(d.url)
	if err != nil {
		return 0
	}
	header := http.Header{"Content-Type": {"application/json"}}
	settings := authSettings(d.auth)
	switch d.authType {
	case AuthWebhookKey:
		q := u.Query()
		q.Set("code", d.auth)
		u.RawQuery = q.Encode()
	case AuthHTTPHeader:
		for k, v := range settings {
			header.Set(k, v)
		}
	case AuthHTTPQueryString:
		q := u.Query()
		for k, v := range settings {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
	}
	req, err := http.NewRequest(http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header = header
	client := http.Client{Timeout: 60 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// authSettings reads Dataverse's <settings><setting name="…" value="…" /></settings>.
func authSettings(v string) map[string]string {
	var doc struct {
		Settings []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"setting"`
	}
	out := map[string]string{}
	if strings.HasPrefix(strings.TrimSpace(v), "<") && xml.Unmarshal([]byte(v), &doc) == nil {
		for _, s := range doc.Settings {
			out[s.Name] = s.Value
		}
	}
	return out
}

// toInt reads a stored integer (int64) or a JSON number.
func toInt(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int:
		return int64(n)
	case float64:
		return int64(n)
	}
	return -1
}
