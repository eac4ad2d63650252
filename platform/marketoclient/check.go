package marketoclient

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/msisync/msisync/platform/marketo"
)

// CheckReport is what the preflight check found.
type CheckReport struct {
	// Lines are the checks that passed, one sentence each.
	Lines []string
	// Usage is Marketo's count of today's calls; UsageKnown is false when the instance did
	// not report it.
	Usage      Usage
	UsageKnown bool
	// Status is the client's status after the check (its own calls, the limits).
	Status Status
}

// CheckError is a preflight failure: Fix says what to do about it.
type CheckError struct {
	Fix string
	Err error
}

func (e *CheckError) Error() string { return e.Fix }
func (e *CheckError) Unwrap() error { return e.Err }

// msiNonNative is the sentence for an instance without the MSI non-native sync.
const msiNonNative = "MSI non-native is not enabled on this instance: ask Marketo support to enable \"MSI Non-Native\""

// Check is the preflight of `msisync marketo check`. It writes nothing to the instance:
//
//   - the credentials: a token from the identity service;
//   - the MSI non-native fields: the sales persons, companies and leads describes must list
//     externalSalesPersonId, externalCompanyId and externalPersonId (a sales persons API
//     that answers 610 means the feature is off);
//   - reading the lead database: the leads describe and a query by externalPersonId;
//   - writing it: the API user's permissions cannot be read through the API, so Check sends
//     an updateOnly Sync Leads of one lead keyed by an externalPersonId no lead has. Marketo
//     checks the Read-Write Lead permission before it looks at the records (603 without
//     it) and skips the record because updateOnly never creates (1004); nothing is written
//     even if the key existed, since the record carries only its key;
//   - the lead fields msisync will send besides the standard ones (leadFields: the custom
//     fields MSISYNC_CUSTOM_FIELDS declares) must be in the leads describe: msisync sends
//     each with every lead, and Marketo skips a lead with an unknown field (1006);
//   - today's quota use (GET /rest/v1/stats/usage.json), when the instance reports it.
//
// It returns the report and a *CheckError for the first check that failed.
func (c *Client) Check(ctx context.Context, leadFields ...string) (rep CheckReport, err error) {
	defer func() { rep.Status = c.Status() }()
	if _, err := c.accessToken(ctx); err != nil {
		return rep, explainCheck(err, "getting an access token from "+c.cfg.identityURL())
	}
	rep.Lines = append(rep.Lines, "credentials: Marketo issued an access token")

	for _, want := range []struct {
		obj   Object
		field string
		perm  string
	}{
		{SalesPersons, "externalSalesPersonId", "Read-Write Sales Person"},
		{Companies, "externalCompanyId", "Read-Write Company"},
		{Leads, "externalPersonId", "Read-Write Lead"},
	} {
		d, err := c.Describe(ctx, want.obj)
		var api *APIError
		switch {
		case errors.As(err, &api) && api.Code == marketo.CodeResourceNotFound && want.obj != Leads:
			return rep, &CheckError{Fix: msiNonNative + " (the " + string(want.obj) + " API answered 610 Requested resource not found)", Err: err}
		case err != nil:
			return rep, explainCheck(err, "describing "+string(want.obj)+", which needs the "+want.perm+" permission")
		}
		if _, ok := d.Field(want.field); !ok {
			return rep, &CheckError{Fix: fmt.Sprintf("%s (the %s describe has no %s field)", msiNonNative, want.obj, want.field)}
		}
		rep.Lines = append(rep.Lines, fmt.Sprintf("%s: readable, with the MSI field %s (%d fields)", want.obj, want.field, len(d.Fields)))
		if want.obj == Leads && len(leadFields) > 0 {
			for _, f := range leadFields {
				if _, ok := d.Field(f); !ok {
					return rep, &CheckError{Fix: fmt.Sprintf("the leads describe has no field %s, which MSISYNC_CUSTOM_FIELDS declares: msisync sends it with every lead and Marketo would skip them all (1006); create it in Admin → Field Management, or remove it from MSISYNC_CUSTOM_FIELDS", f)}
				}
			}
			rep.Lines = append(rep.Lines, fmt.Sprintf("leads: with the declared custom fields %s", strings.Join(leadFields, ", ")))
		}
	}

	probe := probeKey()
	if _, err := c.QueryLeads(ctx, "externalPersonId", []string{probe}, []string{"id", "externalPersonId"}, ""); err != nil {
		return rep, explainCheck(err, "querying leads by externalPersonId, which needs the Read-Only Lead permission and a searchable externalPersonId")
	}
	rep.Lines = append(rep.Lines, "lead database: readable (a query by externalPersonId answered)")
	res, err := c.SyncLeads(ctx, LeadSyncRequest{Action: "updateOnly", LookupField: "externalPersonId", Input: []Record{{"externalPersonId": probe}}})
	if err != nil {
		return rep, explainCheck(err, "an updateOnly Sync Leads of a lead that does not exist, which needs the Read-Write Lead permission")
	}
	if len(res) == 1 && res[0].Status != "skipped" {
		return rep, &CheckError{Fix: fmt.Sprintf("an updateOnly Sync Leads of the unknown externalPersonId %s answered %q instead of skipping it: check the instance's lead deduplication settings", probe, res[0].Status)}
	}
	rep.Lines = append(rep.Lines, "lead database: writable (Marketo accepted an updateOnly Sync Leads and, as expected, skipped its unknown lead)")

	u, err := c.DailyUsage(ctx)
	var api *APIError
	switch {
	case err == nil:
		rep.Usage, rep.UsageKnown = u, true
	case errors.As(err, &api):
		// Not every Marketo-compatible endpoint reports usage; the check does not depend on it.
	default:
		return rep, explainCheck(err, "reading today's API usage")
	}
	return rep, nil
}

// explainCheck turns a failed call into the sentence that says what to fix.
func explainCheck(err error, doing string) error {
	var auth *AuthError
	var api *APIError
	var quota *QuotaError
	switch {
	case errors.As(err, &auth):
		return &CheckError{Fix: auth.Error(), Err: err}
	case errors.As(err, &quota):
		return &CheckError{Fix: quota.Error(), Err: err}
	case errors.As(err, &api) && api.Code == marketo.CodeAccessDenied:
		return &CheckError{Fix: "Marketo denied access (603) " + doing + ": give the API user's role that permission (Admin → Users & Roles)", Err: err}
	case errors.As(err, &api):
		return &CheckError{Fix: "Marketo answered " + api.Code + " " + api.Message + " " + doing, Err: err}
	}
	return &CheckError{Fix: "could not reach Marketo " + doing + ": " + err.Error() + " (check MSISYNC_MARKETO_URL and the network)", Err: err}
}

// probeKey is an externalPersonId no real lead has.
func probeKey() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "msisync-preflight-" + hex.EncodeToString(b)
}
