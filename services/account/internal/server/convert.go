package server

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/timestamppb"

	accountv1 "github.com/msisync/msisync/gen/msisync/account/v1"
	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	"github.com/msisync/msisync/platform/entity"
	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/platform/records"
	"github.com/msisync/msisync/services/account/internal/store"
)

// maxExternalCompanyID is the longest externalCompanyId, in characters (Marketo's describe).
const maxExternalCompanyID = 100

// maxNotesLength is the longest companyNotes, in characters: free text, like a description.
const maxNotesLength = 65535

// textFields pairs each text field with its Marketo name, its value in in and its longest
// length.
func textFields(in *accountv1.CompanyInput) []entity.Text[store.Field] {
	return []entity.Text[store.Field]{
		entity.String("company", store.FieldCompany, in.Company),
		entity.String("site", store.FieldSite, in.Site),
		entity.String("website", store.FieldWebsite, in.Website),
		entity.String("mainPhone", store.FieldMainPhone, in.MainPhone),
		entity.String("industry", store.FieldIndustry, in.Industry),
		entity.String("sicCode", store.FieldSICCode, in.SicCode),
		entity.String("billingStreet", store.FieldBillingStreet, in.BillingStreet),
		entity.String("billingCity", store.FieldBillingCity, in.BillingCity),
		entity.String("billingState", store.FieldBillingState, in.BillingState),
		entity.String("billingPostalCode", store.FieldBillingPostalCode, in.BillingPostalCode),
		entity.String("billingCountry", store.FieldBillingCountry, in.BillingCountry),
		{Name: "companyNotes", Field: store.FieldCompanyNotes, Value: in.CompanyNotes, Max: maxNotesLength},
	}
}

// toWrite validates one input record and returns its write, or the reason it is skipped.
func toWrite(in *accountv1.CompanyInput, mode records.Mode, byID bool) (store.Write, *commonv1.Reason) {
	w := store.Write{Mode: mode, Fields: make(map[store.Field]string, len(store.Fields))}
	var why *commonv1.Reason
	if byID {
		w.ID, why = entity.RecordID(in.Id)
	} else if w.ExternalID, why = entity.ExternalID("externalCompanyId", in.ExternalCompanyId); why == nil {
		if n := utf8.RuneCountInString(w.ExternalID.Canonical); n > maxExternalCompanyID {
			why = records.Reason(marketo.CodeInvalidValue, "Invalid value for 'externalCompanyId': external id is %d characters long; the limit is %d", n, maxExternalCompanyID)
		}
	}
	if why != nil {
		return w, why
	}
	if in.ExternalSalesPersonId != nil {
		// Present but blank would leave the company without an owner, which it must have.
		if w.SalesPerson, why = entity.ExternalID("externalSalesPersonId", in.ExternalSalesPersonId); why != nil {
			return w, why
		}
	}
	if why := entity.Texts(w.Fields, "", textFields(in)); why != nil {
		return w, why
	}
	if in.NumberOfEmployees != nil {
		if n := in.GetNumberOfEmployees(); n < 0 {
			return w, records.Reason(marketo.CodeInvalidValue, "Invalid value '%d' for 'numberOfEmployees'. Required of type 'integer' of 0 or more", n)
		}
		w.NumberOfEmployees = in.NumberOfEmployees
	}
	if in.AnnualRevenue != nil {
		if v := in.GetAnnualRevenue(); math.IsNaN(v) || math.IsInf(v, 0) {
			return w, records.Reason(marketo.CodeInvalidValue, "Invalid value '%v' for 'annualRevenue'. Required of type 'currency' (a finite number)", v)
		}
		w.AnnualRevenue = in.AnnualRevenue
	}
	return w, nil
}

// describeKey names an input record by its key, for reasons.
func describeKey(in *accountv1.CompanyInput, byID bool) string {
	if byID {
		return fmt.Sprintf("id %d", in.GetId())
	}
	return fmt.Sprintf("externalCompanyId '%s'", strings.TrimSpace(in.GetExternalCompanyId()))
}

func toProto(c store.Company) *accountv1.Company {
	return &accountv1.Company{
		Id:                    c.ID,
		ExternalCompanyId:     c.ExternalID,
		ExternalSalesPersonId: c.SalesPersonID,
		Company:               c.Company,
		Site:                  c.Site,
		Website:               c.Website,
		MainPhone:             c.MainPhone,
		Industry:              c.Industry,
		SicCode:               c.SICCode,
		NumberOfEmployees:     c.NumberOfEmployees,
		AnnualRevenue:         c.AnnualRevenue,
		BillingStreet:         c.BillingStreet,
		BillingCity:           c.BillingCity,
		BillingState:          c.BillingState,
		BillingPostalCode:     c.BillingPostalCode,
		BillingCountry:        c.BillingCountry,
		CompanyNotes:          c.CompanyNotes,
		CreateTime:            timestamppb.New(c.CreatedAt),
		UpdateTime:            timestamppb.New(c.UpdatedAt),
	}
}
