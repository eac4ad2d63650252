package connector

import (
	"context"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/msisync/msisync/connectors/dynamics/mapping"
	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	"github.com/msisync/msisync/platform/marketo"
)

// applyDeletes drops the parked records of deleted rows, then deletes what the CRM deleted,
// children first (roles, opportunities, people, companies), 300 at a time, once the cycle's
// upserts are processed: a contact moved to another account in the same cycle no longer
// holds its old company. A delete the orchestrator refuses as in use (1022) waits and is
// tried again in later cycles with that cycle's deletes (see waiting.go); one that finds
// nothing is counted and reported.
func (c *Connector) applyDeletes(ctx context.Context, p *plan, rep *SyncReport) error {
	if err := c.dropParked(ctx, p, rep); err != nil {
		return err
	}
	if _, err := c.deleteRoles(ctx, p.roleDeletes, rep); err != nil {
		return err
	}
	opps := p.withWaiting(mapping.Opportunity)
	inUse, err := deleteRecords(ctx, c, mapping.Opportunity, byKey("externalOpportunityId", opps), opps, rep,
		func(ctx context.Context, in []*structpb.Struct) ([]*orchestratorv1.MarketoRecordResult, error) {
			resp, err := c.orch.opps.DeleteOpportunities(ctx, &orchestratorv1.DeleteOpportunitiesRequest{DeleteBy: "dedupeFields", Input: in})
			return resp.GetResult(), err
		})
	if err != nil {
		return err
	}
	p.settleWaiting(mapping.Opportunity, opps, inUse, rep)
	people := p.withWaiting(mapping.Lead)
	if inUse, err = c.deletePeople(ctx, people, rep); err != nil {
		return err
	}
	p.settleWaiting(mapping.Lead, people, inUse, rep)
	companies := p.withWaiting(mapping.Company)
	inUse, err = deleteRecords(ctx, c, mapping.Company, byKey("externalCompanyId", companies), companies, rep,
		func(ctx context.Context, in []*structpb.Struct) ([]*orchestratorv1.MarketoRecordResult, error) {
			resp, err := c.orch.company.DeleteCompanies(ctx, &orchestratorv1.DeleteCompaniesRequest{DeleteBy: "dedupeFields", Input: in})
			return resp.GetResult(), err
		})
	if err != nil {
		return err
	}
	p.settleWaiting(mapping.Company, companies, inUse, rep)
	return nil
}

// deleteResult is what the Marketo delete endpoints answer per record.
type deleteResult interface {
	GetStatus() string
	GetReasons() []*commonv1.Reason
}

// deleteRecords sends the delete inputs in calls of 300 and counts each result against its
// key (keys[i] names in[i], for the report). It returns the keys refused as in use (1022),
// with the reason.
func deleteRecords[R deleteResult](ctx context.Context, c *Connector, object mapping.Object, in []*structpb.Struct, keys []string, rep *SyncReport,
	del func(ctx context.Context, in []*structpb.Struct) ([]R, error)) (map[string]string, error) {
	inUse := map[string]string{}
	for start := 0; start < len(in); start += batch {
		end := min(start+batch, len(in))
		results, err := call(ctx, c.orch, "deleting "+object.String()+" records", func(ctx context.Context) ([]R, error) {
			return del(ctx, in[start:end])
		})
		if err != nil {
			return nil, err
		}
		for i, r := range results {
			key := keys[min(start+i, end-1)]
			if r.GetStatus() == "deleted" {
				rep.object(object).Deleted++
				continue
			}
			rep.object(object).DeleteSkipped++
			rep.reason(object, OutcomeDeleteSkipped, r.GetReasons(), key)
			for _, why := range r.GetReasons() {
				if why.GetCode() == marketo.CodeObjectInUse {
					inUse[key] = why.GetMessage()
				}
			}
		}
	}
	return inUse, nil
}

// byKey is the delete input naming each record by its external id in field.
func byKey(field string, keys []string) []*structpb.Struct {
	in := make([]*structpb.Struct, len(keys))
	for i, k := range keys {
		in[i] = &structpb.Struct{Fields: map[string]*structpb.Value{field: structpb.NewStringValue(k)}}
	}
	return in
}

// leadIDs resolves people's externalPersonIds to msisync lead ids, 300 per query; people not
// synced are absent.
func (c *Connector) leadIDs(ctx context.Context, people []string) (map[string]float64, error) {
	out := make(map[string]float64, len(people))
	for start := 0; start < len(people); start += batch {
		part := people[start:min(start+batch, len(people))]
		resp, err := call(ctx, c.orch, "looking up leads", func(ctx context.Context) (*orchestratorv1.GetLeadsResponse, error) {
			return c.orch.leads.GetLeads(ctx, &orchestratorv1.GetLeadsRequest{FilterType: "externalPersonId", FilterValues: part, Fields: []string{"id", "externalPersonId"}, BatchSize: batch})
		})
		if err != nil {
			return nil, err
		}
		for _, l := range resp.GetResult() {
			f := l.GetFields()
			out[strings.ToLower(f["externalPersonId"].GetStringValue())] = f["id"].GetNumberValue()
		}
	}
	return out, nil
}

// deletePeople deletes leads by externalPersonId (the lead delete takes msisync ids) and
// returns those refused as in use.
func (c *Connector) deletePeople(ctx context.Context, people []string, rep *SyncReport) (map[string]string, error) {
	if len(people) == 0 {
		return nil, nil
	}
	ids, err := c.leadIDs(ctx, people)
	if err != nil {
		return nil, err
	}
	var in []*structpb.Struct
	var keys []string
	for _, p := range people {
		if id, ok := ids[p]; ok {
			in = append(in, &structpb.Struct{Fields: map[string]*structpb.Value{"id": structpb.NewNumberValue(id)}})
			keys = append(keys, p)
		}
	}
	return deleteRecords(ctx, c, mapping.Lead, in, keys, rep,
		func(ctx context.Context, in []*structpb.Struct) ([]*orchestratorv1.MarketoLeadResult, error) {
			resp, err := c.orch.leads.DeleteLeads(ctx, &orchestratorv1.DeleteLeadsRequest{Input: in})
			return resp.GetResult(), err
		})
}

// deleteRoles deletes opportunity roles by (externalOpportunityId, leadId, role).
func (c *Connector) deleteRoles(ctx context.Context, roles []mapping.RoleKey, rep *SyncReport) (map[string]string, error) {
	if len(roles) == 0 {
		return nil, nil
	}
	people := make([]string, 0, len(roles))
	for _, r := range roles {
		people = append(people, r.Person)
	}
	ids, err := c.leadIDs(ctx, dedupe(people))
	if err != nil {
		return nil, err
	}
	var keys []string
	var in []*structpb.Struct
	for _, r := range roles {
		id, ok := ids[r.Person]
		if !ok {
			continue // the person is gone, and its roles with it
		}
		keys = append(keys, r.Opportunity+"/"+r.Person+"/"+r.Role)
		in = append(in, &structpb.Struct{Fields: map[string]*structpb.Value{
			"externalOpportunityId": structpb.NewStringValue(r.Opportunity), "leadId": structpb.NewNumberValue(id), "role": structpb.NewStringValue(r.Role)}})
	}
	return deleteRecords(ctx, c, mapping.OpportunityRole, in, keys, rep,
		func(ctx context.Context, in []*structpb.Struct) ([]*orchestratorv1.MarketoRecordResult, error) {
			resp, err := c.orch.roles.DeleteOpportunityRoles(ctx, &orchestratorv1.DeleteOpportunityRolesRequest{DeleteBy: "dedupeFields", Input: in})
			return resp.GetResult(), err
		})
}

// dedupe returns values without repeats, in first-seen order.
func dedupe(values []string) []string {
	seen := make(map[string]bool, len(values))
	out := values[:0:0]
	for _, v := range values {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// dropParked drops the parked records of deleted rows: a contact parked for a missing
// account and then deleted in Dynamics must not appear in msisync when the account comes.
// The pending list is read only for the object types that had deletes.
func (c *Connector) dropParked(ctx context.Context, p *plan, rep *SyncReport) error {
	for _, object := range []mapping.Object{mapping.Company, mapping.Lead, mapping.Opportunity} {
		if len(p.deletes[object]) == 0 {
			continue
		}
		deleted := make(map[string]bool, len(p.deletes[object]))
		for _, k := range p.deletes[object] {
			deleted[k] = true
		}
		var drop []string
		token := ""
		for {
			resp, err := call(ctx, c.orch, "reading parked records", func(ctx context.Context) (*orchestratorv1.ListPendingRecordsResponse, error) {
				return c.orch.runs.ListPendingRecords(ctx, &orchestratorv1.ListPendingRecordsRequest{ObjectType: objectTypes[object], PageSize: batch, PageToken: token})
			})
			if err != nil {
				return err
			}
			for _, r := range resp.GetPendingRecords() {
				if deleted[strings.ToLower(r.GetKey())] {
					drop = append(drop, r.GetPendingId())
				}
			}
			if token = resp.GetNextPageToken(); token == "" {
				break
			}
		}
		for start := 0; start < len(drop); start += batch {
			part := drop[start:min(start+batch, len(drop))]
			if _, err := call(ctx, c.orch, "dropping parked records", func(ctx context.Context) (*orchestratorv1.DropPendingRecordsResponse, error) {
				return c.orch.runs.DropPendingRecords(ctx, &orchestratorv1.DropPendingRecordsRequest{PendingIds: part})
			}); err != nil {
				return err
			}
		}
		rep.object(object).DroppedParked += len(drop)
	}
	return nil
}
