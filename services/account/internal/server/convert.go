package server

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/timestamppb"

	accountv1 "github.com/msisync/msisync/gen/msisync/account/v1"
	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/platform/records"
	"github.com/msisync/msisync/services/account/internal/store"
)

// maxExternalCompanyID is the longest externalCompanyId, in characters (Marketo's describe).
const maxExternalCompanyID = 100

// maxNotesLength is the longest companyNotes, in characters: free text, like a description.
const maxNotesLength = 65535

// textField ties an input's optional text field to its store field and Marketo name.
type textField struct {
	name  string
	field store.Field
	value *string
	max   int
}

func textFields(in *accountv1.CompanyInput) []textField {
	return []textField{
		{"company", store.FieldCompany, in.Company, records.MaxTextLength},
		{"site", store.FieldSite, in.Site, records.MaxTextLength},
		{"website", store.FieldWebsite, in.Website, records.MaxTextLength},
		{"mainPhone", store.FieldMainPhone, in.MainPhone, records.MaxTextLength},
		{"industry", store.FieldIndustry, in.Industry, records.MaxTextLength},
		{"sicCode", store.FieldSICCode, in.SicCode, records.MaxTextLength},
		{"billingStreet", store.FieldBillingStreet, in.BillingStreet, records.MaxTextLength},
		{"billingCity", store.FieldBillingCity, in.BillingCity, records.MaxTextLength},
		{"billingState", store.FieldBillingState, in.BillingState, records.MaxTextLength},
		{"billingPostalCode", store.FieldBillingPostalCode, in.BillingPostalCode, records.MaxTextLength},
		{"billingCountry", store.FieldBillingCountry, in.BillingCountry, records.MaxTextLength},
		{"companyNotes", store.FieldCompanyNotes, in.CompanyNotes, maxNotesLength},
	}
}

// toWrite validates one input record and returns its write, or the reason it is skipped.
func toWrite(in *accountv1.CompanyInput, mode records.Mode, byID bool) (store.Write, *commonv1.Reason) {
	w := store.Write{Mode: mode, Fields: make(map[store.Field]string, len(store.Fields))}
	if byID {
		if in.Id == nil {
			return w, records.Missing("id")
		}
		if in.GetId() <= 0 {
			return w, records.Reason(marketo.CodeInvalidValue, "Invalid value '%d'. Required of type 'integer' greater than 0", in.GetId())
		}
		w.ID = in.GetId()
	} else {
		if in.ExternalCompanyId == nil || strings.TrimSpace(in.GetExternalCompanyId()) == "" {
			return w, records.Missing("externalCompanyId")
		}
		id, err := extid.Normalize(in.GetExternalCompanyId())
		if err == nil && utf8.RuneCountInString(id.Canonical) > maxExternalCompanyID {
			err = fmt.Errorf("external id is %d characters long; the limit is %d", utf8.RuneCountInString(id.Canonical), maxExternalCompanyID)
		}
		if err != nil {
			return w, records.Reason(marketo.CodeInvalidValue, "Invalid value for 'externalCompanyId': %v", err)
		}
		w.ExternalID = id
	}
	if in.ExternalSalesPersonId != nil {
		// Present but blank would leave the company without an owner, which it must have.
		if strings.TrimSpace(in.GetExternalSalesPersonId()) == "" {
			return w, records.Missing("externalSalesPersonId")
		}
		owner, err := extid.Normalize(in.GetExternalSalesPersonId())
		if err != nil {
			return w, records.Reason(marketo.CodeInvalidValue, "Invalid value for 'externalSalesPersonId': %v", err)
		}
		w.SalesPerson = owner
	}
	for _, f := range textFields(in) {
		if f.value == nil {
			continue
		}
		v, why := records.Text(f.name, *f.value, f.max)
		if why != nil {
			return w, why
		}
		w.Fields[f.field] = v
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
