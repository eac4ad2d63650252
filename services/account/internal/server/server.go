// Package server implements msisync.account.v1.CompanyService over a store.Store: it
// normalises keys, applies the per-record rules of the MSI sync contract (missing keys and
// owners, repeats within a batch, ids that cannot change) and maps store outcomes to
// statuses and Marketo reason codes.
package server

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	accountv1 "github.com/msisync/msisync/gen/msisync/account/v1"
	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/platform/pagetoken"
	"github.com/msisync/msisync/platform/records"
	"github.com/msisync/msisync/services/account/internal/store"
)

// Server implements accountv1.CompanyServiceServer.
type Server struct {
	accountv1.UnimplementedCompanyServiceServer
	store  store.Store
	tokens *pagetoken.Codec
}

var _ accountv1.CompanyServiceServer = (*Server)(nil)

// New returns a Server over s that signs page tokens with pageTokenKey.
func New(s store.Store, pageTokenKey []byte) *Server {
	return &Server{store: s, tokens: pagetoken.New(pageTokenKey)}
}

// BatchGetCompanies implements accountv1.CompanyServiceServer.
func (s *Server) BatchGetCompanies(ctx context.Context, req *accountv1.BatchGetCompaniesRequest) (*accountv1.BatchGetCompaniesResponse, error) {
	if err := records.CheckBatch(len(req.GetKeys())); err != nil {
		return nil, err
	}
	var ids []int32
	var keys []string
	for _, k := range req.GetKeys() {
		switch v := k.GetKey().(type) {
		case *accountv1.CompanyKey_Id:
			ids = append(ids, v.Id)
		case *accountv1.CompanyKey_ExternalCompanyId:
			if key := extid.Key(v.ExternalCompanyId); key != "" {
				keys = append(keys, key)
			}
		}
	}
	found, err := s.store.Get(ctx, ids, keys)
	if err != nil {
		return nil, storeError(err)
	}
	return &accountv1.BatchGetCompaniesResponse{Companies: toProtos(found)}, nil
}

// DeleteCompanies implements accountv1.CompanyServiceServer.
func (s *Server) DeleteCompanies(ctx context.Context, req *accountv1.DeleteCompaniesRequest) (*accountv1.DeleteCompaniesResponse, error) {
	if err := records.CheckBatch(len(req.GetKeys())); err != nil {
		return nil, err
	}
	results := make([]*commonv1.RecordResult, len(req.GetKeys()))
	var keys []store.Key
	var idx []int
	for i, k := range req.GetKeys() {
		switch v := k.GetKey().(type) {
		case *accountv1.CompanyKey_Id:
			keys = append(keys, store.Key{ID: v.Id})
		case *accountv1.CompanyKey_ExternalCompanyId:
			key := extid.Key(v.ExternalCompanyId)
			if key == "" {
				results[i] = records.Skipped(i, 0, records.Missing("externalCompanyId"))
				continue
			}
			keys = append(keys, store.Key{ExternalKey: key})
		default:
			results[i] = records.Skipped(i, 0, records.Missing("externalCompanyId' or 'id"))
			continue
		}
		idx = append(idx, i)
	}
	if len(keys) > 0 {
		out, err := s.store.Delete(ctx, keys)
		if err != nil {
			return nil, storeError(err)
		}
		for n, r := range out {
			i := idx[n]
			results[i] = records.Deleted(i, r.ID, r.Deleted)
		}
	}
	return &accountv1.DeleteCompaniesResponse{Results: results}, nil
}

// CountCompanyReferences implements accountv1.CompanyServiceServer. Each sales person that
// owns companies is reported once, under the canonical form of the id the caller first
// gave for it.
func (s *Server) CountCompanyReferences(ctx context.Context, req *accountv1.CountCompanyReferencesRequest) (*accountv1.CountCompanyReferencesResponse, error) {
	if n := len(req.GetExternalSalesPersonIds()); n > store.MaxBatch {
		return nil, status.Errorf(codes.InvalidArgument, "%d sales persons; send at most %d per call", n, store.MaxBatch)
	}
	var keys []string
	canonical := make(map[string]string)
	for _, raw := range req.GetExternalSalesPersonIds() {
		id, err := extid.Normalize(raw)
		if err != nil {
			continue // an id that cannot be stored owns nothing
		}
		if _, ok := canonical[id.Key]; !ok {
			canonical[id.Key] = id.Canonical
			keys = append(keys, id.Key)
		}
	}
	counts, err := s.store.CountBySalesPerson(ctx, keys)
	if err != nil {
		return nil, storeError(err)
	}
	resp := &accountv1.CountCompanyReferencesResponse{}
	for _, k := range keys {
		if n := counts[k]; n > 0 {
			resp.SalesPersons = append(resp.SalesPersons, &commonv1.ReferenceCount{ExternalId: canonical[k], Count: int32(n)})
		}
	}
	return resp, nil
}

// storeError maps a store error to a status: contract violations are the caller's fault,
// anything else is internal (the error boundary logs it).
func storeError(err error) error {
	if errors.Is(err, store.ErrInvalid) {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	return err
}
