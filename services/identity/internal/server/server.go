// Package server implements msisync.identity.v1.SalesPersonService over a store.Store:
// it normalises keys, applies the per-record rules of the MSI sync contract (missing keys,
// repeats within a batch, ids that cannot change) and maps store outcomes to statuses and
// Marketo reason codes.
package server

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	identityv1 "github.com/msisync/msisync/gen/msisync/identity/v1"
	"github.com/msisync/msisync/platform/entity"
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
	mode, byID, err := entity.ParseSync(len(req.GetInput()), req.GetAction(), req.GetDedupeBy())
	if err != nil {
		return nil, err
	}
	inputs := req.GetInput()
	describe := func(in *identityv1.SalesPersonInput) string { return describeKey(in, byID) }
	b := entity.Plan(inputs, func(in *identityv1.SalesPersonInput) (store.Write, string, *commonv1.Reason) {
		w, why := toWrite(in, mode, byID)
		return w, entity.BatchKey(byID, w.ID, w.ExternalID.Key), why
	}, describe)
	if byID {
		if err := s.refuseExternalIDChanges(ctx, inputs, b); err != nil {
			return nil, err
		}
	}
	results, err := entity.Apply(ctx, b, s.store.Write, func(i int, r store.WriteResult) *commonv1.RecordResult {
		return records.Result(i, r.Outcome, r.ID, "sales person with "+describe(inputs[i]))
	})
	if err != nil {
		return nil, err
	}
	return &identityv1.SyncSalesPersonsResponse{Results: results}, nil
}

// refuseExternalIDChanges skips updates by id that would change a record's external id,
// which is its key in the CRM and cannot change once created.
func (s *Server) refuseExternalIDChanges(ctx context.Context, inputs []*identityv1.SalesPersonInput, b *entity.Batch[store.Write]) error {
	return entity.KeepExternalID(ctx, b, func(i int) *string { return inputs[i].ExternalSalesPersonId },
		func(w store.Write) int32 { return w.ID }, s.store.Get,
		func(p store.SalesPerson) (int32, string) { return p.ID, p.ExternalID },
		func(i int, w store.Write) *commonv1.RecordResult {
			return records.Skipped(i, w.ID, records.Reason(marketo.CodeInvalidData,
				"externalSalesPersonId cannot be changed once created; leave it out when updating by id"))
		})
}

// toWrite validates one input record and returns its write, or the reason it is skipped.
func toWrite(in *identityv1.SalesPersonInput, mode records.Mode, byID bool) (store.Write, *commonv1.Reason) {
	w := store.Write{Mode: mode, Fields: make(map[store.Field]string, len(store.Fields))}
	var why *commonv1.Reason
	if byID {
		w.ID, why = entity.RecordID(in.Id)
	} else {
		w.ExternalID, why = entity.ExternalID("externalSalesPersonId", in.ExternalSalesPersonId)
	}
	if why != nil {
		return w, why
	}
	return w, entity.Texts(w.Fields, store.FieldEmail, []entity.Text[store.Field]{
		entity.String("email", store.FieldEmail, in.Email),
		entity.String("firstName", store.FieldFirstName, in.FirstName),
		entity.String("lastName", store.FieldLastName, in.LastName),
		entity.String("title", store.FieldTitle, in.Title),
		entity.String("phone", store.FieldPhone, in.Phone),
		entity.String("mobilePhone", store.FieldMobilePhone, in.MobilePhone),
		entity.String("fax", store.FieldFax, in.Fax),
	})
}

func describeKey(in *identityv1.SalesPersonInput, byID bool) string {
	if byID {
		return fmt.Sprintf("id %d", in.GetId())
	}
	return fmt.Sprintf("externalSalesPersonId '%s'", strings.TrimSpace(in.GetExternalSalesPersonId()))
}

// ListSalesPersons implements identityv1.SalesPersonServiceServer.
func (s *Server) ListSalesPersons(ctx context.Context, req *identityv1.ListSalesPersonsRequest) (*identityv1.ListSalesPersonsResponse, error) {
	page, err := entity.NewPage(len(req.GetFilterValues()), req.GetPageSize())
	if err != nil {
		return nil, err
	}
	f := store.Filter{Limit: page.Size + 1}
	var normalised []string
	switch req.GetFilterField() {
	case identityv1.SalesPersonField_SALES_PERSON_FIELD_ID:
		f.By = store.ByID
		if f.IDs, normalised, err = entity.ParseIDs(req.GetFilterValues(), "id"); err != nil {
			return nil, err
		}
	case identityv1.SalesPersonField_SALES_PERSON_FIELD_EXTERNAL_SALES_PERSON_ID:
		f.By, f.Keys = store.ByExternalKey, entity.ExternalKeys(req.GetFilterValues())
	case identityv1.SalesPersonField_SALES_PERSON_FIELD_EMAIL:
		f.By, f.Keys = store.ByEmail, entity.Folded(req.GetFilterValues(), false)
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
	found, next, err := entity.Trim(page, found, func(p store.SalesPerson) int64 { return int64(p.ID) })
	if err != nil {
		return nil, err
	}
	return &identityv1.ListSalesPersonsResponse{SalesPersons: entity.Protos(found, toProto), NextPageToken: next}, nil
}

// BatchGetSalesPersons implements identityv1.SalesPersonServiceServer.
func (s *Server) BatchGetSalesPersons(ctx context.Context, req *identityv1.BatchGetSalesPersonsRequest) (*identityv1.BatchGetSalesPersonsResponse, error) {
	found, err := entity.Get(ctx, req.GetKeys(), storeKey, entity.KeyParts, s.store.Get, toProto)
	if err != nil {
		return nil, err
	}
	return &identityv1.BatchGetSalesPersonsResponse{SalesPersons: found}, nil
}

// DeleteSalesPersons implements identityv1.SalesPersonServiceServer.
func (s *Server) DeleteSalesPersons(ctx context.Context, req *identityv1.DeleteSalesPersonsRequest) (*identityv1.DeleteSalesPersonsResponse, error) {
	results, err := entity.Delete(ctx, req.GetKeys(), storeKey, s.store.Delete, entity.Deleted)
	if err != nil {
		return nil, err
	}
	return &identityv1.DeleteSalesPersonsResponse{Results: results}, nil
}

// storeKey reads a request key, or returns why it names no record.
func storeKey(k *identityv1.SalesPersonKey) (store.Key, *commonv1.Reason) {
	switch v := k.GetKey().(type) {
	case *identityv1.SalesPersonKey_Id:
		return store.Key{ID: v.Id}, nil
	case *identityv1.SalesPersonKey_ExternalSalesPersonId:
		key, why := entity.ExternalKey(v.ExternalSalesPersonId, "externalSalesPersonId")
		return store.Key{ExternalKey: key}, why
	}
	return store.Key{}, records.Missing("externalSalesPersonId' or 'id")
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
