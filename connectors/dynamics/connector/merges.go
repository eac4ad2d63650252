package connector

import (
	"context"

	"github.com/msisync/msisync/connectors/dynamics/mapping"
	"github.com/msisync/msisync/connectors/dynamics/state"
	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
)

// Dynamics marks a merged record's subordinate (Merge action) with merged = true and
// masterid naming the master; a contact created by qualifying a lead (QualifyLead) names the
// lead in originatingleadid.
const (
	mergedColumn      = "merged"
	masterColumn      = "_masterid_value"
	originatingColumn = "_originatingleadid_value"
)

// mergeColumns are the columns read besides the mapped ones to notice merges and
// qualifications, by entity set.
var mergeColumns = map[string][]string{
	mapping.Accounts: {mergedColumn, masterColumn},
	mapping.Contacts: {mergedColumn, masterColumn, originatingColumn},
	mapping.Leads:    {mergedColumn, masterColumn},
}

// mergeObjects are the orchestrator's object types of the merged entity sets.
var mergeObjects = map[string]orchestratorv1.SyncObjectType{
	mapping.Accounts: orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_COMPANY,
	mapping.Contacts: orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_LEAD,
	mapping.Leads:    orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_LEAD,
}

// withMergeColumns adds the merge columns of set to cols.
func withMergeColumns(set string, cols []string) []string {
	return append(cols, mergeColumns[set]...)
}

// mergePlan is a cycle's merges (part of plan).
type mergePlan struct {
	// merges are the merges and qualifications to send before the records.
	merges []*orchestratorv1.RecordMerge
	// gone are the rows they took away, by entity set: id → the master's id.
	gone map[string]map[string]string
	// late are the merges the orchestrator skipped before the records were applied (a
	// company whose master arrives in the same cycle): sent again once they are.
	late []*orchestratorv1.RecordMerge
}

// planMerges finds the merges and qualifications among ch's rows: a subordinate (merged,
// with a master) or a contact qualified from a lead the connector synced. Each becomes a
// merge for the orchestrator, sent before the set's records (see sendMerges); the row that
// went away is remembered as merged (p.gone now, its state's facts from then on), so that
// planSet never sends it again. ids are the rows' ids and known their stored records, as
// planSet read them.
func (c *Connector) planMerges(ctx context.Context, p *plan, ch *changes, ids []string, known map[string]state.Record) error {
	object, ok := mergeObjects[ch.set]
	if !ok || len(ch.rows) == 0 {
		return nil
	}
	var leads []string
	for _, row := range ch.rows {
		if l := row.GUID(originatingColumn); l != "" && ch.set == mapping.Contacts {
			leads = append(leads, l)
		}
	}
	knownLeads, err := c.state.Records(ctx, mapping.Leads, leads)
	if err != nil {
		return err
	}
	for i, row := range ch.rows {
		id := ids[i]
		if master := parseFacts(known[id].Facts).MergedInto; master != "" {
			p.markGone(ch.set, id, master) // merged before: never sent again
			continue
		}
		if p.gone[ch.set][id] != "" {
			continue // qualified this cycle
		}
		if merged, _ := row.Bool(mergedColumn); merged {
			if master := row.GUID(masterColumn); master != "" {
				p.addMerge(ch.set, orchestratorv1.MergeKind_MERGE_KIND_MERGE, object, id, master)
				continue
			}
		}
		if lead := row.GUID(originatingColumn); lead != "" && ch.set == mapping.Contacts {
			if r, ok := knownLeads[lead]; ok && parseFacts(r.Facts).MergedInto == "" {
				p.addMerge(mapping.Leads, orchestratorv1.MergeKind_MERGE_KIND_QUALIFY, object, lead, id)
			}
		}
	}
	return nil
}

// markGone remembers that set's row sub went into master: planSet skips it.
func (p *plan) markGone(set, sub, master string) {
	if p.gone == nil {
		p.gone = map[string]map[string]string{}
	}
	if p.gone[set] == nil {
		p.gone[set] = map[string]string{}
	}
	p.gone[set][sub] = master
}

// addMerge plans one merge of set's row sub into master, and remembers that sub went away.
func (p *plan) addMerge(set string, kind orchestratorv1.MergeKind, object orchestratorv1.SyncObjectType, sub, master string) {
	p.markGone(set, sub, master)
	p.merges = append(p.merges, &orchestratorv1.RecordMerge{ObjectType: object, Kind: kind, SubordinateExternalId: sub, MasterExternalId: master})
	p.commit.Put = append(p.commit.Put, state.Record{EntitySet: set, CRMID: sub, Fingerprint: "merged", Facts: facts{MergedInto: master}.String()})
}

// sendMerges has the orchestrator apply the merges planned so far, 300 per call, before the
// records that follow them are sent. A merge the orchestrator skipped (a company whose
// master is not synced yet) waits for sendLateMerges. A cycle repeated after a crash sends
// its merges again, which the orchestrator applies once.
func (c *Connector) sendMerges(ctx context.Context, p *plan, rep *SyncReport) error {
	skipped, err := c.merge(ctx, p.merges, rep)
	p.merges, p.late = nil, append(p.late, skipped...)
	return err
}

// sendLateMerges sends the skipped merges again once the cycle's records are applied (the
// master may have arrived with them). One still skipped is logged: msisync keeps its
// subordinate as it is.
func (c *Connector) sendLateMerges(ctx context.Context, p *plan, rep *SyncReport) error {
	skipped, err := c.merge(ctx, p.late, rep)
	if err != nil {
		return err
	}
	for _, m := range skipped {
		c.log.WarnContext(ctx, "a Dynamics merge was not applied: msisync keeps the subordinate as it is and no longer updates it; apply it by hand (POST /v1/merges) once the master is synced",
			"subordinate", m.GetSubordinateExternalId(), "master", m.GetMasterExternalId())
	}
	p.late = nil
	return nil
}

// merge sends merges, 300 per call, and returns those the orchestrator skipped.
func (c *Connector) merge(ctx context.Context, merges []*orchestratorv1.RecordMerge, rep *SyncReport) ([]*orchestratorv1.RecordMerge, error) {
	var skipped []*orchestratorv1.RecordMerge
	for start := 0; start < len(merges); start += batch {
		part := merges[start:min(start+batch, len(merges))]
		resp, err := call(ctx, c.orch, "merging records", func(ctx context.Context) (*orchestratorv1.MergeRecordsResponse, error) {
			return c.orch.runs.MergeRecords(ctx, &orchestratorv1.MergeRecordsRequest{Merges: part})
		})
		if err != nil {
			return nil, err
		}
		for i, r := range resp.GetResults() {
			m := part[i]
			if r.GetOutcome() == orchestratorv1.MergeOutcome_MERGE_OUTCOME_SKIPPED {
				c.log.InfoContext(ctx, "a Dynamics merge was skipped", "subordinate", m.GetSubordinateExternalId(), "master", m.GetMasterExternalId(), "reason", r.GetReason())
				skipped = append(skipped, m)
				continue
			}
			rep.Merges++
			c.log.InfoContext(ctx, "Dynamics merge applied", "kind", m.GetKind().String(), "subordinate", m.GetSubordinateExternalId(), "master", m.GetMasterExternalId(), "outcome", r.GetOutcome().String())
		}
	}
	return skipped, nil
}
