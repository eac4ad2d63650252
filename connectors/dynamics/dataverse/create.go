package dataverse

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Create sends POST <entitySet> with cols (lookups as "nav@odata.bind") and returns the new
// row's id, read from the OData-EntityId header. A create is not idempotent, so it is sent
// once (a throttled answer still waits its Retry-After); callers find their row before they
// create it.
func (c *Client) Create(ctx context.Context, entitySet string, cols map[string]any) (string, error) {
	if entitySet == "" || strings.ContainsAny(entitySet, "/?#() ") {
		return "", fmt.Errorf("dataverse: create: entity set %q must be an entity-set name such as \"leads\"", entitySet)
	}
	body, err := json.Marshal(cols)
	if err != nil {
		return "", fmt.Errorf("dataverse: create %s: encoding columns: %w", entitySet, err)
	}
	var id string
	cl := call{method: http.MethodPost, url: c.base + entitySet, body: body, header: http.Header{
		"Content-Type": {"application/json"},
		"Prefer":       {c.prefer},
	}}
	err = c.do(ctx, cl, 1, func(resp *http.Response) error {
		u := resp.Header.Get("OData-EntityId")
		i, j := strings.LastIndex(u, "("), strings.LastIndex(u, ")")
		if i < 0 || j < i {
			return fmt.Errorf("dataverse: create %s: the answer names no OData-EntityId", entitySet)
		}
		id = NormalizeGUID(u[i+1 : j])
		return nil
	})
	if err != nil {
		return "", err
	}
	return id, nil
}
