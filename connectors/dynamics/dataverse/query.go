package dataverse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Query options for reading an entity set.
type Query struct {
	Select       []string // $select columns (always give them)
	Filter       string   // $filter; must be empty with TrackChanges
	TrackChanges bool     // Prefer: odata.track-changes — the last page carries a delta link
}

// Page is one page of a query, a next link or a delta link.
type Page struct {
	Rows      []Row    // new or changed rows (a delta does not say which)
	Deleted   []string // ids of $deletedEntity entries, lowercase
	NextLink  string   // more pages follow when set
	DeltaLink string   // set on the last page of a tracked query or delta
}

// WhoAmI is the answer of the WhoAmI function; ids are lowercase.
type WhoAmI struct{ UserID, BusinessUnitID, OrganizationID string }

// WhoAmI calls GET WhoAmI: a cheap check of URL, credentials and the application user.
func (c *Client) WhoAmI(ctx context.Context) (WhoAmI, error) {
	var w struct {
		UserID         string `json:"UserId"`
		BusinessUnitID string `json:"BusinessUnitId"`
		OrganizationID string `json:"OrganizationId"`
	}
	cl := call{method: http.MethodGet, url: c.base + "WhoAmI", header: http.Header{"Prefer": {c.prefer}}}
	err := c.do(ctx, cl, c.cfg.MaxAttempts, func(resp *http.Response) error {
		if err := json.NewDecoder(resp.Body).Decode(&w); err != nil {
			return fmt.Errorf("dataverse: decoding WhoAmI: %w", err)
		}
		return nil
	})
	if err != nil {
		return WhoAmI{}, err
	}
	return WhoAmI{UserID: NormalizeGUID(w.UserID), BusinessUnitID: NormalizeGUID(w.BusinessUnitID), OrganizationID: NormalizeGUID(w.OrganizationID)}, nil
}

// Query reads the first page of entitySet (e.g. "contacts") with the given options.
// Follow Page.NextLink for the rest; with TrackChanges the last page has a DeltaLink.
func (c *Client) Query(ctx context.Context, entitySet string, q Query) (*Page, error) {
	if entitySet == "" || strings.ContainsAny(entitySet, "?#") || strings.HasPrefix(entitySet, "/") || strings.Contains(entitySet, "://") {
		return nil, fmt.Errorf("dataverse: Query: entity set %q must be a bare entity-set name such as \"contacts\"", entitySet)
	}
	if len(q.Select) == 0 {
		return nil, fmt.Errorf("dataverse: Query %s: Select is empty: list the columns to read (without $select every column comes back)", entitySet)
	}
	if q.TrackChanges && strings.TrimSpace(q.Filter) != "" {
		return nil, fmt.Errorf("dataverse: Query %s: Filter must be empty with TrackChanges ($filter is not supported with change tracking)", entitySet)
	}
	cols := make([]string, len(q.Select))
	for i, s := range q.Select {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, fmt.Errorf("dataverse: Query %s: Select[%d] is empty", entitySet, i)
		}
		cols[i] = escapeQuery(s)
	}
	u := c.base + entitySet + "?$select=" + strings.Join(cols, ",")
	if f := strings.TrimSpace(q.Filter); f != "" {
		u += "&$filter=" + escapeQuery(f)
	}
	prefer := c.prefer
	if q.TrackChanges {
		prefer += ",odata.track-changes"
	}
	return c.getPage(ctx, u, prefer)
}

// Follow GETs a @odata.nextLink or @odata.deltaLink exactly as received (no re-encoding),
// with the same Prefer header as Query (odata.track-changes is added when the link holds a
// $deltatoken). The link must point at the environment's host: the bearer token is never
// sent elsewhere. An expired delta token gives an error that wraps ErrDeltaExpired.
func (c *Client) Follow(ctx context.Context, link string) (*Page, error) {
	if link == "" {
		return nil, errors.New("dataverse: Follow: empty link")
	}
	u, err := url.Parse(link)
	if err != nil {
		return nil, fmt.Errorf("dataverse: Follow: link does not parse: %w", err)
	}
	if !u.IsAbs() {
		// Not what Dataverse sends, but resolve a relative link against the API root.
		base, _ := url.Parse(c.base)
		u = base.ResolveReference(u)
		link = u.String()
	}
	if !strings.EqualFold(u.Scheme, c.origin.Scheme) || !strings.EqualFold(u.Host, c.origin.Host) {
		return nil, fmt.Errorf("dataverse: Follow: link %s://%s/... is not on the environment %s; refusing to send the token there",
			u.Scheme, u.Host, c.origin)
	}
	prefer := c.prefer
	if lq := strings.ToLower(u.RawQuery); strings.Contains(lq, "deltatoken=") {
		prefer += ",odata.track-changes"
	}
	return c.getPage(ctx, link, prefer)
}

// collection is the body of a collection response.
type collection struct {
	Value     []Row  `json:"value"`
	NextLink  string `json:"@odata.nextLink"`
	DeltaLink string `json:"@odata.deltaLink"`
}

func (c *Client) getPage(ctx context.Context, u, prefer string) (*Page, error) {
	var page *Page
	cl := call{method: http.MethodGet, url: u, header: http.Header{"Prefer": {prefer}}}
	err := c.do(ctx, cl, c.cfg.MaxAttempts, func(resp *http.Response) error {
		// Stream-decode: the body is read once, numbers stay json.Number.
		dec := json.NewDecoder(resp.Body)
		dec.UseNumber()
		var col collection
		if err := dec.Decode(&col); err != nil {
			return fmt.Errorf("dataverse: decoding %s: %w", pathOf(u), err)
		}
		page = splitDeleted(&col)
		return nil
	})
	if err != nil {
		var e *Error
		if errors.As(err, &e) && isDeltaExpired(e) {
			return nil, fmt.Errorf("%w: %w", ErrDeltaExpired, e)
		}
		return nil, err
	}
	return page, nil
}

// splitDeleted moves $deletedEntity entries out of the rows.
func splitDeleted(col *collection) *Page {
	p := &Page{NextLink: col.NextLink, DeltaLink: col.DeltaLink}
	rows := col.Value[:0]
	for _, r := range col.Value {
		if r == nil {
			continue
		}
		if ctx, _ := r["@odata.context"].(string); strings.HasSuffix(ctx, "$deletedEntity") {
			if id := r.GUID("id"); id != "" {
				p.Deleted = append(p.Deleted, id)
			}
			continue
		}
		rows = append(rows, r)
	}
	p.Rows = rows
	return p
}

// escapeQuery percent-encodes a query option value; spaces become %20 (a '+' would be
// taken literally by OData).
func escapeQuery(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}
