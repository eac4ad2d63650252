package auth

import (
	"fmt"

	"google.golang.org/grpc/codes"

	ov1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// writeMethods are the RPCs that change data: a read-only client calling one gets 603.
// Every orchestrator RPC is in exactly one of writeMethods, readMethods and publicMethods
// (roles_test.go checks every registered method, so a new RPC cannot go unclassified).
var writeMethods = map[string]bool{
	ov1.MarketoSalesPersonService_SyncSalesPersons_FullMethodName:           true,
	ov1.MarketoSalesPersonService_DeleteSalesPersons_FullMethodName:         true,
	ov1.MarketoCompanyService_SyncCompanies_FullMethodName:                  true,
	ov1.MarketoCompanyService_DeleteCompanies_FullMethodName:                true,
	ov1.MarketoLeadService_SyncLeads_FullMethodName:                         true,
	ov1.MarketoLeadService_DeleteLeads_FullMethodName:                       true,
	ov1.MarketoOpportunityService_SyncOpportunities_FullMethodName:          true,
	ov1.MarketoOpportunityService_DeleteOpportunities_FullMethodName:        true,
	ov1.MarketoOpportunityRoleService_SyncOpportunityRoles_FullMethodName:   true,
	ov1.MarketoOpportunityRoleService_DeleteOpportunityRoles_FullMethodName: true,
	ov1.SyncRunService_CreateSyncRun_FullMethodName:                         true,
	ov1.SyncRunService_RetryPendingRecords_FullMethodName:                   true,
	ov1.SyncRunService_DropPendingRecords_FullMethodName:                    true,
	ov1.SyncRunService_MergeRecords_FullMethodName:                          true,
	ov1.InsightService_RecordScoreChanges_FullMethodName:                    true,
	ov1.InsightService_RecordInterestingMoments_FullMethodName:              true,
	ov1.InsightService_RecomputeTiers_FullMethodName:                        true,
	ov1.InsightService_ReportCrmUsers_FullMethodName:                        true,
	ov1.InsightService_ReportCrmFindings_FullMethodName:                     true,
	ov1.InsightService_ReportConnectorCycle_FullMethodName:                  true,
	ov1.UpstreamService_ResumeUpstream_FullMethodName:                       true,
	ov1.UpstreamService_RetryUpstream_FullMethodName:                        true,
	ov1.UpstreamService_BackfillUpstream_FullMethodName:                     true,
}

// readMethods are the RPCs that only read: any authenticated client may call them.
var readMethods = map[string]bool{
	ov1.MarketoSalesPersonService_GetSalesPersons_FullMethodName:              true,
	ov1.MarketoSalesPersonService_DescribeSalesPersons_FullMethodName:         true,
	ov1.MarketoCompanyService_GetCompanies_FullMethodName:                     true,
	ov1.MarketoCompanyService_DescribeCompanies_FullMethodName:                true,
	ov1.MarketoLeadService_GetLeads_FullMethodName:                            true,
	ov1.MarketoLeadService_GetLead_FullMethodName:                             true,
	ov1.MarketoLeadService_DescribeLeads_FullMethodName:                       true,
	ov1.MarketoLeadService_DescribeLeads2_FullMethodName:                      true,
	ov1.MarketoOpportunityService_GetOpportunities_FullMethodName:             true,
	ov1.MarketoOpportunityService_DescribeOpportunities_FullMethodName:        true,
	ov1.MarketoOpportunityRoleService_GetOpportunityRoles_FullMethodName:      true,
	ov1.MarketoOpportunityRoleService_QueryOpportunityRoles_FullMethodName:    true,
	ov1.MarketoOpportunityRoleService_DescribeOpportunityRoles_FullMethodName: true,
	ov1.MarketoActivityService_GetActivitiesPagingToken_FullMethodName:        true,
	ov1.MarketoActivityService_GetLeadActivities_FullMethodName:               true,
	ov1.MarketoActivityService_GetActivityTypes_FullMethodName:                true,
	ov1.MarketoUsageService_GetDailyUsage_FullMethodName:                      true,
	ov1.SyncRunService_GetSyncRun_FullMethodName:                              true,
	ov1.SyncRunService_ListSyncRuns_FullMethodName:                            true,
	ov1.SyncRunService_ListPendingRecords_FullMethodName:                      true,
	ov1.SyncRunService_ListDeadLetters_FullMethodName:                         true,
	ov1.InsightService_GetTierBoundaries_FullMethodName:                       true,
	ov1.InsightService_ListBestBets_FullMethodName:                            true,
	ov1.InsightService_GetPersonDiagnostics_FullMethodName:                    true,
	ov1.InsightService_GetCompanyDiagnostics_FullMethodName:                   true,
	ov1.InsightService_GetOpportunityDiagnostics_FullMethodName:               true,
	ov1.InsightService_ListWritebackChanges_FullMethodName:                    true,
	ov1.InsightService_ListCrmFindings_FullMethodName:                         true,
	ov1.InsightService_GetRecordCounts_FullMethodName:                         true,
	ov1.InsightService_ListConnectorCycles_FullMethodName:                     true,
	ov1.UpstreamService_GetUpstreamStatus_FullMethodName:                      true,
}

// authorize refuses, with 603, a call p may not make: a write by a client that is neither
// read-write nor admin. Reads are open to every authenticated client (what a sync-run read
// returns depends on who asks: see Principal.SeesAll).
func authorize(p Principal, fullMethod string) error {
	if !writeMethods[fullMethod] || p.Role.CanWrite() {
		return nil
	}
	return marketo.NewError(codes.PermissionDenied, marketo.CodeAccessDenied,
		fmt.Sprintf("Access denied: API client '%s' is read-only%s, and this call writes", p.ClientID, auditorNote(p.Role)))
}

// auditorNote names the auditor role in a refusal, so that its holder knows why an admin's
// view comes without an admin's rights.
func auditorNote(r store.Role) string {
	if r == store.RoleAuditor {
		return " (auditor: it sees every client's sync runs but changes nothing)"
	}
	return ""
}
