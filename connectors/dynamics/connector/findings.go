package connector

import (
	"context"

	"github.com/msisync/msisync/connectors/dynamics/mapping"
	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
)

// source names this connector in what it reports to the orchestrator.
const source = "dynamics"

// reportLimit is the most users or findings per report call.
const reportLimit = 1000

// findingKinds maps the mapping's finding kinds to the orchestrator's.
var findingKinds = map[mapping.Kind]orchestratorv1.CrmFindingKind{
	mapping.TeamOwner:       orchestratorv1.CrmFindingKind_CRM_FINDING_KIND_TEAM_OWNER,
	mapping.ParentIsContact: orchestratorv1.CrmFindingKind_CRM_FINDING_KIND_PARENT_IS_CONTACT,
	mapping.InactiveOwner:   orchestratorv1.CrmFindingKind_CRM_FINDING_KIND_INACTIVE_OWNER,
	mapping.Other:           orchestratorv1.CrmFindingKind_CRM_FINDING_KIND_OTHER,
	outOfScope:              orchestratorv1.CrmFindingKind_CRM_FINDING_KIND_OTHER,
	deletedInCRM:            orchestratorv1.CrmFindingKind_CRM_FINDING_KIND_DELETED_IN_CRM,
}

// reportCRM tells the orchestrator what only the CRM knows: each changed user's own email
// and status (so diagnostics can flag a sales person whose email differs from the Dynamics
// user's), and the rows the mapping could not take as they are, or no longer has to explain.
func (c *Connector) reportCRM(ctx context.Context, p *plan, rep *SyncReport) error {
	for start := 0; start < len(p.users); start += reportLimit {
		part := p.users[start:min(start+reportLimit, len(p.users))]
		users := make([]*orchestratorv1.CrmUser, len(part))
		for i, u := range part {
			users[i] = &orchestratorv1.CrmUser{ExternalSalesPersonId: u.ID, Email: u.Email, FullName: u.FullName, Active: u.Active}
		}
		if _, err := call(ctx, c.orch, "reporting CRM users", func(ctx context.Context) (*orchestratorv1.ReportCrmUsersResponse, error) {
			return c.orch.insight.ReportCrmUsers(ctx, &orchestratorv1.ReportCrmUsersRequest{Source: source, Users: users})
		}); err != nil {
			return err
		}
		rep.Users += len(part)
	}
	findings := make([]*orchestratorv1.CrmFinding, len(p.findings))
	for i, f := range p.findings {
		findings[i] = &orchestratorv1.CrmFinding{ObjectType: objectTypes[f.Object], ExternalId: f.ExternalID, Kind: findingKinds[f.Kind], Message: f.Message}
	}
	resolved := make([]*orchestratorv1.CrmFindingKey, len(p.resolved))
	for i, k := range p.resolved {
		resolved[i] = &orchestratorv1.CrmFindingKey{ObjectType: objectTypes[k.object], ExternalId: k.id, Kind: findingKinds[k.kind]}
	}
	for len(findings) > 0 || len(resolved) > 0 {
		nf := min(len(findings), reportLimit)
		nr := min(len(resolved), reportLimit-nf)
		req := &orchestratorv1.ReportCrmFindingsRequest{Source: source, Findings: findings[:nf], Resolved: resolved[:nr]}
		if _, err := call(ctx, c.orch, "reporting CRM findings", func(ctx context.Context) (*orchestratorv1.ReportCrmFindingsResponse, error) {
			return c.orch.insight.ReportCrmFindings(ctx, req)
		}); err != nil {
			return err
		}
		rep.Findings += nf
		rep.Resolved += nr
		findings, resolved = findings[nf:], resolved[nr:]
	}
	return nil
}
