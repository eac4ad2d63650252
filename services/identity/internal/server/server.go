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
	"unicode/utf8"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	identityv1 "github.com/msisync/msisync/gen/msisync/identity/v1"
	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/platform/pagetoken"
	"github.com/msisync/msisync/services/identity/internal/store"
)

// maxFieldLength is the longest value a string field takes (Marketo's string length).
const maxFieldLength = 255

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
	if err := checkBatch(len(req.GetInput())); err != nil {
		return nil, err
	}
	mode, byID, err := writeMode(req.GetAction(), req.GetDedupeBy())
	if err != nil {
		return nil, err
	}
	results := make([]*commonv1.RecordResult, len(req.GetInput()))
	writes := make([]store.Write, 0, len(req.GetInput()))
	writeIndex := make([]int, 0, len(req.GetInput()))
	seen := make(map[string]bool, len(req.GetInput()))
	for i, in := range req.GetInput() {
		w, reason := toWrite(in, mode, byID)
		if reason == nil {
			key := w.ExternalID.Key
			if byID {
				key = "#" + strconv.Itoa(int(w.ID))
			}
			if seen[key] {
				reason = &commonv1.Reason{Code: marketo.CodeDuplicateInInput, Message: "Duplicate object found in input: " + describeKey(in, byID) + " appears earlier in this request"}
			}
			seen[key] = true
		}
		if reason != nil {
			results[i] = skipped(i, 0, reason)
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
			results[i] = writeResult(i, r, req.GetInput()[i], byID)
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
		results[idx[n]] = skipped(idx[n], w.ID, &commonv1.Reason{Code: marketo.CodeInvalidData,
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

func writeMode(action commonv1.SyncAction, dedupe commonv1.DedupeBy) (store.Mode, bool, error) {
	mode := store.CreateOrUpdate
	switch action {
	case commonv1.SyncAction_SYNC_ACTION_CREATE_ONLY:
		mode = store.CreateOnly
	case commonv1.SyncAction_SYNC_ACTION_UPDATE_ONLY:
		mode = store.UpdateOnly
	case commonv1.SyncAction_SYNC_ACTION_UNSPECIFIED, commonv1.SyncAction_SYNC_ACTION_CREATE_OR_UPDATE:
	default:
		return 0, false, status.Errorf(codes.InvalidArgument, "unknown action %v", action)
	}
	switch dedupe {
	case commonv1.DedupeBy_DEDUPE_BY_UNSPECIFIED, commonv1.DedupeBy_DEDUPE_BY_DEDUPE_FIELDS:
		return mode, false, nil
	case commonv1.DedupeBy_DEDUPE_BY_ID_FIELD:
		if mode != store.UpdateOnly {
			return 0, false, status.Error(codes.InvalidArgument, "dedupeBy idField works only with action updateOnly: records are created by externalSalesPersonId")
		}
		return mode, true, nil
	}
	return 0, false, status.Errorf(codes.InvalidArgument, "unknown dedupeBy %v", dedupe)
}

// toWrite validates one input record and returns its write, or the reason it is skipped.
func toWrite(in *identityv1.SalesPersonInput, mode store.Mode, byID bool) (store.Write, *commonv1.Reason) {
	w := store.Write{Mode: mode, Fields: make(map[store.Field]string, len(store.Fields))}
	if byID {
		if in.Id == nil {
			return w, &commonv1.Reason{Code: marketo.CodeMissingValue, Message: "Missing value for the required parameter 'id'"}
		}
		if in.GetId() <= 0 {
			return w, &commonv1.Reason{Code: marketo.CodeInvalidValue, Message: fmt.Sprintf("Invalid value '%d'. Required of type 'integer' greater than 0", in.GetId())}
		}
		w.ID = in.GetId()
	} else {
		if in.ExternalSalesPersonId == nil || strings.TrimSpace(in.GetExternalSalesPersonId()) == "" {
			return w, &commonv1.Reason{Code: marketo.CodeMissingValue, Message: "Missing value for the required parameter 'externalSalesPersonId'"}
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
		v := strings.TrimSpace(*f.value)
		if !utf8.ValidString(v) {
			return w, &commonv1.Reason{Code: marketo.CodeInvalidValue, Message: fmt.Sprintf("Invalid value for '%s': not valid UTF-8", f.name)}
		}
		if n := utf8.RuneCountInString(v); n > maxFieldLength {
			return w, &commonv1.Reason{Code: marketo.CodeInvalidValue, Message: fmt.Sprintf("Invalid value for '%s': %d characters, at most %d", f.name, n, maxFieldLength)}
		}
		if f.field == store.FieldEmail && v != "" && !plausibleEmail(v) {
			return w, &commonv1.Reason{Code: marketo.CodeInvalidValue, Message: fmt.Sprintf("Invalid value '%s'. Required of type 'email'", v)}
		}
		w.Fields[f.field] = v
	}
	return w, nil
}

// plausibleEmail accepts one @ with something on each side and no spaces.
func plausibleEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && domain != "" && !strings.ContainsAny(s, " \t") && !strings.Contains(domain, "@")
}

func describeKey(in *identityv1.SalesPersonInput, byID bool) string {
	if byID {
		return fmt.Sprintf("id %d", in.GetId())
	}
	return fmt.Sprintf("externalSalesPersonId '%s'", strings.TrimSpace(in.GetExternalSalesPersonId()))
}

func writeResult(i int, r store.WriteResult, in *identityv1.SalesPersonInput, byID bool) *commonv1.RecordResult {
	switch r.Outcome {
	case store.Created:
		return &commonv1.RecordResult{Index: int32(i), Status: commonv1.RecordStatus_RECORD_STATUS_CREATED, Id: r.ID}
	case store.Updated:
		return &commonv1.RecordResult{Index: int32(i), Status: commonv1.RecordStatus_RECORD_STATUS_UPDATED, Id: r.ID}
	case store.AlreadyExists:
		return skipped(i, r.ID, &commonv1.Reason{Code: marketo.CodeObjectExists, Message: "Object already exists: a sales person with " + describeKey(in, byID) + " exists (action createOnly)"})
	default:
		return skipped(i, 0, &commonv1.Reason{Code: marketo.CodeObjectNotFound, Message: "Object not found: no sales person with " + describeKey(in, byID) + " (action updateOnly)"})
	}
}

func skipped(i int, id int32, reason *commonv1.Reason) *commonv1.RecordResult {
	return &commonv1.RecordResult{Index: int32(i), Status: commonv1.RecordStatus_RECORD_STATUS_SKIPPED, Id: id, Reasons: []*commonv1.Reason{reason}}
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
	if err := checkBatch(len(req.GetKeys())); err != nil {
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
	if err := checkBatch(len(req.GetKeys())); err != nil {
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
				results[i] = skipped(i, 0, &commonv1.Reason{Code: marketo.CodeMissingValue, Message: "Missing value for the required parameter 'externalSalesPersonId'"})
				continue
			}
			keys = append(keys, store.Key{ExternalKey: key})
		default:
			results[i] = skipped(i, 0, &commonv1.Reason{Code: marketo.CodeMissingValue, Message: "Missing value for the required parameter 'externalSalesPersonId' or 'id'"})
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
			if r.Deleted {
				results[i] = &commonv1.RecordResult{Index: int32(i), Status: commonv1.RecordStatus_RECORD_STATUS_DELETED, Id: r.ID}
			} else {
				results[i] = skipped(i, 0, &commonv1.Reason{Code: marketo.CodeObjectNotFound, Message: "Record not found"})
			}
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

func checkBatch(n int) error {
	if n == 0 {
		return status.Error(codes.InvalidArgument, "the batch is empty; send 1 to 300 records")
	}
	if n > store.MaxBatch {
		return status.Errorf(codes.InvalidArgument, "the batch has %d records; send at most %d per call", n, store.MaxBatch)
	}
	return nil
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
