package marketoclient

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// MaxBatch is the most records (or filter values) Marketo takes in one call.
const MaxBatch = 300

// maxQueryBytes is the longest query string sent in a URL; Marketo refuses URIs over 8 KB
// (414), so longer queries go as POST …?_method=GET with a form body.
const maxQueryBytes = 7 << 10

// Object names the lead-database objects msisync syncs, with their REST paths.
type Object string

// The objects of the MSI non-native sync, in its order.
const (
	SalesPersons  Object = "salespersons"
	Companies     Object = "companies"
	Leads         Object = "leads"
	Opportunities Object = "opportunities"
	Roles         Object = "opportunities/roles"
)

// Field is one field of a describe.
type Field struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
	DataType    string `json:"dataType"`
	Length      int    `json:"length,omitempty"`
	Updateable  bool   `json:"updateable"`
	CRMManaged  bool   `json:"crmManaged,omitempty"`
}

// Description is an object's describe: its fields and keys.
type Description struct {
	Name             string     `json:"name"`
	IDField          string     `json:"idField"`
	DedupeFields     []string   `json:"dedupeFields"`
	SearchableFields [][]string `json:"searchableFields"`
	Fields           []Field    `json:"fields"`
}

// Field returns the named field, and whether the object has it.
func (d Description) Field(name string) (Field, bool) {
	for _, f := range d.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Describe returns obj's describe (for leads, describe2, which says which fields are
// updateable). A read: safe to retry.
func (c *Client) Describe(ctx context.Context, obj Object) (Description, error) {
	path := "/rest/v1/" + string(obj) + "/describe.json"
	if obj == Leads {
		path = "/rest/v1/leads/describe2.json"
	}
	var out []Description
	if _, err := c.call(ctx, http.MethodGet, path, nil, &out); err != nil {
		return Description{}, err
	}
	if len(out) == 0 {
		return Description{}, &APIError{Code: "HTTP 200", Message: "the describe has no result", Path: path}
	}
	return out[0], nil
}

// Record is one record to sync: field name → value.
type Record = map[string]any

// SyncRequest is a keyed sync of sales persons, companies, opportunities or roles.
type SyncRequest struct {
	// Action is createOrUpdate (the default), createOnly or updateOnly; all are keyed, so a
	// repeated call changes nothing more.
	Action string `json:"action,omitempty"`
	// DedupeBy is dedupeFields (the default) or idField.
	DedupeBy string   `json:"dedupeBy,omitempty"`
	Input    []Record `json:"input"`
}

// LeadSyncRequest is a keyed sync of leads.
type LeadSyncRequest struct {
	// Action is createOrUpdate (the default) or updateOnly; createDuplicate is refused.
	Action string `json:"action,omitempty"`
	// LookupField is the key every input carries, e.g. externalPersonId.
	LookupField   string   `json:"lookupField"`
	PartitionName string   `json:"partitionName,omitempty"`
	Input         []Record `json:"input"`
}

// RecordResult is Marketo's outcome for one input record.
type RecordResult struct {
	// Seq is the position of the input record (Marketo's lead results carry none: SyncLeads
	// and DeleteLeads number them by position).
	Seq    int    `json:"seq"`
	Status string `json:"status"` // created, updated, skipped
	// ID is the numeric id (sales persons, companies, leads); MarketoGUID the id of
	// opportunities and roles.
	ID          int64    `json:"id,omitempty"`
	MarketoGUID string   `json:"marketoGUID,omitempty"`
	Reasons     []Reason `json:"reasons,omitempty"`
}

// Sync upserts up to MaxBatch records of obj (not leads: see SyncLeads) by their dedupe
// fields or id. Keyed, hence idempotent: safe to retry after a timeout (with createOnly a
// repeat writes nothing more but answers skipped for what the first attempt created, so
// the forwarder uses createOrUpdate).
func (c *Client) Sync(ctx context.Context, obj Object, req SyncRequest) ([]RecordResult, error) {
	if obj == Leads {
		return nil, fmt.Errorf("leads are synced with SyncLeads")
	}
	if err := checkBatch(len(req.Input)); err != nil {
		return nil, err
	}
	var out []RecordResult
	_, err := c.call(ctx, http.MethodPost, "/rest/v1/"+string(obj)+".json", req, &out)
	return out, err
}

// SyncLeads upserts up to MaxBatch leads by LookupField. Keyed, hence idempotent (unlike
// createDuplicate, which it refuses).
func (c *Client) SyncLeads(ctx context.Context, req LeadSyncRequest) ([]RecordResult, error) {
	if req.Action == "createDuplicate" || req.Action == "createOnly" && req.LookupField == "" {
		return nil, fmt.Errorf("sync leads: action %q is not idempotent; use createOrUpdate or updateOnly with a lookupField", req.Action)
	}
	if req.LookupField == "" {
		return nil, fmt.Errorf("sync leads: a lookupField is required (e.g. externalPersonId)")
	}
	if err := checkBatch(len(req.Input)); err != nil {
		return nil, err
	}
	var out []RecordResult
	_, err := c.call(ctx, http.MethodPost, "/rest/v1/leads.json", req, &out)
	return positional(out), err
}

// positional numbers lead results by their position: Marketo's lead results carry no seq
// and follow the input's order, so that every result's Seq names its input.
func positional(out []RecordResult) []RecordResult {
	for i := range out {
		out[i].Seq = i
	}
	return out
}

// Page is one page of a query.
type Page struct {
	Records       []Record
	NextPageToken string
	MoreResult    bool
}

// QueryLeads returns the leads whose filterType is one of values (at most MaxBatch), with
// fields (empty: Marketo's defaults), from pageToken ("" for the first page). A read; a
// query too long for a URL is sent as POST ?_method=GET with a form body, still a read.
func (c *Client) QueryLeads(ctx context.Context, filterType string, values, fields []string, pageToken string) (Page, error) {
	if err := checkBatch(len(values)); err != nil {
		return Page{}, err
	}
	q := url.Values{"filterType": {filterType}, "filterValues": {strings.Join(values, ",")}}
	if len(fields) > 0 {
		q.Set("fields", strings.Join(fields, ","))
	}
	if pageToken != "" {
		q.Set("nextPageToken", pageToken)
	}
	var out []Record
	var env *envelope
	var err error
	if enc := q.Encode(); len(enc) <= maxQueryBytes {
		env, err = c.call(ctx, http.MethodGet, "/rest/v1/leads.json?"+enc, nil, &out)
	} else {
		// 300 GUIDs do not fit in Marketo's 8 KB URI: its tunnel takes them in a form body.
		env, err = c.send(ctx, http.MethodPost, "/rest/v1/leads.json?_method=GET", []byte(enc), "application/x-www-form-urlencoded", &out)
	}
	if err != nil {
		return Page{}, err
	}
	return Page{Records: out, NextPageToken: env.NextPageToken, MoreResult: env.MoreResult}, nil
}

// Usage is Marketo's count of the instance's calls on one day.
type Usage struct {
	Date  string      `json:"date"`
	Total int64       `json:"total"`
	Users []UserUsage `json:"users"`
}

// UserUsage is one API user's share of a day's calls.
type UserUsage struct {
	UserID string `json:"userId"`
	Count  int64  `json:"count"`
}

// DailyUsage returns today's calls to the instance (GET /rest/v1/stats/usage.json), all
// integrations together, and raises the shared limits' count to it. A read.
func (c *Client) DailyUsage(ctx context.Context) (Usage, error) {
	var out []Usage
	if _, err := c.call(ctx, http.MethodGet, "/rest/v1/stats/usage.json", nil, &out); err != nil {
		return Usage{}, err
	}
	if len(out) == 0 {
		return Usage{}, nil
	}
	c.limits.ObserveUsage(out[0].Total)
	return out[0], nil
}

func checkBatch(n int) error {
	if n > MaxBatch {
		return fmt.Errorf("%d records in one call; Marketo takes at most %d", n, MaxBatch)
	}
	return nil
}

// Delete deletes up to MaxBatch records of obj (not leads: see DeleteLeads), each given by
// its dedupe fields (deleteBy dedupeFields) or, with byID, its id field. Idempotent: a
// repeat answers skipped with 1013 for what the first attempt deleted. Marketo refuses to
// delete a parent that children still reference, so deletes go children first.
func (c *Client) Delete(ctx context.Context, obj Object, keys []Record, byID bool) ([]RecordResult, error) {
	if obj == Leads {
		return nil, fmt.Errorf("leads are deleted with DeleteLeads")
	}
	if err := checkBatch(len(keys)); err != nil {
		return nil, err
	}
	req := struct {
		DeleteBy string   `json:"deleteBy"`
		Input    []Record `json:"input"`
	}{DeleteBy: "dedupeFields", Input: keys}
	if byID {
		req.DeleteBy = "idField"
	}
	var out []RecordResult
	_, err := c.call(ctx, http.MethodPost, "/rest/v1/"+string(obj)+"/delete.json", req, &out)
	return out, err
}

// DeleteLeads deletes up to MaxBatch leads by Marketo id. Idempotent: a repeat answers
// skipped for what the first attempt deleted.
func (c *Client) DeleteLeads(ctx context.Context, ids []int64) ([]RecordResult, error) {
	if err := checkBatch(len(ids)); err != nil {
		return nil, err
	}
	in := make([]Record, len(ids))
	for i, id := range ids {
		in[i] = Record{"id": id}
	}
	var out []RecordResult
	_, err := c.call(ctx, http.MethodPost, "/rest/v1/leads/delete.json", struct {
		Input []Record `json:"input"`
	}{in}, &out)
	return positional(out), err
}
