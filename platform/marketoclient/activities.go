package marketoclient

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ActivityType is one of the instance's activity types (GET /rest/v1/activities/types.json):
// the poller of MSI changes looks up Interesting Moment and Change Score here by name, since
// ids may differ between instances.
type ActivityType struct {
	ID          int    `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// ActivityTypes lists the instance's activity types. A read.
func (c *Client) ActivityTypes(ctx context.Context) ([]ActivityType, error) {
	var out []ActivityType
	_, err := c.call(ctx, http.MethodGet, "/rest/v1/activities/types.json", nil, &out)
	return out, err
}

// PagingToken returns a token for the activities recorded since since
// (GET /rest/v1/activities/pagingtoken.json). A read.
func (c *Client) PagingToken(ctx context.Context, since time.Time) (string, error) {
	env, err := c.call(ctx, http.MethodGet, "/rest/v1/activities/pagingtoken.json?sinceDatetime="+url.QueryEscape(since.Format(time.RFC3339)), nil, nil)
	if err != nil {
		return "", err
	}
	return env.NextPageToken, nil
}

// Activity is one lead activity.
type Activity struct {
	ID                    int64  `json:"id"`
	MarketoGUID           string `json:"marketoGUID"`
	LeadID                int64  `json:"leadId"`
	ActivityDate          string `json:"activityDate"`
	ActivityTypeID        int    `json:"activityTypeId"`
	PrimaryAttributeValue string `json:"primaryAttributeValue"`
	Attributes            []struct {
		Name  string `json:"name"`
		Value any    `json:"value"`
	} `json:"attributes"`
}

// ActivityPage is one page of activities with the token to continue from.
type ActivityPage struct {
	Activities    []Activity
	NextPageToken string
	MoreResult    bool
}

// Activities returns the activities of typeIDs (1 to 10) after token, up to 300. A read:
// the same token gives the same page, so a poller stores the next token only once it has
// handled the page.
func (c *Client) Activities(ctx context.Context, token string, typeIDs []int) (ActivityPage, error) {
	if len(typeIDs) == 0 || len(typeIDs) > 10 {
		return ActivityPage{}, fmt.Errorf("activities: %d activity types; Marketo takes 1 to 10", len(typeIDs))
	}
	ids := make([]string, len(typeIDs))
	for i, id := range typeIDs {
		ids[i] = strconv.Itoa(id)
	}
	q := url.Values{"nextPageToken": {token}, "activityTypeIds": {strings.Join(ids, ",")}, "batchSize": {strconv.Itoa(MaxBatch)}}
	var out []Activity
	env, err := c.call(ctx, http.MethodGet, "/rest/v1/activities.json?"+q.Encode(), nil, &out)
	if err != nil {
		return ActivityPage{}, err
	}
	return ActivityPage{Activities: out, NextPageToken: env.NextPageToken, MoreResult: env.MoreResult}, nil
}
