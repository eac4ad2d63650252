// Package server implements msisync.identity.v1.SalesPersonService over a store.Store:
// it normalises keys, applies the per-record rules of the MSI sync contract (missing keys,
// repeats within a batch, ids that cannot change) and maps store outcomes to statuses and
// Marketo reason codes.
package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	identityv1 "github.com/msisync/msisync/gen/msisync/identity/v1"
	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/platform/pagetoken"
	"github.com/msisync/msisync/platform/records"
	"github.com/msisync/msisync/services/identity/internal/store"
)

// Server implements identityv1.SalesPersonServiceServer.
type Server struct {
	identityv1.UnimplementedSalesPersonServiceServer
	store  store.Store
	tokens *pagetoken.Codec
}

var _ identityv1.SalesPersonServiceServer = (*Server)(nil)

// New returns a Server over s that signs page tokens with pageTokenKey.
func New(s store.Store, pageTokenKey []byte) *Server {
	return &Server{store: s, tokens: pagetoken.New(pageTokenKey)}
}

// SyncSalesPersons implements identityv1.SalesPersonServiceServer.
func (s *Server) SyncSalesPersons(ctx context.Context, req *identityv1.SyncSalesPersonsRequest) (*identityv1.SyncSalesPersonsResponse, error) {
	if err := records.CheckBatch(len(req.GetInput())); err != nil {
		return nil, err
	}
	mode, byID, err := records.ParseSync(req.GetAction(), req.GetDedupeBy())
	if err != nil {
		return nil, err
	}
	results := make([]*commonv1.RecordResult, len(req.GetInput()))
	writes := make([]store.Write, 0, len(req.GetInput()))
	writeIndex := make([]int, 0, len(req.GetInput()))
	seen := records.Repeats{}
	for i, in := range req.GetInput() {
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
		if err := s.refuseExternalIDChanges(ctx, req.GetInput(), writes, writeIndex, results); err != nil {
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
			results[i] = records.Result(i, r.Outcome, r.ID, "sales person with "+describeKey(req.GetInput()[i], byID))
		}
	}
	return &identityv1.SyncSalesPersonsResponse{Results: results}, nil
}

// refuseExternalIDChanges skips updates by id that would change a record's external id,
// which is its key in the CRM and cannot change once created.
func (s *Server) refuseExternalIDChanges(ctx context.Context, inputs []*identityv1.SalesPersonInput, writes []store.Write, idx []int, results []*commonv1.RecordResult) error {
	var ids []int32
	for n, w := range writes {
		if inputs[idx[n]].ExternalSalesPersonId != nil {
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
	for _, p := range found {
		current[p.ID] = extid.Key(p.ExternalID)
	}
	for n, w := range writes {
		in := inputs[idx[n]]
		cur, ok := current[w.ID]
		if in.ExternalSalesPersonId == nil || !ok || extid.Key(in.GetExternalSalesPersonId()) == cur {
			continue
		}
		results[idx[n]] = records.Skipped(idx[n], w.ID, &commonv1.Reason{Code: marketo.CodeInvalidData,
			Message: "externalSalesPersonId cannot be changed once created; leave it out when updating by id"})
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

// toWrite validates one input record and returns its write, or the reason it is skipped.
func toWrite(in *identityv1.SalesPersonInput, mode records.Mode, byID bool) (store.Write, *commonv1.Reason) {
	w := store.Write{Mode: mode, Fields: make(map[store.Field]string, len(store.Fields))}
	if byID {
		if in.Id == nil {
			return w, records.Missing("id")
		}
		if in.GetId() <= 0 {
			return w, &commonv1.Reason{Code: marketo.CodeInvalidValue, Message: fmt.Sprintf("Invalid value '%d'. Required of type 'integer' greater than 0", in.GetId())}
		}
		w.ID = in.GetId()
	} else {
		if in.ExternalSalesPersonId == nil || strings.TrimSpace(in.GetExternalSalesPersonId()) == "" {
			return w, records.Missing("externalSalesPersonId")
		}
		id, err := extid.Normalize(in.GetExternalSalesPersonId())
		if err != nil {
			return w, &commonv1.Reason{Code: marketo.CodeInvalidValue, Message: "Invalid value for 'externalSalesPersonId': " + err.Error()}
		}
		w.ExternalID = id
	}
	fields := []struct {
		name  string
		field store.Field
		value *string
	}{
		{"email", store.FieldEmail, in.Email},
		{"firstName", store.FieldFirstName, in.FirstName},
		{"lastName", store.FieldLastName, in.LastName},
		{"title", store.FieldTitle, in.Title},
		{"phone", store.FieldPhone, in.Phone},
		{"mobilePhone", store.FieldMobilePhone, in.MobilePhone},
		{"fax", store.FieldFax, in.Fax},
	}
	for _, f := range fields {
		if f.value == nil {
			continue
		}
		check := func(name, v string) (string, *commonv1.Reason) { return records.Text(name, v, records.MaxTextLength) }
		if f.field == store.FieldEmail {
			check = records.Email
		}
		v, why := check(f.name, *f.value)
		if why != nil {
			return w, why
		}
		w.Fields[f.field] = v
	}
	return w, nil
}

func describeKey(in *identityv1.SalesPersonInput, byID bool) string {
	if byID {
		return fmt.Sprintf("id %d", in.GetId())
	}
	return fmt.Sprintf("externalSalesPersonId '%s'", strings.TrimSpace(in.GetExternalSalesPersonId()))
}

// listCursor is where the next page of a ListSalesPersons query starts.
type listCursor struct {
	AfterID int32 `json:"a"`
}

// ListSalesPersons implements identityv1.SalesPersonServiceServer.
func (s *Server) ListSalesPersons(ctx context.Context, req *identityv1.ListSalesPersonsRequest) (*identityv1.ListSalesPersonsResponse, error) {
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
	f := store.Filter{Limit: pageSize + 1}
	var normalised []string
	switch req.GetFilterField() {
	case identityv1.SalesPersonField_SALES_PERSON_FIELD_ID:
		f.By = store.ByID
		for _, v := range req.GetFilterValues() {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
			if err != nil {
				return nil, status.Errorf(codes.InvalidArgument, "filter value %q is not an integer id", v)
			}
			f.IDs = append(f.IDs, int32(n))
			normalised = append(normalised, strconv.FormatInt(n, 10))
		}
	case identityv1.SalesPersonField_SALES_PERSON_FIELD_EXTERNAL_SALES_PERSON_ID:
		f.By = store.ByExternalKey
		for _, v := range req.GetFilterValues() {
			if k := extid.Key(v); k != "" {
				f.Keys = append(f.Keys, k)
				normalised = append(normalised, k)
			}
		}
	case identityv1.SalesPersonField_SALES_PERSON_FIELD_EMAIL:
		f.By = store.ByEmail
		for _, v := range req.GetFilterValues() {
			k := extid.Fold(strings.TrimSpace(v))
			f.Keys = append(f.Keys, k)
			normalised = append(normalised, k)
		}
	default:
		return nil, status.Errorf(codes.InvalidArgument, "unsupported filter field %v", req.GetFilterField())
	}
	slices.Sort(normalised)
	query := pagetoken.Query(req.GetFilterField().String(), strings.Join(slices.Compact(normalised), "\x00"))
	if tok := req.GetPageToken(); tok != "" {
		var c listCursor
		if err := s.tokens.Decode(tok, query, &c); err != nil {
			return nil, status.Error(codes.InvalidArgument, "the page token is not valid for this query; start again without it")
		}
		f.AfterID = c.AfterID
	}
	found, err := s.store.List(ctx, f)
	if err != nil {
		return nil, storeError(err)
	}
	resp := &identityv1.ListSalesPersonsResponse{}
	if len(found) > pageSize {
		found = found[:pageSize]
		tok, err := s.tokens.Encode(query, listCursor{AfterID: found[len(found)-1].ID})
		if err != nil {
			return nil, err
		}
		resp.NextPageToken = tok
	}
	resp.SalesPersons = make([]*identityv1.SalesPerson, len(found))
	for i, p := range found {
		resp.SalesPersons[i] = toProto(p)
	}
	return resp, nil
}

// BatchGetSalesPersons implements identityv1.SalesPersonServiceServer.
func (s *Server) BatchGetSalesPersons(ctx context.Context, req *identityv1.BatchGetSalesPersonsRequest) (*identityv1.BatchGetSalesPersonsResponse, error) {
	if err := records.CheckBatch(len(req.GetKeys())); err != nil {
		return nil, err
	}
	ids, keys := splitKeys(req.GetKeys())
	found, err := s.store.Get(ctx, ids, keys)
	if err != nil {
		return nil, storeError(err)
	}
	resp := &identityv1.BatchGetSalesPersonsResponse{SalesPersons: make([]*identityv1.SalesPerson, len(found))}
	for i, p := range found {
		resp.SalesPersons[i] = toProto(p)
	}
	return resp, nil
}

// DeleteSalesPersons implements identityv1.SalesPersonServiceServer.
func (s *Server) DeleteSalesPersons(ctx context.Context, req *identityv1.DeleteSalesPersonsRequest) (*identityv1.DeleteSalesPersonsResponse, error) {
	if err := records.CheckBatch(len(req.GetKeys())); err != nil {
		return nil, err
	}
	results := make([]*commonv1.RecordResult, len(req.GetKeys()))
	var keys []store.Key
	var idx []int
	for i, k := range req.GetKeys() {
		switch v := k.GetKey().(type) {
		case *identityv1.SalesPersonKey_Id:
			keys = append(keys, store.Key{ID: v.Id})
		case *identityv1.SalesPersonKey_ExternalSalesPersonId:
			key := extid.Key(v.ExternalSalesPersonId)
			if key == "" {
				results[i] = records.Skipped(i, 0, &commonv1.Reason{Code: marketo.CodeMissingValue, Message: "Missing value for the required parameter 'externalSalesPersonId'"})
				continue
			}
			keys = append(keys, store.Key{ExternalKey: key})
		default:
			results[i] = records.Skipped(i, 0, &commonv1.Reason{Code: marketo.CodeMissingValue, Message: "Missing value for the required parameter 'externalSalesPersonId' or 'id'"})
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
	return &identityv1.DeleteSalesPersonsResponse{Results: results}, nil
}

func splitKeys(keys []*identityv1.SalesPersonKey) ([]int32, []string) {
	var ids []int32
	var ext []string
	for _, k := range keys {
		switch v := k.GetKey().(type) {
		case *identityv1.SalesPersonKey_Id:
			ids = append(ids, v.Id)
		case *identityv1.SalesPersonKey_ExternalSalesPersonId:
			if key := extid.Key(v.ExternalSalesPersonId); key != "" {
				ext = append(ext, key)
			}
		}
	}
	return ids, ext
}

// storeError maps a store error to a status: contract violations are the caller's fault,
// anything else is internal (the error boundary logs it).
func storeError(err error) error {
	if errors.Is(err, store.ErrInvalid) {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	return err
}

func toProto(p store.SalesPerson) *identityv1.SalesPerson {
	return &identityv1.SalesPerson{
		Id:                    p.ID,
		ExternalSalesPersonId: p.ExternalID,
		Email:                 p.Email,
		FirstName:             p.FirstName,
		LastName:              p.LastName,
		Title:                 p.Title,
		Phone:                 p.Phone,
		MobilePhone:           p.MobilePhone,
		Fax:                   p.Fax,
		CreateTime:            timestamppb.New(p.CreatedAt),
		UpdateTime:            timestamppb.New(p.UpdatedAt),
	}
}
