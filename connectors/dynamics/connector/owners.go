package connector

import (
	"context"
	"fmt"

	"github.com/msisync/msisync/connectors/dynamics/dataverse"
	"github.com/msisync/msisync/connectors/dynamics/mapping"
	"github.com/msisync/msisync/connectors/dynamics/state"
)

// teamsSet is the Dataverse entity set of teams, read whole each cycle (a small table) for
// their administrators; the connector remembers each team's administrator under this name.
const teamsSet = "teams"

// teams reads every team's administrator into the plan's directory. A team whose
// administrator changed since the last cycle has its records mapped again (as a user whose
// status changed does), since an account or opportunity it owns is shown in MSI with its
// administrator.
func (c *Connector) teams(ctx context.Context, p *plan) error {
	known, err := c.state.All(ctx, teamsSet)
	if err != nil {
		return err
	}
	err = c.each(ctx, teamsSet, dataverse.Query{Select: []string{"teamid", "_administratorid_value"}}, func(row dataverse.Row) {
		id, admin := row.GUID("teamid"), row.GUID("_administratorid_value")
		if id == "" {
			return
		}
		p.directory.admins[id] = admin
		before, ok := known[id]
		if ok && before.Fingerprint == admin {
			return
		}
		if ok {
			p.switched = append(p.switched, id)
		}
		p.commit.Put = append(p.commit.Put, state.Record{EntitySet: teamsSet, CRMID: id, Fingerprint: admin})
	})
	if err != nil {
		return fmt.Errorf("reading teams: %w", err)
	}
	return nil
}

// fallbackCursor remembers the fallback owner the records were last mapped with.
const fallbackCursor = "fallback-owner"

// fallbackChanged reports whether MSISYNC_DYNAMICS_FALLBACK_OWNER changed since the last
// cycle; the cycle then reads accounts and opportunities in full, so that those held or
// shown with the old fallback are mapped again (only those whose mapping changed are sent).
func (c *Connector) fallbackChanged(ctx context.Context, p *plan) (bool, error) {
	before, err := c.state.Cursor(ctx, fallbackCursor)
	if err != nil {
		return false, err
	}
	if before == p.directory.fallback {
		return false, nil
	}
	p.commit.Cursors[fallbackCursor] = p.directory.fallback
	c.log.InfoContext(ctx, "MSISYNC_DYNAMICS_FALLBACK_OWNER changed: reading accounts and opportunities in full", "from", before, "to", p.directory.fallback)
	return true, nil
}

// needsOwner reports whether the records of an entity set must have an owner in MSI.
func needsOwner(set string) bool { return set == mapping.Accounts || set == mapping.Opportunities }
