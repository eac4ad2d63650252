package connector

import (
	"context"
	"slices"

	"github.com/msisync/msisync/connectors/dynamics/mapping"
	"github.com/msisync/msisync/connectors/dynamics/state"
)

// A delete the orchestrator refuses with 1022 ("Object in use": a company that leads or
// opportunities still name, a lead that still has opportunity roles) waits: the connector
// keeps it in its state and tries it again every cycle, after that cycle's upserts and the
// deletes of the records under it, until it succeeds, the record is gone, or the row comes
// back in Dynamics. While it waits it has a finding that says what still references it.

// waitingObjects are the object types whose deletes can wait.
var waitingObjects = []mapping.Object{mapping.Company, mapping.Lead, mapping.Opportunity}

// waitingSet names where the connector keeps the waiting deletes of an object type.
func waitingSet(o mapping.Object) string { return "delete-waiting:" + o.String() }

// loadWaiting reads the waiting deletes into the plan.
func (c *Connector) loadWaiting(ctx context.Context, p *plan) error {
	for _, o := range waitingObjects {
		recs, err := c.state.All(ctx, waitingSet(o))
		if err != nil {
			return err
		}
		for id, r := range recs {
			p.waiting[o][id] = r.Facts
		}
	}
	return nil
}

// cameBack forgets the waiting delete of a row that exists in Dynamics again.
func (p *plan) cameBack(o mapping.Object, id string) {
	if _, ok := p.waiting[o][id]; !ok {
		return
	}
	delete(p.waiting[o], id)
	p.commit.Delete = append(p.commit.Delete, state.Key{EntitySet: waitingSet(o), CRMID: id})
	p.resolved = append(p.resolved, findingKey{object: o, id: id, kind: mapping.Other})
}

// withWaiting returns the cycle's deletes of o followed by its waiting deletes.
func (p *plan) withWaiting(o mapping.Object) []string {
	out := slices.Clone(p.deletes[o])
	for id := range p.waiting[o] {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	slices.Sort(out[len(p.deletes[o]):])
	return out
}

// settleWaiting records what became of the deletes of o tried this cycle: those refused
// as in use wait (with a finding, reported when new or changed), the others no longer do.
func (p *plan) settleWaiting(o mapping.Object, tried []string, inUse map[string]string, rep *SyncReport) {
	for _, id := range tried {
		why, refused := inUse[id]
		before, waited := p.waiting[o][id]
		switch {
		case refused:
			rep.object(o).DeletesWaiting++
			if waited && before == why {
				continue
			}
			p.commit.Put = append(p.commit.Put, state.Record{EntitySet: waitingSet(o), CRMID: id, Facts: why})
			p.findings = append(p.findings, mapping.Finding{Object: o, ExternalID: id, Kind: mapping.Other,
				Message: "the " + o.String() + " '" + id + "' was deleted in Dynamics, but msisync cannot delete it yet: " + why +
					"; the connector tries again every cycle, after the records that name it are updated or deleted"})
		case waited:
			p.commit.Delete = append(p.commit.Delete, state.Key{EntitySet: waitingSet(o), CRMID: id})
			p.resolved = append(p.resolved, findingKey{object: o, id: id, kind: mapping.Other})
		}
	}
}
