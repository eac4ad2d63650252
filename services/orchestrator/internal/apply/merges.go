package apply

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	accountv1 "github.com/msisync/msisync/gen/msisync/account/v1"
	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	opportunityv1 "github.com/msisync/msisync/gen/msisync/opportunity/v1"
	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
	scoringv1 "github.com/msisync/msisync/gen/msisync/scoring/v1"
	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/services/orchestrator/internal/links"
)

// MergeResult is what one merge did.
type MergeResult int

// The merge results.
const (
	// Merged: the subordinate's records moved to the master and the subordinate is gone.
	Merged MergeResult = iota + 1
	// Rekeyed: the master did not exist; the subordinate person took its CRM id.
	Rekeyed
	// NothingToMove: the subordinate is not in msisync (merged before, or never synced).
	NothingToMove
	// MergeSkipped: nothing changed, for the reason given.
	MergeSkipped
)

// MergeOutcome is one merge's result, the master's msisync id and why it was skipped.
type MergeOutcome struct {
	Result   MergeResult
	MasterID int32
	Reason   string
}

// maxMergeRounds bounds the pages of children one merge moves (300 each), so that a
// service that never stops answering them cannot loop for ever.
const maxMergeRounds = 1000

// MergePerson merges the person (lead or contact) with the CRM id sub into the one with the
// CRM id master: the subordinate's opportunity roles and scoring (score changes,
// interesting moments, derived values) move to the master and the subordinate is deleted.
// When no person has the master's id, the subordinate is re-keyed to it instead, keeping its
// msisync id and everything attached to it (a qualified lead becoming its contact). Each
// step is idempotent, so a merge repeated after a failure half-way finishes it.
func (a *Applier) MergePerson(ctx context.Context, sub, master string) (MergeOutcome, error) {
	// Both persons are locked under both their names (a role may name a lead by its
	// msisync id), so no write can name the subordinate while its roles move and it goes;
	// they are looked up again under the lock.
	s, m, err := a.mergedPersons(ctx, sub, master)
	if err != nil {
		return MergeOutcome{}, err
	}
	var locks lockSet
	locks.addLead(s.GetId(), sub)
	locks.addLead(m.GetId(), master)
	unlock, err := a.lockDeleted(ctx, locks)
	if err != nil {
		return MergeOutcome{}, err
	}
	defer unlock()
	if s, m, err = a.mergedPersons(ctx, sub, master); err != nil {
		return MergeOutcome{}, err
	}
	switch {
	case s == nil:
		return MergeOutcome{Result: NothingToMove, MasterID: m.GetId()}, nil
	case m == nil:
		return a.rekeyPerson(ctx, s, master)
	}
	if err := a.moveRoles(ctx, s.GetId(), m.GetId()); err != nil {
		return MergeOutcome{}, err
	}
	if a.Scoring != nil {
		res, err := a.Scoring.MergeLeads(ctx, &scoringv1.MergeLeadsRequest{Merges: []*scoringv1.LeadMerge{{SubordinateLeadId: s.GetId(), MasterLeadId: m.GetId()}}})
		if err != nil {
			return MergeOutcome{}, errorf("merging the persons' scoring", err)
		}
		if r := res.GetResults(); len(r) == 1 && r[0].GetStatus() == commonv1.RecordStatus_RECORD_STATUS_SKIPPED {
			return MergeOutcome{Result: MergeSkipped, MasterID: m.GetId(), Reason: reasons(r[0])}, nil
		}
	}
	del, err := a.Leads.DeleteLeads(ctx, &personv1.DeleteLeadsRequest{Keys: []*personv1.LeadKey{{Key: &personv1.LeadKey_Id{Id: s.GetId()}}}})
	if err != nil {
		return MergeOutcome{}, errorf("deleting the merged person", err)
	}
	if r := del.GetResults(); len(r) == 1 && r[0].GetStatus() == commonv1.RecordStatus_RECORD_STATUS_SKIPPED {
		return MergeOutcome{Result: MergeSkipped, MasterID: m.GetId(), Reason: reasons(r[0])}, nil
	}
	return MergeOutcome{Result: Merged, MasterID: m.GetId()}, nil
}

// mergedPersons looks up the persons with the CRM ids sub and master (nil when missing).
func (a *Applier) mergedPersons(ctx context.Context, sub, master string) (s, m *personv1.Lead, err error) {
	got, err := a.Leads.BatchGetLeads(ctx, &personv1.BatchGetLeadsRequest{
		Keys:       []*personv1.LeadKey{{Key: &personv1.LeadKey_ExternalPersonId{ExternalPersonId: sub}}, {Key: &personv1.LeadKey_ExternalPersonId{ExternalPersonId: master}}},
		ReadFields: linkFields,
	})
	if err != nil {
		return nil, nil, errorf("looking up the merged persons", err)
	}
	for _, l := range got.GetLeads() {
		switch extid.Key(l.GetExternalPersonId()) {
		case extid.Key(sub):
			s = l
		case extid.Key(master):
			m = l
		}
	}
	return s, m, nil
}

// rekeyPerson gives the person s the CRM id master and tells the scoring service.
func (a *Applier) rekeyPerson(ctx context.Context, s *personv1.Lead, master string) (MergeOutcome, error) {
	res, err := a.Leads.SyncLeads(ctx, &personv1.SyncLeadsRequest{
		Action: commonv1.SyncAction_SYNC_ACTION_UPDATE_ONLY, LookupField: personv1.LeadLookupField_LEAD_LOOKUP_FIELD_ID,
		Input: []*personv1.LeadInput{{Id: proto.Int32(s.GetId()), ExternalPersonId: proto.String(master)}},
	})
	if err != nil {
		return MergeOutcome{}, errorf("re-keying the person", err)
	}
	r := res.GetResults()
	if len(r) != 1 || r[0].GetStatus() != commonv1.RecordStatus_RECORD_STATUS_UPDATED {
		why := "the person service did not update it"
		if len(r) == 1 {
			why = reasons(r[0])
		}
		return MergeOutcome{Result: MergeSkipped, Reason: why}, nil
	}
	if err := a.linkLeads(ctx, []Outcome{{Result: r[0]}}); err != nil {
		return MergeOutcome{}, err
	}
	return MergeOutcome{Result: Rekeyed, MasterID: s.GetId()}, nil
}

// moveRoles gives the master every opportunity role the subordinate has (created under the
// master, then deleted from the subordinate), a page at a time.
func (a *Applier) moveRoles(ctx context.Context, sub, master int32) error {
	for range maxMergeRounds {
		page, err := a.Roles.ListOpportunityRoles(ctx, &opportunityv1.ListOpportunityRolesRequest{
			FilterField: opportunityv1.OpportunityRoleField_OPPORTUNITY_ROLE_FIELD_LEAD_ID, FilterValues: []string{strconv.Itoa(int(sub))}, PageSize: 300,
		})
		if err != nil {
			return errorf("listing the merged person's opportunity roles", err)
		}
		roles := page.GetOpportunityRoles()
		if len(roles) == 0 {
			return nil
		}
		in := make([]*opportunityv1.OpportunityRoleInput, len(roles))
		keys := make([]*opportunityv1.OpportunityRoleKey, len(roles))
		for i, r := range roles {
			in[i] = &opportunityv1.OpportunityRoleInput{ExternalOpportunityId: proto.String(r.GetExternalOpportunityId()), LeadId: proto.Int32(master), Role: proto.String(r.GetRole()), ExternalCreatedDate: r.GetExternalCreatedDate()}
			if r.GetIsPrimary() {
				in[i].IsPrimary = proto.Bool(true)
			}
			keys[i] = &opportunityv1.OpportunityRoleKey{Key: &opportunityv1.OpportunityRoleKey_MarketoGuid{MarketoGuid: r.GetMarketoGuid()}}
		}
		created, err := a.Roles.SyncOpportunityRoles(ctx, &opportunityv1.SyncOpportunityRolesRequest{Input: in})
		if err != nil {
			return errorf("moving opportunity roles to the master", err)
		}
		for _, r := range created.GetResults() {
			if r.GetStatus() == commonv1.RecordStatus_RECORD_STATUS_SKIPPED {
				return fmt.Errorf("moving an opportunity role to lead %d: %s", master, reasons(r))
			}
		}
		if _, err := a.Roles.DeleteOpportunityRoles(ctx, &opportunityv1.DeleteOpportunityRolesRequest{Keys: keys}); err != nil {
			return errorf("deleting the merged person's opportunity roles", err)
		}
	}
	return fmt.Errorf("lead %d still has opportunity roles after %d rounds", sub, maxMergeRounds)
}

// MergeCompany merges the company with the CRM id sub into the one with the CRM id master:
// the subordinate's leads and opportunities move to the master and the subordinate is
// deleted. A company's CRM id cannot change, so a master that is not synced yet skips the
// merge. Each step is idempotent.
func (a *Applier) MergeCompany(ctx context.Context, sub, master string) (MergeOutcome, error) {
	var shared, exclusive lockSet
	shared.add(links.Company, master)
	exclusive.add(links.Company, sub)
	unlock, err := a.lock(ctx, shared, exclusive)
	if err != nil {
		return MergeOutcome{}, err
	}
	defer unlock()
	got, err := a.Companies.BatchGetCompanies(ctx, &accountv1.BatchGetCompaniesRequest{Keys: []*accountv1.CompanyKey{
		{Key: &accountv1.CompanyKey_ExternalCompanyId{ExternalCompanyId: sub}}, {Key: &accountv1.CompanyKey_ExternalCompanyId{ExternalCompanyId: master}},
	}})
	if err != nil {
		return MergeOutcome{}, errorf("looking up the merged companies", err)
	}
	var s, m *accountv1.Company
	for _, c := range got.GetCompanies() {
		switch extid.Key(c.GetExternalCompanyId()) {
		case extid.Key(sub):
			s = c
		case extid.Key(master):
			m = c
		}
	}
	switch {
	case s == nil:
		return MergeOutcome{Result: NothingToMove, MasterID: m.GetId()}, nil
	case m == nil:
		return MergeOutcome{Result: MergeSkipped, Reason: fmt.Sprintf("the master company '%s' is not synced yet: sync it, then merge again", master)}, nil
	}
	if err := a.moveCompanyLeads(ctx, sub, m.GetExternalCompanyId()); err != nil {
		return MergeOutcome{}, err
	}
	if err := a.moveCompanyOpportunities(ctx, sub, m.GetExternalCompanyId()); err != nil {
		return MergeOutcome{}, err
	}
	del, err := a.Companies.DeleteCompanies(ctx, &accountv1.DeleteCompaniesRequest{Keys: []*accountv1.CompanyKey{{Key: &accountv1.CompanyKey_Id{Id: s.GetId()}}}})
	if err != nil {
		return MergeOutcome{}, errorf("deleting the merged company", err)
	}
	if r := del.GetResults(); len(r) == 1 && r[0].GetStatus() == commonv1.RecordStatus_RECORD_STATUS_SKIPPED {
		return MergeOutcome{Result: MergeSkipped, MasterID: m.GetId(), Reason: reasons(r[0])}, nil
	}
	return MergeOutcome{Result: Merged, MasterID: m.GetId()}, nil
}

// moveCompanyLeads points every lead of the company sub at master, 300 at a time.
func (a *Applier) moveCompanyLeads(ctx context.Context, sub, master string) error {
	for range maxMergeRounds {
		page, err := a.Leads.ListLeads(ctx, &personv1.ListLeadsRequest{
			FilterField: personv1.LeadField_LEAD_FIELD_EXTERNAL_COMPANY_ID, FilterValues: []string{sub}, PageSize: 300, ReadFields: []string{"id"},
		})
		if err != nil {
			return errorf("listing the merged company's leads", err)
		}
		if len(page.GetLeads()) == 0 {
			return nil
		}
		in := make([]*personv1.LeadInput, len(page.GetLeads()))
		for i, l := range page.GetLeads() {
			in[i] = &personv1.LeadInput{Id: proto.Int32(l.GetId()), ExternalCompanyId: proto.String(master)}
		}
		res, err := a.Leads.SyncLeads(ctx, &personv1.SyncLeadsRequest{Action: commonv1.SyncAction_SYNC_ACTION_UPDATE_ONLY, LookupField: personv1.LeadLookupField_LEAD_LOOKUP_FIELD_ID, Input: in})
		if err != nil {
			return errorf("moving the merged company's leads", err)
		}
		for _, r := range res.GetResults() {
			if r.GetStatus() == commonv1.RecordStatus_RECORD_STATUS_SKIPPED {
				return fmt.Errorf("moving lead %d to company '%s': %s", r.GetId(), master, reasons(r))
			}
		}
	}
	return fmt.Errorf("company '%s' still has leads after %d rounds", sub, maxMergeRounds)
}

// moveCompanyOpportunities points every opportunity of the company sub at master, 300 at
// a time.
func (a *Applier) moveCompanyOpportunities(ctx context.Context, sub, master string) error {
	for range maxMergeRounds {
		page, err := a.Opportunities.ListOpportunities(ctx, &opportunityv1.ListOpportunitiesRequest{
			FilterField: opportunityv1.OpportunityField_OPPORTUNITY_FIELD_EXTERNAL_COMPANY_ID, FilterValues: []string{sub}, PageSize: 300,
		})
		if err != nil {
			return errorf("listing the merged company's opportunities", err)
		}
		if len(page.GetOpportunities()) == 0 {
			return nil
		}
		in := make([]*opportunityv1.OpportunityInput, len(page.GetOpportunities()))
		for i, o := range page.GetOpportunities() {
			in[i] = &opportunityv1.OpportunityInput{ExternalOpportunityId: proto.String(o.GetExternalOpportunityId()), ExternalCompanyId: proto.String(master)}
		}
		res, err := a.Opportunities.SyncOpportunities(ctx, &opportunityv1.SyncOpportunitiesRequest{Action: commonv1.SyncAction_SYNC_ACTION_UPDATE_ONLY, Input: in})
		if err != nil {
			return errorf("moving the merged company's opportunities", err)
		}
		for _, r := range res.GetResults() {
			if r.GetStatus() == commonv1.RecordStatus_RECORD_STATUS_SKIPPED {
				return fmt.Errorf("moving opportunity '%s' to company '%s': %s", r.GetGuid(), master, reasons(r))
			}
		}
	}
	return fmt.Errorf("company '%s' still has opportunities after %d rounds", sub, maxMergeRounds)
}

// reasons joins a skipped result's reasons.
func reasons(r *commonv1.RecordResult) string {
	var out []string
	for _, why := range r.GetReasons() {
		out = append(out, fmt.Sprintf("%s %s", why.GetCode(), why.GetMessage()))
	}
	return strings.Join(out, "; ")
}
