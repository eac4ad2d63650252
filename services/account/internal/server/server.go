// Package server implements msisync.account.v1.CompanyService over a store.Store: it
// normalises keys, applies the per-record rules of the MSI sync contract (missing keys and
// owners, repeats within a batch, ids that cannot change) and maps store outcomes to
// statuses and Marketo reason codes.
package server

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	accountv1 "github.com/msisync/msisync/gen/msisync/account/v1"
	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	"github.com/msisync/msisync/platform/entity"
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
	found, err := entity.Get(ctx, req.GetKeys(), storeKey, entity.KeyParts, s.store.Get, toProto)
	if err != nil {
		return nil, err
	}
	return &accountv1.BatchGetCompaniesResponse{Companies: found}, nil
}

// DeleteCompanies implements accountv1.CompanyServiceServer.
func (s *Server) DeleteCompanies(ctx context.Context, req *accountv1.DeleteCompaniesRequest) (*accountv1.DeleteCompaniesResponse, error) {
	results, err := entity.Delete(ctx, req.GetKeys(), storeKey, s.store.Delete, entity.Deleted)
	if err != nil {
		return nil, err
	}
	return &accountv1.DeleteCompaniesResponse{Results: results}, nil
}

// storeKey reads a request key, or returns why it names no record.
func storeKey(k *accountv1.CompanyKey) (store.Key, *commonv1.Reason) {
	switch v := k.GetKey().(type) {
	case *accountv1.CompanyKey_Id:
		return store.Key{ID: v.Id}, nil
	case *accountv1.CompanyKey_ExternalCompanyId:
		key, why := entity.ExternalKey(v.ExternalCompanyId, "externalCompanyId")
		return store.Key{ExternalKey: key}, why
	}
	return store.Key{}, records.Missing("externalCompanyId' or 'id")
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
		return nil, entity.StoreError(err)
	}
	resp := &accountv1.CountCompanyReferencesResponse{}
	for _, k := range keys {
		if n := counts[k]; n > 0 {
			resp.SalesPersons = append(resp.SalesPersons, &commonv1.ReferenceCount{ExternalId: canonical[k], Count: int32(n)})
		}
	}
	return resp, nil
}
