package insight

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	identityv1 "github.com/msisync/msisync/gen/msisync/identity/v1"
	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/platform/pagetoken"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// Limits of the CRM-side API.
const (
	maxCrmBatch       = 1000 // users, or findings and resolved keys together, per report
	maxSourceLength   = 50
	maxUserField      = 255 // email and full name
	maxMessageLength  = 1000
	maxFindingsPage   = 300
	defaultFindings   = 100
	identityBatchSize = 300 // sales persons per BatchGetSalesPersons
)

func invalid(format string, args ...any) error {
	return status.Errorf(codes.InvalidArgument, format, args...)
}

// internal hides a store error's detail behind a status.
func internal(err error) error {
	if _, ok := status.FromError(err); ok {
		return err
	}
	return status.Error(codes.Internal, err.Error())
}

// standardMessages are the sentences of the finding kinds whose report leaves the message
// empty.
var standardMessages = map[store.CrmFindingKind]string{
	store.TeamOwner:       "the CRM record is owned by a team, not a user: MSI shows a record to its owner's sales person, so assign it to a user",
	store.ParentIsContact: "the contact's parent customer is another contact, not an account: there is no company to link it to, so make an account its parent customer",
	store.InactiveOwner:   "the CRM record is owned by a disabled or application user, which is not synced as a sales person: assign it to an active user",
	store.DeletedInCrm:    "the CRM record was deleted in the CRM: msisync keeps it, flagged as deleted, out of Best Bets and the writeback feed, until the CRM restores it",
}

// emailMismatch is the sentence of a sales person whose email differs from its CRM user's.
func emailMismatch(id, email, crmEmail string) string {
	return fmt.Sprintf("sales person '%s' has the email %s in msisync but the CRM user's email is %s: MSI matches them by email, so make them equal", id, email, crmEmail)
}

// sameEmail reports whether two emails are equal, compared case-insensitively.
func sameEmail(a, b string) bool {
	return extid.Fold(strings.TrimSpace(a)) == extid.Fold(strings.TrimSpace(b))
}

// source checks the reporting connector's name.
func source(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	switch n := utf8.RuneCountInString(s); {
	case n == 0:
		return "", invalid("source is required: name the CRM connector that reports, for example \"dynamics\"")
	case n > maxSourceLength:
		return "", invalid("source is %d characters long, at most %d", n, maxSourceLength)
	}
	return s, nil
}

// objectType checks a required (or, with optional, filtering) object type.
func objectType(t orchestratorv1.SyncObjectType, field string, optional bool) (store.ObjectType, error) {
	if t == orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_UNSPECIFIED && !optional {
		return 0, invalid("%s is required (a name it does not know reads as unspecified): give SYNC_OBJECT_TYPE_SALES_PERSON, _COMPANY, _LEAD, _OPPORTUNITY or _OPPORTUNITY_ROLE", field)
	}
	if t < 0 || t > orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_OPPORTUNITY_ROLE {
		return 0, invalid("%s %d is not an object type", field, t)
	}
	return store.ObjectType(t), nil
}

// findingKind checks a finding kind given as input (stored findings and resolved keys).
func findingKind(k orchestratorv1.CrmFindingKind, field string) (store.CrmFindingKind, error) {
	switch k {
	case orchestratorv1.CrmFindingKind_CRM_FINDING_KIND_UNSPECIFIED:
		return 0, invalid("%s is required (a name it does not know reads as unspecified): give CRM_FINDING_KIND_TEAM_OWNER, _PARENT_IS_CONTACT, _INACTIVE_OWNER, _OTHER or _DELETED_IN_CRM", field)
	case orchestratorv1.CrmFindingKind_CRM_FINDING_KIND_SALES_PERSON_EMAIL_MISMATCH:
		return 0, invalid("%s is CRM_FINDING_KIND_SALES_PERSON_EMAIL_MISMATCH, which msisync computes from the reported CRM users: report the users (POST /v1/crm/users) instead", field)
	case orchestratorv1.CrmFindingKind_CRM_FINDING_KIND_TEAM_OWNER, orchestratorv1.CrmFindingKind_CRM_FINDING_KIND_PARENT_IS_CONTACT,
		orchestratorv1.CrmFindingKind_CRM_FINDING_KIND_INACTIVE_OWNER, orchestratorv1.CrmFindingKind_CRM_FINDING_KIND_OTHER,
		orchestratorv1.CrmFindingKind_CRM_FINDING_KIND_DELETED_IN_CRM:
		return store.CrmFindingKind(k), nil
	}
	return 0, invalid("%s %d is not a CRM finding kind", field, k)
}

// externalID checks and canonicalises a required external id.
func externalID(raw, field string) (extid.ID, error) {
	id, err := extid.Normalize(raw)
	if err != nil {
		return extid.ID{}, invalid("%s: %v", field, err)
	}
	return id, nil
}

// findingKey checks a finding's key; field names it in messages.
func findingKey(t orchestratorv1.SyncObjectType, rawID string, k orchestratorv1.CrmFindingKind, field string) (store.CrmFindingKey, string, error) {
	ot, err := objectType(t, field+".object_type", false)
	if err != nil {
		return store.CrmFindingKey{}, "", err
	}
	id, err := externalID(rawID, field+".external_id")
	if err != nil {
		return store.CrmFindingKey{}, "", err
	}
	kind, err := findingKind(k, field+".kind")
	if err != nil {
		return store.CrmFindingKey{}, "", err
	}
	return store.CrmFindingKey{ObjectType: ot, ExternalID: id.Canonical, Kind: kind}, fmt.Sprintf("%d|%s|%d", ot, id.Key, kind), nil
}

// ReportCrmUsers implements orchestratorv1.InsightServiceServer.
func (s *Server) ReportCrmUsers(ctx context.Context, req *orchestratorv1.ReportCrmUsersRequest) (*orchestratorv1.ReportCrmUsersResponse, error) {
	src, err := source(req.GetSource())
	if err != nil {
		return nil, err
	}
	switch n := len(req.GetUsers()); {
	case n == 0:
		return nil, invalid("users is empty: report 1 to %d CRM users", maxCrmBatch)
	case n > maxCrmBatch:
		return nil, invalid("users holds %d CRM users, at most %d per call: split the report", n, maxCrmBatch)
	}
	users := make([]store.CrmUser, len(req.GetUsers()))
	seen := make(map[string]int, len(req.GetUsers()))
	for i, u := range req.GetUsers() {
		id, err := externalID(u.GetExternalSalesPersonId(), fmt.Sprintf("users[%d].external_sales_person_id", i))
		if err != nil {
			return nil, err
		}
		if j, ok := seen[id.Key]; ok {
			return nil, invalid("users[%d] repeats the external_sales_person_id '%s' of users[%d]: report each user once", i, id.Canonical, j)
		}
		seen[id.Key] = i
		email, name := strings.TrimSpace(u.GetEmail()), strings.TrimSpace(u.GetFullName())
		if n := utf8.RuneCountInString(email); n > maxUserField {
			return nil, invalid("users[%d].email is %d characters long, at most %d", i, n, maxUserField)
		}
		if n := utf8.RuneCountInString(name); n > maxUserField {
			return nil, invalid("users[%d].full_name is %d characters long, at most %d", i, n, maxUserField)
		}
		users[i] = store.CrmUser{ExternalSalesPersonID: id.Canonical, Source: src, Email: email, FullName: name, Active: u.GetActive()}
	}
	n, err := s.crm.PutCrmUsers(ctx, users, s.now().UTC())
	if err != nil {
		return nil, internal(err)
	}
	return &orchestratorv1.ReportCrmUsersResponse{Stored: int32(n)}, nil
}

// ReportCrmFindings implements orchestratorv1.InsightServiceServer.
func (s *Server) ReportCrmFindings(ctx context.Context, req *orchestratorv1.ReportCrmFindingsRequest) (*orchestratorv1.ReportCrmFindingsResponse, error) {
	src, err := source(req.GetSource())
	if err != nil {
		return nil, err
	}
	switch n := len(req.GetFindings()) + len(req.GetResolved()); {
	case n == 0:
		return nil, invalid("findings and resolved are both empty: report 1 to %d findings and resolved keys together", maxCrmBatch)
	case n > maxCrmBatch:
		return nil, invalid("findings and resolved hold %d entries together, at most %d per call: split the report", n, maxCrmBatch)
	}
	seen := map[string]string{} // key → the entry that named it
	findings := make([]store.CrmFinding, len(req.GetFindings()))
	for i, f := range req.GetFindings() {
		field := fmt.Sprintf("findings[%d]", i)
		key, k, err := findingKey(f.GetObjectType(), f.GetExternalId(), f.GetKind(), field)
		if err != nil {
			return nil, err
		}
		if prev, ok := seen[k]; ok {
			return nil, invalid("%s repeats the finding of %s (same object_type, external_id and kind): report each finding once", field, prev)
		}
		seen[k] = field
		msg := strings.TrimSpace(f.GetMessage())
		switch n := utf8.RuneCountInString(msg); {
		case n > maxMessageLength:
			return nil, invalid("%s.message is %d characters long, at most %d", field, n, maxMessageLength)
		case n == 0 && key.Kind == store.OtherFinding:
			return nil, invalid("%s.message is required for CRM_FINDING_KIND_OTHER: say what was found and what to do about it", field)
		case n == 0:
			msg = standardMessages[key.Kind]
		}
		findings[i] = store.CrmFinding{CrmFindingKey: key, Source: src, Message: msg}
	}
	resolved := make([]store.CrmFindingKey, len(req.GetResolved()))
	for i, r := range req.GetResolved() {
		field := fmt.Sprintf("resolved[%d]", i)
		key, k, err := findingKey(r.GetObjectType(), r.GetExternalId(), r.GetKind(), field)
		if err != nil {
			return nil, err
		}
		if prev, ok := seen[k]; ok {
			return nil, invalid("%s names the finding of %s again: a finding is either reported or resolved, once", field, prev)
		}
		seen[k] = field
		resolved[i] = key
	}
	stored, deleted, err := s.crm.ReportCrmFindings(ctx, findings, resolved, s.now().UTC())
	if err != nil {
		return nil, internal(err)
	}
	return &orchestratorv1.ReportCrmFindingsResponse{Stored: int32(stored), Resolved: int32(deleted)}, nil
}

// findingCursor is where a page of findings resumes: the last key returned.
type findingCursor struct {
	T  int    `json:"t"`
	ID string `json:"id"`
	K  int    `json:"k"`
}

// position is a finding's place in the list order.
type position struct {
	t    store.ObjectType
	key  string
	kind store.CrmFindingKind
}

func positionOf(k store.CrmFindingKey) position {
	return position{t: k.ObjectType, key: extid.Fold(k.ExternalID), kind: k.Kind}
}

func (a position) compare(b position) int {
	if a.t != b.t {
		return int(a.t) - int(b.t)
	}
	if c := strings.Compare(a.key, b.key); c != 0 {
		return c
	}
	return int(a.kind) - int(b.kind)
}

// ListCrmFindings implements orchestratorv1.InsightServiceServer: the stored findings and
// the computed email mismatches, merged in one order. The mismatches are recomputed for
// every page from all active CRM users (their sales persons read 300 per call), so that
// total_size is exact and pages never skip or repeat a finding.
func (s *Server) ListCrmFindings(ctx context.Context, req *orchestratorv1.ListCrmFindingsRequest) (*orchestratorv1.ListCrmFindingsResponse, error) {
	size := defaultFindings
	switch n := req.GetPageSize(); {
	case n < 0 || n > maxFindingsPage:
		return nil, invalid("page_size %d is out of range: use 1 to %d", n, maxFindingsPage)
	case n > 0:
		size = int(n)
	}
	ot, err := objectType(req.GetObjectType(), "object_type", true)
	if err != nil {
		return nil, err
	}
	kind := store.CrmFindingKind(req.GetKind())
	if kind < 0 || kind > store.DeletedInCrm {
		return nil, invalid("kind %d is not a CRM finding kind", req.GetKind())
	}
	query := pagetoken.Query("crm-findings", fmt.Sprint(int(ot)), fmt.Sprint(int(kind)))
	q := store.CrmFindingQuery{ObjectType: ot, Kind: kind, Limit: size + 1}
	if tok := req.GetPageToken(); tok != "" {
		var c findingCursor
		if err := s.pages.Decode(tok, query, &c); err != nil || c.T <= 0 {
			return nil, invalid("page_token is not valid for this query: start again without it")
		}
		q.After = store.CrmFindingKey{ObjectType: store.ObjectType(c.T), ExternalID: c.ID, Kind: store.CrmFindingKind(c.K)}
	}

	var page []store.CrmFinding
	total := 0
	if kind != store.SalesPersonEmailMismatch {
		if page, err = s.crm.ListCrmFindings(ctx, q); err != nil {
			return nil, internal(err)
		}
		if total, err = s.crm.CountCrmFindings(ctx, q); err != nil {
			return nil, internal(err)
		}
	}
	if (ot == 0 || ot == store.SalesPerson) && (kind == 0 || kind == store.SalesPersonEmailMismatch) {
		computed, err := s.emailMismatches(ctx)
		if err != nil {
			return nil, err
		}
		total += len(computed)
		after := positionOf(q.After)
		for _, f := range computed {
			if q.After.ObjectType == 0 || positionOf(f.CrmFindingKey).compare(after) > 0 {
				page = append(page, f)
			}
		}
		slices.SortStableFunc(page, func(a, b store.CrmFinding) int {
			return positionOf(a.CrmFindingKey).compare(positionOf(b.CrmFindingKey))
		})
	}

	resp := &orchestratorv1.ListCrmFindingsResponse{TotalSize: int32(total)}
	if len(page) > size {
		page = page[:size]
		last := page[size-1]
		if resp.NextPageToken, err = s.pages.Encode(query, findingCursor{T: int(last.ObjectType), ID: last.ExternalID, K: int(last.Kind)}); err != nil {
			return nil, internal(err)
		}
	}
	for _, f := range page {
		resp.Findings = append(resp.Findings, &orchestratorv1.CrmFinding{
			ObjectType: orchestratorv1.SyncObjectType(f.ObjectType),
			ExternalId: f.ExternalID,
			Kind:       orchestratorv1.CrmFindingKind(f.Kind),
			Message:    f.Message,
			UpdateTime: timestamppb.New(f.UpdateTime),
		})
	}
	return resp, nil
}

// emailMismatches computes the SALES_PERSON_EMAIL_MISMATCH findings, in key order: every
// active CRM user with an email whose sales person is synced with a different, non-empty
// email (a sales person without an email is the diagnostics' "sales person has an email"
// check). Sales persons are read 300 per call.
func (s *Server) emailMismatches(ctx context.Context) ([]store.CrmFinding, error) {
	var out []store.CrmFinding
	after := ""
	for {
		users, err := s.crm.ListCrmUsers(ctx, after, true, identityBatchSize)
		if err != nil {
			return nil, internal(err)
		}
		if len(users) == 0 {
			return out, nil
		}
		after = extid.Fold(users[len(users)-1].ExternalSalesPersonID)
		keys := make([]*identityv1.SalesPersonKey, 0, len(users))
		for _, u := range users {
			if u.Email != "" {
				keys = append(keys, &identityv1.SalesPersonKey{Key: &identityv1.SalesPersonKey_ExternalSalesPersonId{ExternalSalesPersonId: u.ExternalSalesPersonID}})
			}
		}
		if len(keys) > 0 {
			got, err := s.links.SalesPersons.BatchGetSalesPersons(ctx, &identityv1.BatchGetSalesPersonsRequest{Keys: keys})
			if err != nil {
				return nil, err
			}
			emails := make(map[string]string, len(got.GetSalesPersons()))
			for _, sp := range got.GetSalesPersons() {
				emails[extid.Key(sp.GetExternalSalesPersonId())] = sp.GetEmail()
			}
			for _, u := range users {
				email, ok := emails[extid.Key(u.ExternalSalesPersonID)]
				if !ok || u.Email == "" || email == "" || sameEmail(email, u.Email) {
					continue
				}
				out = append(out, store.CrmFinding{
					CrmFindingKey: store.CrmFindingKey{ObjectType: store.SalesPerson, ExternalID: u.ExternalSalesPersonID, Kind: store.SalesPersonEmailMismatch},
					Source:        u.Source,
					Message:       emailMismatch(u.ExternalSalesPersonID, email, u.Email),
					UpdateTime:    u.UpdateTime,
				})
			}
		}
		if len(users) < identityBatchSize {
			return out, nil
		}
	}
}
