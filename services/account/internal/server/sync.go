package server

import (
	"context"
	"strconv"

	accountv1 "github.com/msisync/msisync/gen/msisync/account/v1"
	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/platform/records"
	"github.com/msisync/msisync/services/account/internal/store"
)

// SyncCompanies implements accountv1.CompanyServiceServer.
func (s *Server) SyncCompanies(ctx context.Context, req *accountv1.SyncCompaniesRequest) (*accountv1.SyncCompaniesResponse, error) {
	if err := records.CheckBatch(len(req.GetInput())); err != nil {
		return nil, err
	}
	mode, byID, err := records.ParseSync(req.GetAction(), req.GetDedupeBy())
	if err != nil {
		return nil, err
	}
	inputs := req.GetInput()
	results := make([]*commonv1.RecordResult, len(inputs))
	writes := make([]store.Write, 0, len(inputs))
	writeIndex := make([]int, 0, len(inputs))
	seen := records.Repeats{}
	for i, in := range inputs {
		w, reason := toWrite(in, mode, byID)
		if reason == nil {
			key := w.ExternalID.Key
			if byID {
				key = "#" + strconv.Itoa(int(w.ID))
			}
			if seen.Seen(key) {
				reason = records.Duplicate(describeKey(in, byID))
			}
		}
		if reason != nil {
			results[i] = records.Skipped(i, 0, reason)
			continue
		}
		writes = append(writes, w)
		writeIndex = append(writeIndex, i)
	}
	if byID {
		if err := s.refuseExternalIDChanges(ctx, inputs, writes, writeIndex, results); err != nil {
			return nil, err
		}
		writes, writeIndex = compact(writes, writeIndex, results)
	}
	if len(writes) > 0 {
		out, err := s.store.Write(ctx, writes)
		if err != nil {
			return nil, storeError(err)
		}
		for n, r := range out {
			i := writeIndex[n]
			if r.MissingOwner {
				results[i] = records.Skipped(i, 0, records.Missing("externalSalesPersonId"))
				continue
			}
			results[i] = records.Result(i, r.Outcome, r.ID, "company with "+describeKey(inputs[i], byID))
		}
	}
	return &accountv1.SyncCompaniesResponse{Results: results}, nil
}

// refuseExternalIDChanges skips updates by id that would change a record's external id,
// which is its key in the CRM and cannot change once created.
func (s *Server) refuseExternalIDChanges(ctx context.Context, inputs []*accountv1.CompanyInput, writes []store.Write, idx []int, results []*commonv1.RecordResult) error {
	var ids []int32
	for n, w := range writes {
		if inputs[idx[n]].ExternalCompanyId != nil {
			ids = append(ids, w.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	found, err := s.store.Get(ctx, ids, nil)
	if err != nil {
		return storeError(err)
	}
	current := make(map[int32]string, len(found))
	for _, c := range found {
		current[c.ID] = extid.Key(c.ExternalID)
	}
	for n, w := range writes {
		in := inputs[idx[n]]
		cur, ok := current[w.ID]
		if in.ExternalCompanyId == nil || !ok || extid.Key(in.GetExternalCompanyId()) == cur {
			continue
		}
		results[idx[n]] = records.Skipped(idx[n], w.ID, records.Reason(marketo.CodeInvalidData,
			"externalCompanyId cannot be changed once created; leave it out when updating by id"))
	}
	return nil
}

// compact drops the writes whose record already has a result.
func compact(writes []store.Write, idx []int, results []*commonv1.RecordResult) ([]store.Write, []int) {
	var w2 []store.Write
	var i2 []int
	for n, w := range writes {
		if results[idx[n]] == nil {
			w2 = append(w2, w)
			i2 = append(i2, idx[n])
		}
	}
	return w2, i2
}
