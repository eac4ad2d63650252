package connector

import (
	"context"

	"github.com/msisync/msisync/connectors/dynamics/dataverse"
	"github.com/msisync/msisync/connectors/dynamics/mapping"
)

// each calls fn with every row the query on set returns, following the pages. It returns
// Dataverse's error as it is, for the caller to say what it was reading.
func (c *Connector) each(ctx context.Context, set string, q dataverse.Query, fn func(dataverse.Row)) error {
	page, err := c.dv.Query(ctx, set, q)
	for {
		if err != nil {
			return err
		}
		for _, row := range page.Rows {
			fn(row)
		}
		if page.NextLink == "" {
			return nil
		}
		page, err = c.dv.Follow(ctx, page.NextLink)
	}
}

// all reads every row of a small query.
func (c *Connector) all(ctx context.Context, set string, cols []string, filter string) ([]dataverse.Row, error) {
	var rows []dataverse.Row
	err := c.each(ctx, set, dataverse.Query{Select: cols, Filter: filter}, func(row dataverse.Row) { rows = append(rows, row) })
	return rows, err
}

// addMissing returns a function that adds to ch the rows it is given that ch does not have
// yet (by id), for reading more rows of ch's set into a cycle.
func (ch *changes) addMissing() func(dataverse.Row) {
	idCol := mapping.IDColumn[ch.set]
	seen := make(map[string]bool, len(ch.rows))
	for _, row := range ch.rows {
		seen[row.GUID(idCol)] = true
	}
	return func(row dataverse.Row) {
		if id := row.GUID(idCol); id != "" && !seen[id] {
			seen[id] = true
			ch.rows = append(ch.rows, row)
		}
	}
}
