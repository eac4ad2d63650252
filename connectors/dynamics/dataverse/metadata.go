package dataverse

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Attribute is one column of a table, from EntityDefinitions(LogicalName='…')/Attributes.
type Attribute struct {
	// LogicalName is the column's logical name; a lookup column is named without the
	// _…_value wrapping its value has in queries (parentcustomerid, not
	// _parentcustomerid_value).
	LogicalName string `json:"LogicalName"`
	// AttributeType is the column's type, e.g. String, Picklist, Lookup, Boolean.
	AttributeType string `json:"AttributeType"`
}

// Attributes reads the columns of the table logicalName (e.g. "account") from the metadata
// API, keyed by lowercase logical name.
func (c *Client) Attributes(ctx context.Context, logicalName string) (map[string]Attribute, error) {
	if logicalName == "" || strings.ContainsAny(logicalName, "'/?#") {
		return nil, fmt.Errorf("dataverse: Attributes: %q is not a table's logical name", logicalName)
	}
	u := c.base + "EntityDefinitions(LogicalName='" + url.PathEscape(logicalName) + "')/Attributes?$select=LogicalName,AttributeType"
	var body struct {
		Value []Attribute `json:"value"`
	}
	cl := call{method: http.MethodGet, url: u, header: http.Header{"Prefer": {c.prefer}}}
	err := c.do(ctx, cl, c.cfg.MaxAttempts, func(resp *http.Response) error {
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			return fmt.Errorf("dataverse: decoding the attributes of %s: %w", logicalName, err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the columns of the Dataverse table %s: %w", logicalName, err)
	}
	out := make(map[string]Attribute, len(body.Value))
	for _, a := range body.Value {
		out[strings.ToLower(a.LogicalName)] = a
	}
	return out, nil
}

// AttributeName is the logical name of the column a query names: a lookup's
// _name_value is the attribute name.
func AttributeName(column string) string {
	c := strings.ToLower(strings.TrimSpace(column))
	if IsLookupColumn(c) {
		return c[1 : len(c)-len("_value")]
	}
	return c
}

// IsLookupColumn reports whether column, as a query names it, is a lookup's value
// (_name_value).
func IsLookupColumn(column string) bool {
	return strings.HasPrefix(column, "_") && strings.HasSuffix(column, "_value") && len(column) > len("__value")
}
