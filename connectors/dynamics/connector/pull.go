package connector

import (
	"context"
	"errors"
	"fmt"

	"github.com/msisync/msisync/connectors/dynamics/dataverse"
	"github.com/msisync/msisync/connectors/dynamics/mapping"
)

// changes is what one entity set changed since its saved delta link.
type changes struct {
	// set is the entity set.
	set string
	// from is the delta link the pull started from ("" for an initial or full load).
	from string
	// full is true when the whole set was read (first load, or the delta token expired):
	// rows the connector remembers but did not see are then deletes.
	full bool
	// rows are the new or changed rows, each id once (the last version seen).
	rows []dataverse.Row
	// deleted are the ids of deleted rows.
	deleted []string
	// deltaLink is where the next pull starts.
	deltaLink string
	// out are the rows out of the sync scope, with the reason (see scope.go).
	out map[string]string
}

// deltaCursor names the saved delta link of an entity set.
func deltaCursor(set string) string { return "delta:" + set }

// pull reads one entity set's changes: from its saved delta link (from) when there is one,
// or in full (with change tracking on, so the last page yields the first delta link) when
// from is empty. An expired delta token also means a full read.
func (c *Connector) pull(ctx context.Context, set, from string, progress func(rows int)) (*changes, error) {
	ch := &changes{set: set, from: from, full: from == ""}
	var page *dataverse.Page
	var err error
	if from != "" {
		page, err = c.dv.Follow(ctx, from)
		if errors.Is(err, dataverse.ErrDeltaExpired) {
			c.log.WarnContext(ctx, "Dataverse delta token expired: reading the whole entity set again", "entity_set", set)
			ch.full, err = true, nil
			page = nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading changes of %s: %w", set, err)
		}
	}
	if page == nil {
		page, err = c.dv.Query(ctx, set, dataverse.Query{Select: c.columns(set), TrackChanges: true})
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", set, err)
		}
	}
	idCol := mapping.IDColumn[set]
	at := map[string]int{}
	for {
		for _, row := range page.Rows {
			id := row.GUID(idCol)
			if id == "" {
				continue
			}
			if i, ok := at[id]; ok {
				ch.rows[i] = row // a row changed during a paged load: keep its last version
				continue
			}
			at[id] = len(ch.rows)
			ch.rows = append(ch.rows, row)
		}
		ch.deleted = append(ch.deleted, page.Deleted...) // canonical already (dataverse.NormalizeGUID)
		if progress != nil {
			progress(len(page.Rows) + len(page.Deleted))
		}
		if page.NextLink == "" {
			break
		}
		if page, err = c.dv.Follow(ctx, page.NextLink); err != nil {
			return nil, fmt.Errorf("reading %s: %w", set, err)
		}
	}
	if page.DeltaLink == "" {
		return nil, fmt.Errorf("reading %s: Dataverse returned no delta link: turn on Track changes for the table (EntityMetadata.ChangeTrackingEnabled)", set)
	}
	ch.deltaLink = page.DeltaLink
	return ch, nil
}

// owned adds to ch the rows of its entity set owned by the given users, read in full (a
// filtered query, without change tracking): after a user is enabled or disabled, the records
// they own are mapped again, with their owner or with a finding.
func (c *Connector) owned(ctx context.Context, ch *changes, users []string) error {
	if len(users) == 0 || ch.set == mapping.SystemUsers || ch.set == mapping.Connections {
		return nil
	}
	add := ch.addMissing()
	for _, user := range users {
		if err := c.each(ctx, ch.set, dataverse.Query{Select: c.columns(ch.set), Filter: "_ownerid_value eq " + user}, add); err != nil {
			return fmt.Errorf("reading the %s owned by user %s: %w", ch.set, user, err)
		}
	}
	return nil
}
