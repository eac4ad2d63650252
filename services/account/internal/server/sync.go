package server

import (
	"context"

	accountv1 "github.com/msisync/msisync/gen/msisync/account/v1"
	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	"github.com/msisync/msisync/platform/entity"
	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/platform/records"
	"github.com/msisync/msisync/services/account/internal/store"
)

// SyncCompanies implements accountv1.CompanyServiceServer.
func (s *Server) SyncCompanies(ctx context.Context, req *accountv1.SyncCompaniesRequest) (*accountv1.SyncCompaniesResponse, error) {
	mode, byID, err := entity.ParseSync(len(req.GetInput()), req.GetAction(), req.GetDedupeBy())
	if err != nil {
		return nil, err
	}
	inputs := req.GetInput()
	describe := func(in *accountv1.CompanyInput) string { return describeKey(in, byID) }
	b := entity.Plan(inputs, func(in *accountv1.CompanyInput) (store.Write, string, *commonv1.Reason) {
		w, why := toWrite(in, mode, byID)
		return w, entity.BatchKey(byID, w.ID, w.ExternalID.Key), why
	}, describe)
	if byID {
		if err := s.refuseExternalIDChanges(ctx, inputs, b); err != nil {
			return nil, err
		}
	}
	results, err := entity.Apply(ctx, b, s.store.Write, func(i int, r store.WriteResult) *commonv1.RecordResult {
		if r.MissingOwner {
			return records.Skipped(i, 0, records.Missing("externalSalesPersonId"))
		}
		return records.Result(i, r.Outcome, r.ID, "company with "+describe(inputs[i]))
	})
	if err != nil {
		return nil, err
	}
	return &accountv1.SyncCompaniesResponse{Results: results}, nil
}

// refuseExternalIDChanges skips updates by id that would change a record's external id,
// which is its key in the CRM and cannot change once created.
func (s *Server) refuseExternalIDChanges(ctx context.Context, inputs []*accountv1.CompanyInput, b *entity.Batch[store.Write]) error {
	return entity.KeepExternalID(ctx, b, func(i int) *string { return inputs[i].ExternalCompanyId },
		func(w store.Write) int32 { return w.ID }, s.store.Get,
		func(c store.Company) (int32, string) { return c.ID, c.ExternalID },
		func(i int, w store.Write) *commonv1.RecordResult {
			return records.Skipped(i, w.ID, records.Reason(marketo.CodeInvalidData,
				"externalCompanyId cannot be changed once created; leave it out when updating by id"))
		})
}
