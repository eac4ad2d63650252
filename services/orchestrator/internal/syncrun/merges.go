package syncrun

import (
	"context"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/services/orchestrator/internal/apply"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// Merger applies merges through the owning services: *apply.Applier.
type Merger interface {
	// MergePerson is apply.Applier.MergePerson.
	MergePerson(ctx context.Context, sub, master string) (apply.MergeOutcome, error)
	// MergeCompany is apply.Applier.MergeCompany.
	MergeCompany(ctx context.Context, sub, master string) (apply.MergeOutcome, error)
}

// WithMerges lets the server apply MergeRecords through m, remembering where each
// subordinate went in redirects. Without it MergeRecords answers UNIMPLEMENTED.
func (s *Server) WithMerges(m Merger, redirects store.MergeStore) *Server {
	s.merger, s.redirects = m, redirects
	return s
}

// mergeOutcomes maps the applier's results to the API's.
var mergeOutcomes = map[apply.MergeResult]orchestratorv1.MergeOutcome{
	apply.Merged:        orchestratorv1.MergeOutcome_MERGE_OUTCOME_MERGED,
	apply.Rekeyed:       orchestratorv1.MergeOutcome_MERGE_OUTCOME_REKEYED,
	apply.NothingToMove: orchestratorv1.MergeOutcome_MERGE_OUTCOME_NOTHING_TO_MOVE,
	apply.MergeSkipped:  orchestratorv1.MergeOutcome_MERGE_OUTCOME_SKIPPED,
}

// validMerge is a checked merge with canonical ids.
type validMerge struct {
	t           store.ObjectType
	kind        store.MergeKind
	sub, master string
}

// MergeRecords implements orchestratorv1.SyncRunServiceServer.
func (s *Server) MergeRecords(ctx context.Context, req *orchestratorv1.MergeRecordsRequest) (*orchestratorv1.MergeRecordsResponse, error) {
	if s.merger == nil {
		return s.UnimplementedSyncRunServiceServer.MergeRecords(ctx, req)
	}
	n := len(req.GetMerges())
	if n == 0 || n > maxList {
		return nil, invalid("merges holds %d merges; send 1 to %d", n, maxList)
	}
	merges := make([]validMerge, n)
	for i, m := range req.GetMerges() {
		v, err := checkMerge(i, m)
		if err != nil {
			return nil, err
		}
		merges[i] = v
	}
	resp := &orchestratorv1.MergeRecordsResponse{}
	for _, m := range merges {
		var out apply.MergeOutcome
		var err error
		if m.t == store.Lead {
			out, err = s.merger.MergePerson(ctx, m.sub, m.master)
		} else {
			out, err = s.merger.MergeCompany(ctx, m.sub, m.master)
		}
		if err != nil {
			return nil, internal(err)
		}
		if out.Result != apply.MergeSkipped {
			r := store.Redirect{ObjectType: m.t, ExternalID: m.sub, MasterExternalID: m.master, Kind: m.kind}
			if err := s.redirects.PutRedirects(ctx, []store.Redirect{r}, s.now()); err != nil {
				return nil, internal(err)
			}
		}
		resp.Results = append(resp.Results, &orchestratorv1.MergeRecordResult{Outcome: mergeOutcomes[out.Result], Reason: out.Reason, MasterId: out.MasterID})
	}
	return resp, nil
}

// checkMerge validates merge i.
func checkMerge(i int, m *orchestratorv1.RecordMerge) (validMerge, error) {
	var v validMerge
	switch m.GetObjectType() {
	case orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_LEAD:
		v.t = store.Lead
	case orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_COMPANY:
		v.t = store.Company
	default:
		return v, invalid("merge %d: object_type %s cannot be merged; use SYNC_OBJECT_TYPE_LEAD or SYNC_OBJECT_TYPE_COMPANY", i, m.GetObjectType())
	}
	switch m.GetKind() {
	case orchestratorv1.MergeKind_MERGE_KIND_MERGE:
		v.kind = store.Merged
	case orchestratorv1.MergeKind_MERGE_KIND_QUALIFY:
		if v.t != store.Lead {
			return v, invalid("merge %d: only a lead is qualified (MERGE_KIND_QUALIFY with SYNC_OBJECT_TYPE_LEAD)", i)
		}
		v.kind = store.Qualified
	default:
		return v, invalid("merge %d: kind must be MERGE_KIND_MERGE or MERGE_KIND_QUALIFY", i)
	}
	sub, err := extid.Normalize(m.GetSubordinateExternalId())
	if err != nil {
		return v, invalid("merge %d: subordinate_external_id: %v", i, err)
	}
	master, err := extid.Normalize(m.GetMasterExternalId())
	if err != nil {
		return v, invalid("merge %d: master_external_id: %v", i, err)
	}
	if sub.Key == master.Key {
		return v, invalid("merge %d: '%s' cannot be merged into itself", i, sub.Canonical)
	}
	v.sub, v.master = sub.Canonical, master.Canonical
	return v, nil
}
