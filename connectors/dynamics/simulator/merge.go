package simulator

import (
	"fmt"
	"strings"
)

// Qualify does what Dataverse's QualifyLead action does with CreateContact: it creates a
// contact from the lead (name, email, job title, phone, city, country, owner, the lead's
// parent account as the contact's company) whose originatingleadid names the lead, links
// the lead to it (parentcontactid) and marks the lead Qualified (statecode 1, statuscode 3).
// It returns the new contact's id.
func (s *Simulator) Qualify(leadID string) (string, error) {
	lead, ok := s.Get("leads", leadID)
	if !ok {
		return "", fmt.Errorf("simulator: leads(%s): %w", leadID, ErrNotFound)
	}
	if v := lead["statecode"]; v != nil && fmt.Sprint(v) != "0" {
		return "", fmt.Errorf("simulator: lead %s is not open (statecode %v): only an open lead can be qualified", leadID, v)
	}
	leadID = strings.ToLower(leadID)
	contact := map[string]any{"_originatingleadid_value": leadID, "statecode": 0}
	for _, col := range []string{"firstname", "lastname", "fullname", "emailaddress1", "jobtitle", "telephone1", "address1_city", "address1_country"} {
		if v, ok := lead[col]; ok && v != nil {
			contact[col] = v
		}
	}
	if v, ok := lead["_ownerid_value"]; ok && v != nil {
		contact["_ownerid_value"] = v
		contact["_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"] = s.LookupTarget("leads", leadID, "_ownerid_value")
	}
	if v, ok := lead["_parentaccountid_value"]; ok && v != nil {
		contact["_parentcustomerid_value"] = v
		contact["_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"] = "account"
	}
	id, err := s.Upsert("contacts", contact)
	if err != nil {
		return "", err
	}
	if err := s.Update("leads", leadID, map[string]any{"statecode": 1, "statuscode": 3, "_parentcontactid_value": id}); err != nil {
		return "", err
	}
	return id, nil
}

// mergeable are the entity sets Dataverse's Merge action works on.
var mergeable = map[string]bool{"accounts": true, "contacts": true, "leads": true}

// Merge does what Dataverse's Merge action does: the subordinate's child records (every
// lookup of any table that points at it: contacts' and opportunities' customer, leads'
// parent account or contact, connections) are re-parented to the master, and the subordinate
// is deactivated (statecode 1) with merged = true and masterid naming the master. Merging a
// record into itself, or one already merged, is refused.
func (s *Simulator) Merge(set, masterID, subordinateID string) error {
	if !mergeable[set] {
		return fmt.Errorf("simulator: %s cannot be merged (only accounts, contacts and leads)", set)
	}
	masterID, subordinateID = strings.ToLower(masterID), strings.ToLower(subordinateID)
	if masterID == subordinateID {
		return fmt.Errorf("simulator: a record cannot be merged into itself")
	}
	if _, ok := s.Get(set, masterID); !ok {
		return fmt.Errorf("simulator: %s(%s): %w", set, masterID, ErrNotFound)
	}
	sub, ok := s.Get(set, subordinateID)
	if !ok {
		return fmt.Errorf("simulator: %s(%s): %w", set, subordinateID, ErrNotFound)
	}
	if m, _ := sub["merged"].(bool); m {
		return fmt.Errorf("simulator: %s(%s) is already merged", set, subordinateID)
	}
	logical := defsBySet[set].logical
	for _, def := range tableDefs {
		for _, id := range s.IDs(def.set) {
			row, _ := s.Get(def.set, id)
			move := map[string]any{}
			for _, col := range def.cols {
				if col.typ != tLookup || col.name == "_masterid_value" || col.name == "_originatingleadid_value" {
					continue
				}
				if v, _ := row[col.name].(string); v == subordinateID && s.LookupTarget(def.set, id, col.name) == logical {
					move[col.name] = masterID
					move[col.name+"@Microsoft.Dynamics.CRM.lookuplogicalname"] = logical
				}
			}
			if len(move) > 0 {
				if err := s.Update(def.set, id, move); err != nil {
					return err
				}
			}
		}
	}
	return s.Update(set, subordinateID, map[string]any{"statecode": 1, "merged": true, "_masterid_value": masterID})
}
