// Package server implements msisync.person.v1.LeadService over a store.Store: it normalises
// keys, applies the per-record rules of Marketo's Sync Leads (lookup field, missing keys,
// repeats within a batch, ids only with updateOnly, custom field names) and maps store
// outcomes to statuses and the lead reason codes.
package server

import (
	"context"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
	"github.com/msisync/msisync/platform/entity"
	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/platform/pagetoken"
	"github.com/msisync/msisync/platform/records"
	"github.com/msisync/msisync/services/person/internal/store"
)

// Server implements personv1.LeadServiceServer.
type Server struct {
	personv1.UnimplementedLeadServiceServer
	store  store.Store
	tokens *pagetoken.Codec
}

var _ personv1.LeadServiceServer = (*Server)(nil)

// New returns a Server over s that signs page tokens with pageTokenKey.
func New(s store.Store, pageTokenKey []byte) *Server {
	return &Server{store: s, tokens: pagetoken.New(pageTokenKey)}
}

// SyncLeads implements personv1.LeadServiceServer.
func (s *Server) SyncLeads(ctx context.Context, req *personv1.SyncLeadsRequest) (*personv1.SyncLeadsResponse, error) {
	if err := records.CheckBatch(len(req.GetInput())); err != nil {
		return nil, err
	}
	mode, _, err := records.ParseSync(req.GetAction(), commonv1.DedupeBy_DEDUPE_BY_UNSPECIFIED)
	if err != nil {
		return nil, err
	}
	dup := req.GetCreateDuplicate()
	var lookup store.Lookup
	switch req.GetLookupField() {
	case personv1.LeadLookupField_LEAD_LOOKUP_FIELD_UNSPECIFIED, personv1.LeadLookupField_LEAD_LOOKUP_FIELD_EMAIL:
		lookup = store.LookupEmail
	case personv1.LeadLookupField_LEAD_LOOKUP_FIELD_EXTERNAL_PERSON_ID:
		lookup = store.LookupExternalPersonID
	case personv1.LeadLookupField_LEAD_LOOKUP_FIELD_ID:
		if mode != records.UpdateOnly || dup {
			return nil, status.Error(codes.InvalidArgument, "lookupField id works only with action updateOnly: leads are created by email or externalPersonId")
		}
		lookup = store.LookupID
	default:
		return nil, status.Errorf(codes.InvalidArgument, "unknown lookupField %v", req.GetLookupField())
	}
	inputs := req.GetInput()
	b := entity.NewBatch[store.Write](len(inputs))
	keys, claims := records.Repeats{}, records.Repeats{}
	for i, in := range inputs {
		w, reason := toWrite(in, lookup, mode, dup)
		if reason == nil {
			key, claim := lookupKey(lookup, w), ""
			if w.ExternalPersonID != nil {
				claim = w.ExternalPersonID.Key
			}
			switch {
			case !dup && keys[key]:
				reason = records.Duplicate(describeKey(lookup, in))
			case claim != "" && claims[claim]:
				reason = records.Duplicate("externalPersonId '" + strings.TrimSpace(in.GetExternalPersonId()) + "'")
			default:
				keys.Seen(key)
				if claim != "" {
					claims.Seen(claim)
				}
			}
		}
		if reason != nil {
			b.Skip(i, reason)
			continue
		}
		b.Add(i, w)
	}
	write := func(ctx context.Context, writes []store.Write) ([]store.WriteResult, error) {
		return s.store.Write(ctx, lookup, writes)
	}
	results, err := entity.Apply(ctx, b, write, func(i int, r store.WriteResult) *commonv1.RecordResult {
		return result(i, r, lookup, inputs[i], dup)
	})
	if err != nil {
		return nil, err
	}
	return &personv1.SyncLeadsResponse{Results: results}, nil
}

// ListLeads implements personv1.LeadServiceServer.
//
// total_size is counted once, on the first page (with no COUNT at all when the first page
// holds every match), and carried in the signed page token to the later pages: it is the
// number of matches when the first page was read.
func (s *Server) ListLeads(ctx context.Context, req *personv1.ListLeadsRequest) (*personv1.ListLeadsResponse, error) {
	page, err := entity.NewPage(len(req.GetFilterValues()), req.GetPageSize())
	if err != nil {
		return nil, err
	}
	read, err := projection(req.GetReadFields())
	if err != nil {
		return nil, err
	}
	f := store.Filter{Limit: page.Size + 1, Read: read}
	var normalised []string
	switch req.GetFilterField() {
	case personv1.LeadField_LEAD_FIELD_ID:
		f.By = store.ByID
		if f.IDs, normalised, err = entity.ParseIDs(req.GetFilterValues(), "id"); err != nil {
			return nil, err
		}
	case personv1.LeadField_LEAD_FIELD_EMAIL:
		f.By, f.Keys = store.ByEmail, entity.Folded(req.GetFilterValues(), true)
	case personv1.LeadField_LEAD_FIELD_EXTERNAL_PERSON_ID:
		f.By, f.Keys = store.ByExternalPersonKey, entity.ExternalKeys(req.GetFilterValues())
	case personv1.LeadField_LEAD_FIELD_EXTERNAL_COMPANY_ID:
		f.By, f.Keys = store.ByExternalCompanyKey, entity.ExternalKeys(req.GetFilterValues())
	case personv1.LeadField_LEAD_FIELD_EXTERNAL_SALES_PERSON_ID:
		f.By, f.Keys = store.ByExternalSalesPersonKey, entity.ExternalKeys(req.GetFilterValues())
	default:
		return nil, status.Errorf(codes.InvalidArgument, "unsupported filter field %v", req.GetFilterField())
	}
	if f.By != store.ByID {
		normalised = f.Keys
	}
	if err := page.Resume(s.tokens, req.GetFilterField().String(), normalised, req.GetPageToken()); err != nil {
		return nil, err
	}
	f.AfterID = int32(page.After)
	found, err := s.store.List(ctx, f)
	if err != nil {
		return nil, entity.StoreError(err)
	}
	if req.GetPageToken() == "" {
		page.Total = int32(len(found))
		if len(found) > page.Size {
			n, err := s.store.Count(ctx, f)
			if err != nil {
				return nil, entity.StoreError(err)
			}
			page.Total = int32(n)
		}
	}
	found, next, err := entity.Trim(page, found, func(l store.Lead) int64 { return int64(l.ID) })
	if err != nil {
		return nil, err
	}
	return &personv1.ListLeadsResponse{TotalSize: page.Total, NextPageToken: next, Leads: entity.Protos(found, toProto)}, nil
}

// BatchGetLeads implements personv1.LeadServiceServer.
func (s *Server) BatchGetLeads(ctx context.Context, req *personv1.BatchGetLeadsRequest) (*personv1.BatchGetLeadsResponse, error) {
	if err := records.CheckBatch(len(req.GetKeys())); err != nil {
		return nil, err
	}
	read, err := projection(req.GetReadFields())
	if err != nil {
		return nil, err
	}
	get := func(ctx context.Context, ids []int32, keys []string) ([]store.Lead, error) {
		return s.store.Get(ctx, ids, keys, read)
	}
	found, err := entity.Get(ctx, req.GetKeys(), leadKey, entity.KeyParts, get, toProto)
	if err != nil {
		return nil, err
	}
	return &personv1.BatchGetLeadsResponse{Leads: found}, nil
}

// DeleteLeads implements personv1.LeadServiceServer.
func (s *Server) DeleteLeads(ctx context.Context, req *personv1.DeleteLeadsRequest) (*personv1.DeleteLeadsResponse, error) {
	results, err := entity.Delete(ctx, req.GetKeys(), leadKey, s.store.Delete, entity.Deleted)
	if err != nil {
		return nil, err
	}
	return &personv1.DeleteLeadsResponse{Results: results}, nil
}

// leadKey reads a request key, or returns why it names no lead.
func leadKey(k *personv1.LeadKey) (store.Key, *commonv1.Reason) {
	switch v := k.GetKey().(type) {
	case *personv1.LeadKey_Id:
		return store.Key{ID: v.Id}, nil
	case *personv1.LeadKey_ExternalPersonId:
		key, why := entity.ExternalKey(v.ExternalPersonId, "externalPersonId")
		return store.Key{ExternalKey: key}, why
	}
	return store.Key{}, records.Reason(marketo.CodeMissingValue, "Missing value for the required parameter 'id' or 'externalPersonId'")
}

// CountLeadReferences implements personv1.LeadServiceServer.
func (s *Server) CountLeadReferences(ctx context.Context, req *personv1.CountLeadReferencesRequest) (*personv1.CountLeadReferencesResponse, error) {
	if len(req.GetExternalCompanyIds()) > store.MaxBatch || len(req.GetExternalSalesPersonIds()) > store.MaxBatch {
		return nil, status.Errorf(codes.InvalidArgument, "send at most %d company and %d sales person ids", store.MaxBatch, store.MaxBatch)
	}
	companies, owners := uniqueKeys(req.GetExternalCompanyIds()), uniqueKeys(req.GetExternalSalesPersonIds())
	byCompany, byOwner, err := s.store.CountReferences(ctx, companies, owners)
	if err != nil {
		return nil, entity.StoreError(err)
	}
	return &personv1.CountLeadReferencesResponse{
		Companies:    referenceCounts(companies, byCompany),
		SalesPersons: referenceCounts(owners, byOwner),
	}, nil
}

// uniqueKeys returns the extid keys of ids, each once, in first-seen order; invalid ids
// are dropped (they match nothing).
func uniqueKeys(ids []string) []string {
	seen := records.Repeats{}
	var out []string
	for _, id := range ids {
		if k := extid.Key(id); k != "" && !seen.Seen(k) {
			out = append(out, k)
		}
	}
	return out
}

// referenceCounts lists the keys with at least one reference, in the order given.
func referenceCounts(keys []string, counts map[string]int) []*commonv1.ReferenceCount {
	var out []*commonv1.ReferenceCount
	for _, k := range keys {
		if n := counts[k]; n > 0 {
			out = append(out, &commonv1.ReferenceCount{ExternalId: k, Count: int32(n)})
		}
	}
	return out
}
