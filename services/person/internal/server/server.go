// Package server implements msisync.person.v1.LeadService over a store.Store: it normalises
// keys, applies the per-record rules of Marketo's Sync Leads (lookup field, missing keys,
// repeats within a batch, ids only with updateOnly, custom field names) and maps store
// outcomes to statuses and the lead reason codes.
package server

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
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
	results := make([]*commonv1.RecordResult, len(inputs))
	writes := make([]store.Write, 0, len(inputs))
	writeIndex := make([]int, 0, len(inputs))
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
			results[i] = records.Skipped(i, 0, reason)
			continue
		}
		writes = append(writes, w)
		writeIndex = append(writeIndex, i)
	}
	if len(writes) > 0 {
		out, err := s.store.Write(ctx, lookup, writes)
		if err != nil {
			return nil, storeError(err)
		}
		for n, r := range out {
			i := writeIndex[n]
			results[i] = result(i, r, lookup, inputs[i], dup)
		}
	}
	return &personv1.SyncLeadsResponse{Results: results}, nil
}

// listCursor is where the next page of a ListLeads query starts, and the query's total
// counted on its first page.
type listCursor struct {
	AfterID int32 `json:"a"`
	Total   int32 `json:"t"`
}

// ListLeads implements personv1.LeadServiceServer.
//
// total_size is counted once, on the first page (with no COUNT at all when the first page
// holds every match), and carried in the signed page token to the later pages: it is the
// number of matches when the first page was read.
func (s *Server) ListLeads(ctx context.Context, req *personv1.ListLeadsRequest) (*personv1.ListLeadsResponse, error) {
	if n := len(req.GetFilterValues()); n == 0 || n > store.MaxBatch {
		return nil, status.Errorf(codes.InvalidArgument, "filterValues has %d values; send 1 to %d", n, store.MaxBatch)
	}
	pageSize := int(req.GetPageSize())
	if pageSize < 0 || pageSize > store.MaxBatch {
		return nil, status.Errorf(codes.InvalidArgument, "page size %d is out of range; use 1 to %d", pageSize, store.MaxBatch)
	}
	if pageSize == 0 {
		pageSize = store.MaxBatch
	}
	read, err := projection(req.GetReadFields())
	if err != nil {
		return nil, err
	}
	f := store.Filter{Limit: pageSize + 1, Read: read}
	var normalised []string
	switch req.GetFilterField() {
	case personv1.LeadField_LEAD_FIELD_ID:
		f.By = store.ByID
		for _, v := range req.GetFilterValues() {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
			if err != nil {
				return nil, status.Errorf(codes.InvalidArgument, "filter value %q is not an integer id", v)
			}
			f.IDs = append(f.IDs, int32(n))
			normalised = append(normalised, strconv.FormatInt(n, 10))
		}
	case personv1.LeadField_LEAD_FIELD_EMAIL:
		f.By = store.ByEmail
		for _, v := range req.GetFilterValues() {
			// An email no lead can hold (a NUL, say, which PostgreSQL refuses) matches none.
			if k := extid.Fold(strings.TrimSpace(v)); k != "" && records.CheckChars("email", k) == nil {
				f.Keys = append(f.Keys, k)
				normalised = append(normalised, k)
			}
		}
	case personv1.LeadField_LEAD_FIELD_EXTERNAL_PERSON_ID, personv1.LeadField_LEAD_FIELD_EXTERNAL_COMPANY_ID, personv1.LeadField_LEAD_FIELD_EXTERNAL_SALES_PERSON_ID:
		f.By = map[personv1.LeadField]store.FilterField{
			personv1.LeadField_LEAD_FIELD_EXTERNAL_PERSON_ID:       store.ByExternalPersonKey,
			personv1.LeadField_LEAD_FIELD_EXTERNAL_COMPANY_ID:      store.ByExternalCompanyKey,
			personv1.LeadField_LEAD_FIELD_EXTERNAL_SALES_PERSON_ID: store.ByExternalSalesPersonKey,
		}[req.GetFilterField()]
		for _, v := range req.GetFilterValues() {
			if k := extid.Key(v); k != "" {
				f.Keys = append(f.Keys, k)
				normalised = append(normalised, k)
			}
		}
	default:
		return nil, status.Errorf(codes.InvalidArgument, "unsupported filter field %v", req.GetFilterField())
	}
	slices.Sort(normalised)
	query := pagetoken.Query(req.GetFilterField().String(), strings.Join(slices.Compact(normalised), "\x00"))
	var c listCursor
	firstPage := req.GetPageToken() == ""
	if !firstPage {
		if err := s.tokens.Decode(req.GetPageToken(), query, &c); err != nil {
			return nil, status.Error(codes.InvalidArgument, "the page token is not valid for this query; start again without it")
		}
		f.AfterID = c.AfterID
	}
	found, err := s.store.List(ctx, f)
	if err != nil {
		return nil, storeError(err)
	}
	total := c.Total
	if firstPage {
		total = int32(len(found))
		if len(found) > pageSize {
			n, err := s.store.Count(ctx, f)
			if err != nil {
				return nil, storeError(err)
			}
			total = int32(n)
		}
	}
	resp := &personv1.ListLeadsResponse{TotalSize: total}
	if len(found) > pageSize {
		found = found[:pageSize]
		tok, err := s.tokens.Encode(query, listCursor{AfterID: found[len(found)-1].ID, Total: total})
		if err != nil {
			return nil, err
		}
		resp.NextPageToken = tok
	}
	resp.Leads = make([]*personv1.Lead, len(found))
	for i, l := range found {
		resp.Leads[i] = toProto(l)
	}
	return resp, nil
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
	var ids []int32
	var ext []string
	for _, k := range req.GetKeys() {
		switch v := k.GetKey().(type) {
		case *personv1.LeadKey_Id:
			ids = append(ids, v.Id)
		case *personv1.LeadKey_ExternalPersonId:
			if key := extid.Key(v.ExternalPersonId); key != "" {
				ext = append(ext, key)
			}
		}
	}
	found, err := s.store.Get(ctx, ids, ext, read)
	if err != nil {
		return nil, storeError(err)
	}
	resp := &personv1.BatchGetLeadsResponse{Leads: make([]*personv1.Lead, len(found))}
	for i, l := range found {
		resp.Leads[i] = toProto(l)
	}
	return resp, nil
}

// DeleteLeads implements personv1.LeadServiceServer.
func (s *Server) DeleteLeads(ctx context.Context, req *personv1.DeleteLeadsRequest) (*personv1.DeleteLeadsResponse, error) {
	if err := records.CheckBatch(len(req.GetKeys())); err != nil {
		return nil, err
	}
	results := make([]*commonv1.RecordResult, len(req.GetKeys()))
	var keys []store.Key
	var idx []int
	for i, k := range req.GetKeys() {
		switch v := k.GetKey().(type) {
		case *personv1.LeadKey_Id:
			keys = append(keys, store.Key{ID: v.Id})
		case *personv1.LeadKey_ExternalPersonId:
			key := extid.Key(v.ExternalPersonId)
			if key == "" {
				results[i] = records.Skipped(i, 0, records.Missing("externalPersonId"))
				continue
			}
			keys = append(keys, store.Key{ExternalKey: key})
		default:
			results[i] = records.Skipped(i, 0, records.Reason(marketo.CodeMissingValue, "Missing value for the required parameter 'id' or 'externalPersonId'"))
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
	return &personv1.DeleteLeadsResponse{Results: results}, nil
}

// CountLeadReferences implements personv1.LeadServiceServer.
func (s *Server) CountLeadReferences(ctx context.Context, req *personv1.CountLeadReferencesRequest) (*personv1.CountLeadReferencesResponse, error) {
	if len(req.GetExternalCompanyIds()) > store.MaxBatch || len(req.GetExternalSalesPersonIds()) > store.MaxBatch {
		return nil, status.Errorf(codes.InvalidArgument, "send at most %d company and %d sales person ids", store.MaxBatch, store.MaxBatch)
	}
	companies, owners := uniqueKeys(req.GetExternalCompanyIds()), uniqueKeys(req.GetExternalSalesPersonIds())
	byCompany, byOwner, err := s.store.CountReferences(ctx, companies, owners)
	if err != nil {
		return nil, storeError(err)
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

// storeError maps a store error to a status: contract violations are the caller's fault,
// anything else is internal (the error boundary logs it).
func storeError(err error) error {
	if errors.Is(err, store.ErrInvalid) {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	return err
}
