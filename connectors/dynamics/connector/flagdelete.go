package connector

import (
	"github.com/msisync/msisync/connectors/dynamics/mapping"
	"github.com/msisync/msisync/connectors/dynamics/state"
)

// Delete modes (MSISYNC_DELETE_MODE).
const (
	// DeleteHard deletes from msisync what Dynamics deleted (the default).
	DeleteHard = "hard"
	// DeleteFlag keeps in msisync an account, contact, lead or opportunity that Dynamics
	// deleted, flagged as deleted in the CRM, as Marketo's native sync does: the connector
	// reports a CRM_FINDING_KIND_DELETED_IN_CRM finding instead of deleting the record. The
	// finding is the stored flag: the orchestrator leaves a flagged person out of Best Bets
	// and the writeback feed, and diagnostics show it. When Dynamics restores the record
	// (it reappears with its id), it is sent again and the finding is resolved.
	DeleteFlag = "flag"
)

// deletedInCRM is the finding kind of a record flagged deleted in the CRM.
const deletedInCRM mapping.Kind = 101

// deletedFingerprint is stored for a row flagged deleted: whatever it maps to when it comes
// back differs, so it is sent again.
const deletedFingerprint = "crm:deleted"

// entityNames names a row of each entity set in messages.
var entityNames = map[string]string{mapping.Accounts: "account", mapping.Contacts: "contact", mapping.Leads: "lead", mapping.Opportunities: "opportunity"}

// flagDelete plans, in flag mode, the delete of a row msisync has as a flag instead: it
// reports true when it did (and nothing is to be deleted), false when the row is to be
// deleted as usual (hard mode, a stakeholder connection, a row never sent).
func (c *Connector) flagDelete(p *plan, set, id string, before state.Record, known bool) bool {
	what, ok := entityNames[set]
	if c.cfg.DeleteMode != DeleteFlag || !ok || !known || before.Fingerprint == outFingerprint {
		return false
	}
	if before.Fingerprint == deletedFingerprint {
		return true // flagged already (a full read sees the delete again)
	}
	old := parseFacts(before.Facts)
	object := mapping.ObjectOf(set)
	for _, k := range old.Findings {
		p.resolved = append(p.resolved, findingKey{object: object, id: id, kind: k})
	}
	p.findings = append(p.findings, mapping.Finding{Object: object, ExternalID: id, Kind: deletedInCRM,
		Message: what + " '" + id + "' was deleted in Dynamics: msisync keeps it flagged as deleted (MSISYNC_DELETE_MODE=flag), out of Best Bets and the writeback feed; it comes back if Dynamics restores it"})
	now := facts{Role: old.Role, Findings: []mapping.Kind{deletedInCRM}}
	p.commit.Put = append(p.commit.Put, state.Record{EntitySet: set, CRMID: id, Fingerprint: deletedFingerprint, Facts: now.String()})
	return true
}
