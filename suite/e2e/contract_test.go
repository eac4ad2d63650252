package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// contractsDir holds Adobe's Marketo swagger files, copied into the repository as test
// data with their licence and source (testdata/marketo-contract/SOURCE.md).
const contractsDir = "testdata/marketo-contract"

// contract is one swagger file converted to OpenAPI 3, with a router for the running suite.
type contract struct {
	doc    *openapi3.T
	router routers.Router
}

// loadContract reads a Swagger 2.0 file, converts it to OpenAPI 3 and routes it at base.
//
// The files load and pass doc.Validate unmodified. Two things change after that: the
// activity attribute value is untyped (see untypeActivityAttributeValue), and the server:
// the swagger says host localhost:8080, scheme https, basePath /, which ToV3 turns into
// https://localhost:8080/; it is replaced with the suite's own http://127.0.0.1:<port> so
// the router matches real requests.
func loadContract(t *testing.T, dir, file, base string) contract {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatalf("reading the contract: %v", err)
	}
	var v2 openapi2.T
	if err := json.Unmarshal(raw, &v2); err != nil {
		t.Fatalf("%s is not a Swagger 2.0 document: %v", file, err)
	}
	doc, err := openapi2conv.ToV3(&v2)
	if err != nil {
		t.Fatalf("converting %s to OpenAPI 3: %v", file, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("%s converted to OpenAPI 3 is not valid: %v", file, err)
	}
	untypeActivityAttributeValue(doc)
	doc.Servers = openapi3.Servers{{URL: base}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("routing %s: %v", file, err)
	}
	return contract{doc: doc, router: router}
}

// untypeActivityAttributeValue corrects the one place where the swagger contradicts the
// API it describes: an activity attribute's "value" is typed as an object, while Marketo
// returns the attribute's plain value (a string, a number or a date), as its
// documentation's examples show — the generator rendered a Java Object as "object". Every
// other schema is used exactly as Adobe publishes it.
func untypeActivityAttributeValue(doc *openapi3.T) {
	if attr := doc.Components.Schemas["Attribute"]; attr != nil && attr.Value != nil {
		if v := attr.Value.Properties["value"]; v != nil && v.Value != nil {
			v.Value.Type = nil
		}
	}
}

// auth says which Authorization header a contract case sends.
type auth int

const (
	validToken auth = iota
	noToken
	invalidToken
)

// contractCase is one request to the running suite and the swagger operation its answer
// must satisfy.
type contractCase struct {
	name        string
	spec        string // "mapi" or "identity"
	operationID string // the swagger operation the request must route to
	method      string
	// routeMethod, when set, is the method used to find the swagger operation: Marketo's
	// POST …?_method=GET tunnel answers as the GET operation, which the swagger omits.
	routeMethod string
	path        string        // used when pathFn is nil
	pathFn      func() string // for paths that depend on an earlier answer
	contentType string
	body        any        // used when bodyFn is nil
	bodyFn      func() any // for bodies that depend on an earlier answer
	auth        auth
	// offSpec, when set, says why the request itself deliberately does not match the
	// swagger (error cases, Marketo-accepted variants the swagger omits). Otherwise the
	// request is validated too, so each case exercises the operation as Adobe describes it.
	offSpec string
	// check asserts the answer is the situation the case claims to cover (created,
	// skipped, a next page, error 601…), so a passing validation means something.
	check func(t *testing.T, r response)
	// before, when set, prepares the situation through msisync's own API (score changes,
	// interesting moments), which Adobe's swagger does not describe; call sends with the
	// valid token.
	before func(t *testing.T, call func(method, path string, body any) response)
	// breaks are further controls for answers whose items the swagger types: each damages
	// a copy of the decoded answer in a way the schema forbids and says how; the validator
	// must reject every such copy, so a pass is not a schema that accepts anything.
	breaks []func(body map[string]any) string
}

func TestContractResponsesMatchAdobeSwagger(t *testing.T) {
	t.Parallel()
	dir := contractsDir
	s := startSuite(t, "")
	contracts := map[string]contract{
		"mapi":     loadContract(t, dir, "swagger-mapi.json", s.base),
		"identity": loadContract(t, dir, "swagger-identity.json", s.base),
	}
	tok := s.token()
	since := time.Now().Add(-time.Second).UTC() // before anything the suite records
	creds := url.Values{"grant_type": {"client_credentials"}, "client_id": {testClientID}, "client_secret": {testClientSecret}}.Encode()

	var pageToken string // set by the first page of the paging query
	// The cases run in order against one suite: the sync cases create what the query,
	// paging and delete cases read.
	cases := []contractCase{
		{
			name: "token GET", spec: "identity", operationID: "identityUsingGET",
			method: http.MethodGet, path: "/identity/oauth/token?" + creds, auth: noToken,
			check: wantBody("token_type", "bearer"),
		},
		{
			name: "token POST query", spec: "identity", operationID: "identityUsingPOST",
			method: http.MethodPost, path: "/identity/oauth/token?" + creds, auth: noToken,
			check: wantBody("token_type", "bearer"),
		},
		{
			name: "token POST form", spec: "identity", operationID: "identityUsingPOST",
			method: http.MethodPost, path: "/identity/oauth/token", auth: noToken,
			contentType: "application/x-www-form-urlencoded", body: creds,
			offSpec: "the swagger only lists the credentials as query parameters; Marketo also takes a form body",
			check:   wantBody("token_type", "bearer"),
		},
		{
			name: "sync created and skipped", spec: "mapi", operationID: "syncSalesPersonsUsingPOST",
			method: http.MethodPost, path: "/rest/v1/salespersons.json",
			body: map[string]any{"input": []map[string]any{
				{"externalSalesPersonId": "C-1", "email": "c1@example.com", "firstName": "Cee", "lastName": "One"},
				{"externalSalesPersonId": "C-2", "email": "c2@example.com"},
				{"externalSalesPersonId": "C-3"},
				{"externalSalesPersonId": "C-4"},
				{"externalSalesPersonId": "C-5"},
				{"externalSalesPersonId": "C-1"},
				{"email": "nokey@example.com"},
				{"externalSalesPersonId": "C-x", "shoeSize": 44},
			}},
			check: wantOutcomes("created", "created", "created", "created", "created", "skipped 1036", "skipped 1002", "skipped 1006"),
		},
		{
			name: "sync updated", spec: "mapi", operationID: "syncSalesPersonsUsingPOST",
			method: http.MethodPost, path: "/rest/v1/salespersons.json",
			body: map[string]any{"action": "createOrUpdate", "dedupeBy": "dedupeFields", "input": []map[string]any{
				{"externalSalesPersonId": "C-1", "title": "AE"},
				{"externalSalesPersonId": "C-6"},
			}},
			check: wantOutcomes("updated", "created"),
		},
		{
			name: "sync createOnly skipped", spec: "mapi", operationID: "syncSalesPersonsUsingPOST",
			method: http.MethodPost, path: "/rest/v1/salespersons.json",
			body:  map[string]any{"action": "createOnly", "input": []map[string]any{{"externalSalesPersonId": "C-2"}}},
			check: wantOutcomes("skipped 1017"),
		},
		{
			name: "query with results", spec: "mapi", operationID: "getSalesPersonUsingGET",
			method: http.MethodGet, path: "/rest/v1/salespersons.json?filterType=externalSalesPersonId&filterValues=C-1,C-2",
			check: wantResults(2, false),
		},
		{
			name: "query with fields", spec: "mapi", operationID: "getSalesPersonUsingGET",
			method: http.MethodGet, path: "/rest/v1/salespersons.json?filterType=email&filterValues=c1@example.com,c2@example.com&fields=email,phone,title",
			check: wantResults(2, false),
		},
		{
			name: "query empty", spec: "mapi", operationID: "getSalesPersonUsingGET",
			method: http.MethodGet, path: "/rest/v1/salespersons.json?filterType=externalSalesPersonId&filterValues=never-synced",
			check: wantResults(0, false),
		},
		{
			name: "query first page", spec: "mapi", operationID: "getSalesPersonUsingGET",
			method: http.MethodGet, path: "/rest/v1/salespersons.json?filterType=externalSalesPersonId&filterValues=C-1,C-2,C-3,C-4,C-5&batchSize=2",
			check: func(t *testing.T, r response) {
				wantResults(2, true)(t, r)
				pageToken, _ = r.body["nextPageToken"].(string)
			},
		},
		{
			name: "query next page", spec: "mapi", operationID: "getSalesPersonUsingGET",
			method: http.MethodGet,
			pathFn: func() string {
				return "/rest/v1/salespersons.json?filterType=externalSalesPersonId&filterValues=C-1,C-2,C-3,C-4,C-5&batchSize=2&nextPageToken=" + url.QueryEscape(pageToken)
			},
			check: wantResults(2, true),
		},
		{
			name: "query POST _method=GET", spec: "mapi", operationID: "getSalesPersonUsingGET",
			method: http.MethodPost, routeMethod: http.MethodGet, path: "/rest/v1/salespersons.json?_method=GET",
			contentType: "application/x-www-form-urlencoded",
			body:        url.Values{"filterType": {"externalSalesPersonId"}, "filterValues": {"C-1,C-2,C-3,C-4,C-5"}, "batchSize": {"4"}}.Encode(),
			offSpec:     "the swagger has no POST ?_method=GET form for queries; the answer must still be a query's",
			check:       wantResults(4, true),
		},
		{
			name: "describe", spec: "mapi", operationID: "describeUsingGET_5",
			method: http.MethodGet, path: "/rest/v1/salespersons/describe.json",
			check: wantResults(1, false),
		},
		{
			name: "delete deleted and skipped", spec: "mapi", operationID: "deleteSalesPersonUsingPOST",
			method: http.MethodPost, path: "/rest/v1/salespersons/delete.json",
			body: map[string]any{"deleteBy": "dedupeFields", "input": []map[string]any{
				{"externalSalesPersonId": "C-3"},
				{"externalSalesPersonId": "never-synced"},
			}},
			check: wantOutcomes("deleted", "skipped 1013"),
		},
		{
			name: "error 600 no token", spec: "mapi", operationID: "getSalesPersonUsingGET",
			method: http.MethodGet, path: "/rest/v1/salespersons.json?filterType=id&filterValues=1", auth: noToken,
			check: wantError("600"),
		},
		{
			name: "error 601 invalid token", spec: "mapi", operationID: "getSalesPersonUsingGET",
			method: http.MethodGet, path: "/rest/v1/salespersons.json?filterType=id&filterValues=1", auth: invalidToken,
			check: wantError("601"),
		},
		{
			name: "error 601 invalid token on sync", spec: "mapi", operationID: "syncSalesPersonsUsingPOST",
			method: http.MethodPost, path: "/rest/v1/salespersons.json", auth: invalidToken,
			body:  map[string]any{"input": []map[string]any{{"externalSalesPersonId": "C-601"}}},
			check: wantError("601"),
		},
		{
			name: "error 609 invalid JSON", spec: "mapi", operationID: "syncSalesPersonsUsingPOST",
			method: http.MethodPost, path: "/rest/v1/salespersons.json", contentType: "application/json",
			body:    `{"input":[{"externalSalesPersonId":"bad-json"`,
			offSpec: "the body is deliberately not JSON",
			check:   wantError("609"),
		},
		{
			name: "error 1003 bad action", spec: "mapi", operationID: "syncSalesPersonsUsingPOST",
			method: http.MethodPost, path: "/rest/v1/salespersons.json",
			body:    map[string]any{"action": "upsertMaybe", "input": []map[string]any{{"externalSalesPersonId": "bad-action"}}},
			offSpec: "action is deliberately outside the swagger's enum",
			check:   wantError("1003"),
		},
		{
			name: "error 1003 unknown filterType", spec: "mapi", operationID: "getSalesPersonUsingGET",
			method: http.MethodGet, path: "/rest/v1/salespersons.json?filterType=shoeSize&filterValues=44",
			check: wantError("1003"),
		},
		{
			name: "error 1006 unknown field", spec: "mapi", operationID: "getSalesPersonUsingGET",
			method: http.MethodGet, path: "/rest/v1/salespersons.json?filterType=id&filterValues=1&fields=shoeSize",
			check: wantError("1006"),
		},
	}
	// Steps 2 to 5 of the MSI order, each object's sync, queries, describe and errors;
	// the deletes come last, children first, so that 1022 and deleted are both seen.
	st := &contractState{}
	cases = append(cases, companyCases()...)
	cases = append(cases, leadCases(st)...)
	cases = append(cases, opportunityCases()...)
	cases = append(cases, roleCases(st)...)
	// MSI on the Marketo surface: activities 22 and 46, MSI lead fields, leadScore sync.
	cases = append(cases, insightCases(st, since)...)
	cases = append(cases, deleteCases(st)...)

	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			path := tc.path
			if tc.pathFn != nil {
				path = tc.pathFn()
			}
			token := ""
			switch tc.auth {
			case validToken:
				token = tok
			case invalidToken:
				token = "not-a-token"
			}
			if tc.before != nil {
				tc.before(t, func(method, path string, body any) response {
					t.Helper()
					return s.call(method, path, tok, "", body)
				})
			}
			body := tc.body
			if tc.bodyFn != nil {
				body = tc.bodyFn()
			}
			r := s.call(tc.method, path, token, tc.contentType, body)
			if tc.check != nil {
				tc.check(t, r)
			}
			c := contracts[tc.spec]
			req, reqBody := contractRequest(t, s.base, tc.method, path, token, tc.contentType, body)
			routeReq := req
			if tc.routeMethod != "" {
				routeReq = req.Clone(req.Context())
				routeReq.Method = tc.routeMethod
			}
			route, pathParams, err := c.router.FindRoute(routeReq)
			if err != nil {
				t.Fatalf("%s %s matches no operation of swagger-%s.json: %v", tc.method, path, tc.spec, err)
			}
			if route.Operation.OperationID != tc.operationID {
				t.Fatalf("%s %s routes to %s, want %s", tc.method, path, route.Operation.OperationID, tc.operationID)
			}
			ctx := context.Background()
			reqInput := &openapi3filter.RequestValidationInput{
				Request:    routeReq,
				PathParams: pathParams,
				Route:      route,
				Options: &openapi3filter.Options{
					MultiError:         true,
					AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
				},
			}
			if tc.offSpec == "" {
				if err := openapi3filter.ValidateRequest(ctx, reqInput); err != nil {
					t.Errorf("the test's own request does not match %s in swagger-%s.json:\n%s\nrequest body: %s",
						tc.operationID, tc.spec, validationErrors(err), reqBody)
				}
			}
			validate := func(body []byte) error {
				return openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
					RequestValidationInput: reqInput,
					Status:                 r.status,
					Header:                 r.header,
					Body:                   io.NopCloser(bytes.NewReader(body)),
					Options: &openapi3filter.Options{
						MultiError:            true,
						IncludeResponseStatus: true,
					},
				})
			}
			if err := validate(r.raw); err != nil {
				t.Errorf("%s %s: the answer (HTTP %d, Content-Type %q) does not match %s in swagger-%s.json:\n%s\nbody: %s",
					tc.method, truncate([]byte(path)), r.status, r.header.Get("Content-Type"), tc.operationID, tc.spec, validationErrors(err), r.raw)
				return
			}
			// Control: the same answer without a key the swagger requires must fail, so a
			// pass above cannot come from an operation whose response has no schema.
			required := map[string]string{"identity": "access_token", "mapi": "requestId"}[tc.spec]
			broken := map[string]any{}
			for k, v := range r.body {
				broken[k] = v
			}
			delete(broken, required)
			mutated, err := json.Marshal(broken)
			if err != nil {
				t.Fatal(err)
			}
			if err := validate(mutated); err == nil {
				t.Errorf("the validator accepted the answer without %q; it is not checking %s's schema", required, tc.operationID)
			}
			for _, damage := range tc.breaks {
				var copied map[string]any
				if err := json.Unmarshal(r.raw, &copied); err != nil {
					t.Fatal(err)
				}
				how := damage(copied)
				if how == "" {
					t.Errorf("a control found nothing to damage in the answer: %s", truncate(r.raw))
					continue
				}
				mutated, err := json.Marshal(copied)
				if err != nil {
					t.Fatal(err)
				}
				if err := validate(mutated); err == nil {
					t.Errorf("the validator accepted the answer with %s; it is not checking %s's items", how, tc.operationID)
				}
			}
		})
	}
}

// contractRequest rebuilds the request s.call sent, for routing and request validation.
func contractRequest(t *testing.T, base, method, path, token, contentType string, body any) (*http.Request, []byte) {
	t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		raw = j
		if contentType == "" {
			contentType = "application/json"
		}
	}
	var rd io.Reader
	if raw != nil {
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req, raw
}

// validationErrors lists every failure inside a kin-openapi error, one a line, each with
// the JSON pointer of the offending value.
func validationErrors(err error) string {
	var lines []string
	var walk func(prefix string, err error)
	walk = func(prefix string, err error) {
		var multi openapi3.MultiError
		var respErr *openapi3filter.ResponseError
		var reqErr *openapi3filter.RequestError
		var schemaErr *openapi3.SchemaError
		switch {
		case errors.As(err, &multi):
			for _, e := range multi {
				walk(prefix, e)
			}
		case errors.As(err, &respErr) && respErr.Err != nil:
			walk(prefix+respErr.Reason+": ", respErr.Err)
		case errors.As(err, &reqErr) && reqErr.Err != nil:
			what := reqErr.Reason
			if reqErr.Parameter != nil {
				what = fmt.Sprintf("parameter %q", reqErr.Parameter.Name)
			}
			walk(prefix+what+": ", reqErr.Err)
		case errors.As(err, &schemaErr):
			value, _ := json.Marshal(schemaErr.Value)
			lines = append(lines, fmt.Sprintf("  %s/%s: %s (schema field %q, value %s)",
				prefix, strings.Join(schemaErr.JSONPointer(), "/"), schemaErr.Reason, schemaErr.SchemaField, truncate(value)))
		default:
			lines = append(lines, "  "+prefix+err.Error())
		}
	}
	walk("", err)
	return strings.Join(lines, "\n")
}

func wantBody(key string, want any) func(*testing.T, response) {
	return func(t *testing.T, r response) {
		t.Helper()
		if r.status != http.StatusOK || r.body[key] != want {
			t.Errorf("HTTP %d %s; want 200 with %s = %v", r.status, r.raw, key, want)
		}
	}
}

func wantOutcomes(want ...string) func(*testing.T, response) {
	return func(t *testing.T, r response) {
		t.Helper()
		if got := outcomes(r); r.body["success"] != true || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("outcomes %v, want %v: %s", got, want, r.raw)
		}
	}
}

func wantResults(n int, more bool) func(*testing.T, response) {
	return func(t *testing.T, r response) {
		t.Helper()
		gotMore, _ := r.body["moreResult"].(bool)
		next, _ := r.body["nextPageToken"].(string)
		if r.body["success"] != true || len(r.results()) != n || gotMore != more || (more && next == "") {
			t.Errorf("want success with %d results and moreResult %v (with a nextPageToken if true): %s", n, more, r.raw)
		}
	}
}

func wantError(code string) func(*testing.T, response) {
	return func(t *testing.T, r response) {
		t.Helper()
		if r.status != http.StatusOK || r.body["success"] != false || r.errorCode() != code {
			t.Errorf("HTTP %d %s; want 200 with error %s", r.status, r.raw, code)
		}
	}
}

// contractState carries answers from one case to a later one.
type contractState struct {
	leadIDs     []float64 // ids of leads P-1, P-2, P-3, in that order
	pagingToken string    // the activities paging token from sinceDatetime
}

// lead returns the id of lead P-<i+1>, or 0 (which no case expects) if its sync failed.
func (st *contractState) lead(i int) float64 {
	if i < len(st.leadIDs) {
		return st.leadIDs[i]
	}
	return 0
}

// customObjectInput is why sync, delete and lookup requests on opportunities and roles are
// validated as off-spec: the swagger types their input with the response's CustomObject,
// which requires marketoGUID and seq, though Adobe says seq "should not be submitted" and
// a new record has no marketoGUID yet.
const customObjectInput = "the swagger's request input reuses the response CustomObject, which requires marketoGUID and seq; Marketo callers send neither"

// companyCases covers step 2: companies owned by the sales persons C-1 and C-2.
func companyCases() []contractCase {
	var next string
	const page = "/rest/v1/companies.json?filterType=externalCompanyId&filterValues=K-1,K-2,K-3&batchSize=2"
	return []contractCase{
		{
			name: "company sync created and skipped", spec: "mapi", operationID: "syncCompaniesUsingPOST",
			method: http.MethodPost, path: "/rest/v1/companies.json",
			body: map[string]any{"input": []map[string]any{
				{"externalCompanyId": "K-1", "externalSalesPersonId": "C-1", "company": "Kay One"},
				{"externalCompanyId": "K-2", "externalSalesPersonId": "C-1", "company": "Kay Two"},
				{"externalCompanyId": "K-3", "externalSalesPersonId": "C-2", "company": "Kay Three"},
				{"externalCompanyId": "K-4", "externalSalesPersonId": "C-2", "company": "Kay Four"},
				{"externalCompanyId": "K-1", "externalSalesPersonId": "C-1", "company": "Kay One again"},
				{"externalCompanyId": "K-ghost", "externalSalesPersonId": "sp-ghost", "company": "Ghost"},
			}},
			check: wantOutcomes("created", "created", "created", "created", "skipped 1036", "skipped 718"),
		},
		{
			name: "company sync updated", spec: "mapi", operationID: "syncCompaniesUsingPOST",
			method: http.MethodPost, path: "/rest/v1/companies.json",
			body:  map[string]any{"action": "createOrUpdate", "dedupeBy": "dedupeFields", "input": []map[string]any{{"externalCompanyId": "K-1", "industry": "Software"}}},
			check: wantOutcomes("updated"),
		},
		{
			name: "company query with results", spec: "mapi", operationID: "getCompaniesUsingGET",
			method: http.MethodGet, path: "/rest/v1/companies.json?filterType=externalCompanyId&filterValues=K-1,K-2",
			check: wantRecords(2, false, "id", "externalCompanyId"),
		},
		{
			name: "company query with fields", spec: "mapi", operationID: "getCompaniesUsingGET",
			method: http.MethodGet, path: "/rest/v1/companies.json?filterType=externalSalesPersonId&filterValues=C-1&fields=company,industry",
			check: wantRecords(2, false, "id", "company", "industry"),
		},
		{
			name: "company query empty", spec: "mapi", operationID: "getCompaniesUsingGET",
			method: http.MethodGet, path: "/rest/v1/companies.json?filterType=externalCompanyId&filterValues=never-synced",
			check: wantResults(0, false),
		},
		{
			name: "company query first page", spec: "mapi", operationID: "getCompaniesUsingGET",
			method: http.MethodGet, path: page,
			check: func(t *testing.T, r response) {
				wantResults(2, true)(t, r)
				next, _ = r.body["nextPageToken"].(string)
			},
		},
		{
			name: "company query last page", spec: "mapi", operationID: "getCompaniesUsingGET",
			method: http.MethodGet,
			pathFn: func() string { return page + "&nextPageToken=" + url.QueryEscape(next) },
			check:  wantResults(1, false),
		},
		{
			name: "company describe", spec: "mapi", operationID: "describeUsingGET",
			method: http.MethodGet, path: "/rest/v1/companies/describe.json",
			check: wantResults(1, false),
		},
		{
			name: "company error 1003 unknown filterType", spec: "mapi", operationID: "getCompaniesUsingGET",
			method: http.MethodGet, path: "/rest/v1/companies.json?filterType=shoeSize&filterValues=44",
			check: wantError("1003"),
		},
		{
			name: "company error 1006 unknown field", spec: "mapi", operationID: "getCompaniesUsingGET",
			method: http.MethodGet, path: "/rest/v1/companies.json?filterType=externalCompanyId&filterValues=K-1&fields=shoeSize",
			check: wantError("1006"),
		},
	}
}

// leadCases covers step 3: leads P-1 and P-2 of K-1 and P-3 of K-2, keyed by their CRM id.
func leadCases(st *contractState) []contractCase {
	var next string
	const page = "/rest/v1/leads.json?filterType=externalCompanyId&filterValues=K-1,K-2&batchSize=2"
	return []contractCase{
		{
			name: "lead sync created and skipped", spec: "mapi", operationID: "syncLeadUsingPOST",
			method: http.MethodPost, path: "/rest/v1/leads.json",
			body: map[string]any{"action": "createOrUpdate", "lookupField": "externalPersonId", "input": []map[string]any{
				{"externalPersonId": "P-1", "email": "p1@example.com", "firstName": "Pea", "externalCompanyId": "K-1", "externalSalesPersonId": "C-1"},
				{"externalPersonId": "P-2", "email": "p2@example.com", "externalCompanyId": "K-1", "externalSalesPersonId": "C-1"},
				{"externalPersonId": "P-3", "email": "p3@example.com", "externalCompanyId": "K-2", "externalSalesPersonId": "C-2"},
				{"externalPersonId": "P-ghost", "email": "ghost@example.com", "externalCompanyId": "K-ghost", "externalSalesPersonId": "C-1"},
			}},
			check: func(t *testing.T, r response) {
				wantOutcomes("created", "created", "created", "skipped 1013")(t, r)
				for _, item := range r.results()[:min(3, len(r.results()))] {
					id, _ := item["id"].(float64)
					st.leadIDs = append(st.leadIDs, id)
				}
			},
		},
		{
			name: "lead sync updated", spec: "mapi", operationID: "syncLeadUsingPOST",
			method: http.MethodPost, path: "/rest/v1/leads.json",
			body:  map[string]any{"action": "createOrUpdate", "lookupField": "externalPersonId", "input": []map[string]any{{"externalPersonId": "P-1", "lastName": "One"}}},
			check: wantOutcomes("updated"),
		},
		{
			name: "lead query by externalPersonId", spec: "mapi", operationID: "getLeadsByFilterUsingGET",
			method: http.MethodGet, path: "/rest/v1/leads.json?filterType=externalPersonId&filterValues=P-1,P-2",
			check: wantRecords(2, false, "id", "email"),
		},
		{
			name: "lead query by email with fields", spec: "mapi", operationID: "getLeadsByFilterUsingGET",
			method: http.MethodGet, path: "/rest/v1/leads.json?filterType=email&filterValues=p1@example.com,p3@example.com&fields=externalPersonId,lastName,externalCompanyId",
			check: wantRecords(2, false, "id", "externalPersonId", "lastName", "externalCompanyId"),
		},
		{
			name: "lead query by externalCompanyId", spec: "mapi", operationID: "getLeadsByFilterUsingGET",
			method: http.MethodGet, path: "/rest/v1/leads.json?filterType=externalCompanyId&filterValues=K-1",
			check: wantRecords(2, false, "id"),
		},
		{
			name: "lead query empty", spec: "mapi", operationID: "getLeadsByFilterUsingGET",
			method: http.MethodGet, path: "/rest/v1/leads.json?filterType=externalPersonId&filterValues=never-synced",
			check: wantResults(0, false),
		},
		{
			name: "lead query first page", spec: "mapi", operationID: "getLeadsByFilterUsingGET",
			method: http.MethodGet, path: page,
			check: func(t *testing.T, r response) {
				wantResults(2, true)(t, r)
				next, _ = r.body["nextPageToken"].(string)
			},
		},
		{
			name: "lead query last page", spec: "mapi", operationID: "getLeadsByFilterUsingGET",
			method: http.MethodGet,
			pathFn: func() string { return page + "&nextPageToken=" + url.QueryEscape(next) },
			check:  wantResults(1, false),
		},
		{
			name: "lead by id", spec: "mapi", operationID: "getLeadByIdUsingGET",
			method: http.MethodGet,
			pathFn: func() string { return fmt.Sprintf("/rest/v1/lead/%d.json", int64(st.lead(0))) },
			check: func(t *testing.T, r response) {
				wantRecords(1, false, "id", "email", "firstName", "lastName")(t, r)
				if res := r.results(); len(res) == 1 && res[0]["id"] != st.lead(0) {
					t.Errorf("lead by id %v answered another lead: %s", st.lead(0), r.raw)
				}
			},
		},
		{
			name: "lead by id with fields", spec: "mapi", operationID: "getLeadByIdUsingGET",
			method: http.MethodGet,
			pathFn: func() string {
				return fmt.Sprintf("/rest/v1/lead/%d.json?fields=externalPersonId,externalCompanyId", int64(st.lead(2)))
			},
			check: wantRecords(1, false, "id", "externalPersonId", "externalCompanyId"),
		},
		{
			name: "lead by unknown id", spec: "mapi", operationID: "getLeadByIdUsingGET",
			method: http.MethodGet, path: "/rest/v1/lead/999999.json",
			check: wantResults(0, false),
		},
		{
			name: "lead describe", spec: "mapi", operationID: "describeUsingGET_2",
			method: http.MethodGet, path: "/rest/v1/leads/describe.json",
			check: func(t *testing.T, r response) {
				if r.body["success"] != true || len(r.results()) < 5 {
					t.Errorf("want success with one attribute per lead field: %s", truncate(r.raw))
				}
			},
		},
		{
			name: "lead describe2", spec: "mapi", operationID: "describeUsingGET_6",
			method: http.MethodGet, path: "/rest/v1/leads/describe2.json",
			check: wantRecords(1, false, "name", "searchableFields", "fields"),
		},
		{
			name: "lead error 1003 unknown filterType", spec: "mapi", operationID: "getLeadsByFilterUsingGET",
			method: http.MethodGet, path: "/rest/v1/leads.json?filterType=shoeSize&filterValues=44",
			check: wantError("1003"),
		},
		// A declared custom field (MSISYNC_CUSTOM_FIELDS, see testCustomFields) that no lead
		// has set reads as null; an undeclared one answers 1006.
		{
			name: "lead custom field never set reads as null", spec: "mapi", operationID: "getLeadsByFilterUsingGET",
			method: http.MethodGet, path: "/rest/v1/leads.json?filterType=externalPersonId&filterValues=P-1&fields=shoeSize",
			check: wantRecords(1, false, "shoeSize"),
		},
		{
			name: "lead error 1006 undeclared field", spec: "mapi", operationID: "getLeadsByFilterUsingGET",
			method: http.MethodGet, path: "/rest/v1/leads.json?filterType=externalPersonId&filterValues=P-1&fields=leadScroe",
			check: wantError("1006"),
		},
		{
			name: "lead by id custom field never set reads as null", spec: "mapi", operationID: "getLeadByIdUsingGET",
			method: http.MethodGet,
			pathFn: func() string { return fmt.Sprintf("/rest/v1/lead/%d.json?fields=shoeSize", int64(st.lead(0))) },
			check:  wantRecords(1, false, "shoeSize"),
		},
	}
}

// opportunityCases covers step 4: O-1 and O-3 on K-1, O-2 on K-2.
func opportunityCases() []contractCase {
	var next string
	const page = "/rest/v1/opportunities.json?filterType=externalOpportunityId&filterValues=O-1,O-2,O-3&batchSize=2"
	return []contractCase{
		{
			name: "opportunity sync created and skipped", spec: "mapi", operationID: "syncOpportunitiesUsingPOST",
			method: http.MethodPost, path: "/rest/v1/opportunities.json",
			body: map[string]any{"input": []map[string]any{
				{"externalOpportunityId": "O-1", "name": "Deal one", "externalCompanyId": "K-1", "externalSalesPersonId": "C-1", "amount": 1000.5, "closeDate": "2026-12-31"},
				{"externalOpportunityId": "O-2", "name": "Deal two", "externalCompanyId": "K-2", "externalSalesPersonId": "C-1"},
				{"externalOpportunityId": "O-3", "name": "Deal three", "externalCompanyId": "K-1", "externalSalesPersonId": "C-2"},
				{"externalOpportunityId": "O-ghost", "name": "Ghost", "externalCompanyId": "K-ghost", "externalSalesPersonId": "C-1"},
			}},
			offSpec: customObjectInput,
			check: func(t *testing.T, r response) {
				wantOutcomes("created", "created", "created", "skipped 1013")(t, r)
				for _, item := range r.results()[:min(3, len(r.results()))] {
					if guid, _ := item["marketoGUID"].(string); guid == "" {
						t.Errorf("a created opportunity has no marketoGUID: %s", r.raw)
					}
				}
			},
		},
		{
			name: "opportunity sync updated", spec: "mapi", operationID: "syncOpportunitiesUsingPOST",
			method: http.MethodPost, path: "/rest/v1/opportunities.json",
			body:    map[string]any{"action": "updateOnly", "dedupeBy": "dedupeFields", "input": []map[string]any{{"externalOpportunityId": "O-1", "amount": 2000}}},
			offSpec: customObjectInput,
			check:   wantOutcomes("updated"),
		},
		{
			name: "opportunity query with results", spec: "mapi", operationID: "getOpportunitiesUsingGET",
			method: http.MethodGet, path: "/rest/v1/opportunities.json?filterType=externalOpportunityId&filterValues=O-1,O-2",
			check: wantRecords(2, false, "marketoGUID", "seq"),
		},
		{
			name: "opportunity query with fields", spec: "mapi", operationID: "getOpportunitiesUsingGET",
			method: http.MethodGet, path: "/rest/v1/opportunities.json?filterType=externalCompanyId&filterValues=K-1&fields=externalOpportunityId,name,amount",
			check: wantRecords(2, false, "marketoGUID", "seq", "externalOpportunityId", "name", "amount"),
		},
		{
			name: "opportunity query empty", spec: "mapi", operationID: "getOpportunitiesUsingGET",
			method: http.MethodGet, path: "/rest/v1/opportunities.json?filterType=externalOpportunityId&filterValues=never-synced",
			check: wantResults(0, false),
		},
		{
			name: "opportunity query first page", spec: "mapi", operationID: "getOpportunitiesUsingGET",
			method: http.MethodGet, path: page,
			check: func(t *testing.T, r response) {
				wantResults(2, true)(t, r)
				next, _ = r.body["nextPageToken"].(string)
			},
		},
		{
			name: "opportunity query last page", spec: "mapi", operationID: "getOpportunitiesUsingGET",
			method: http.MethodGet,
			pathFn: func() string { return page + "&nextPageToken=" + url.QueryEscape(next) },
			check:  wantResults(1, false),
		},
		{
			name: "opportunity describe", spec: "mapi", operationID: "describeUsingGET_4",
			method: http.MethodGet, path: "/rest/v1/opportunities/describe.json",
			check: wantResults(1, false),
		},
		{
			name: "opportunity error 1003 unknown filterType", spec: "mapi", operationID: "getOpportunitiesUsingGET",
			method: http.MethodGet, path: "/rest/v1/opportunities.json?filterType=shoeSize&filterValues=44",
			check: wantError("1003"),
		},
		{
			name: "opportunity error 1006 unknown field", spec: "mapi", operationID: "getOpportunitiesUsingGET",
			method: http.MethodGet, path: "/rest/v1/opportunities.json?filterType=externalOpportunityId&filterValues=O-1&fields=shoeSize",
			check: wantError("1006"),
		},
	}
}

// roleCases covers step 5: P-1 and P-2 on O-1, P-3 on O-2.
func roleCases(st *contractState) []contractCase {
	var next string
	const page = "/rest/v1/opportunities/roles.json?filterType=externalOpportunityId&filterValues=O-1,O-2&batchSize=2"
	const routeOffSpec = "the swagger models the compound-key lookup as GET with the required query parameters filterType and filterValues; Marketo takes it as POST ?_method=GET with a JSON body, and " + customObjectInput
	return []contractCase{
		{
			name: "role sync created and skipped", spec: "mapi", operationID: "syncOpportunityRolesUsingPOST",
			method: http.MethodPost, path: "/rest/v1/opportunities/roles.json",
			bodyFn: func() any {
				return map[string]any{"input": []map[string]any{
					{"externalOpportunityId": "O-1", "leadId": st.lead(0), "role": "Decision Maker", "isPrimary": true},
					{"externalOpportunityId": "O-1", "leadId": st.lead(1), "role": "Champion"},
					{"externalOpportunityId": "O-2", "leadId": st.lead(2), "role": "Influencer"},
					{"externalOpportunityId": "O-ghost", "leadId": st.lead(0), "role": "Champion"},
				}}
			},
			offSpec: customObjectInput,
			check:   wantOutcomes("created", "created", "created", "skipped 1013"),
		},
		{
			name: "role sync updated", spec: "mapi", operationID: "syncOpportunityRolesUsingPOST",
			method: http.MethodPost, path: "/rest/v1/opportunities/roles.json",
			bodyFn: func() any {
				return map[string]any{"action": "createOrUpdate", "input": []map[string]any{
					{"externalOpportunityId": "O-1", "leadId": st.lead(1), "role": "Champion", "isPrimary": false},
				}}
			},
			offSpec: customObjectInput,
			check:   wantOutcomes("updated"),
		},
		{
			name: "role query with results", spec: "mapi", operationID: "getOpportunityRolesUsingGET",
			method: http.MethodGet, path: "/rest/v1/opportunities/roles.json?filterType=externalOpportunityId&filterValues=O-1",
			check: wantRecords(2, false, "marketoGUID", "seq"),
		},
		{
			name: "role query with fields", spec: "mapi", operationID: "getOpportunityRolesUsingGET",
			method: http.MethodGet,
			pathFn: func() string {
				return fmt.Sprintf("/rest/v1/opportunities/roles.json?filterType=leadId&filterValues=%d&fields=externalOpportunityId,leadId,role,isPrimary", int64(st.lead(0)))
			},
			check: wantRecords(1, false, "marketoGUID", "seq", "externalOpportunityId", "leadId", "role", "isPrimary"),
		},
		{
			name: "role query empty", spec: "mapi", operationID: "getOpportunityRolesUsingGET",
			method: http.MethodGet, path: "/rest/v1/opportunities/roles.json?filterType=externalOpportunityId&filterValues=never-synced",
			check: wantResults(0, false),
		},
		{
			name: "role query first page", spec: "mapi", operationID: "getOpportunityRolesUsingGET",
			method: http.MethodGet, path: page,
			check: func(t *testing.T, r response) {
				wantResults(2, true)(t, r)
				next, _ = r.body["nextPageToken"].(string)
			},
		},
		{
			name: "role query last page", spec: "mapi", operationID: "getOpportunityRolesUsingGET",
			method: http.MethodGet,
			pathFn: func() string { return page + "&nextPageToken=" + url.QueryEscape(next) },
			check:  wantResults(1, false),
		},
		{
			name: "role query POST _method=GET dedupeFields", spec: "mapi", operationID: "getOpportunityRolesUsingGET",
			method: http.MethodPost, routeMethod: http.MethodGet, path: "/rest/v1/opportunities/roles.json?_method=GET",
			bodyFn: func() any {
				return map[string]any{
					"filterType": "dedupeFields",
					"fields":     []string{"externalOpportunityId", "leadId", "role", "isPrimary"},
					"input": []map[string]any{
						{"externalOpportunityId": "O-1", "leadId": st.lead(0), "role": "decision maker"},
						{"externalOpportunityId": "O-1", "leadId": st.lead(0), "role": "Champion"},
					},
				}
			},
			offSpec: routeOffSpec,
			check: func(t *testing.T, r response) {
				wantRecords(1, false, "marketoGUID", "seq", "externalOpportunityId", "leadId", "role", "isPrimary")(t, r)
				if res := r.results(); len(res) == 1 && (res[0]["role"] != "Decision Maker" || res[0]["isPrimary"] != true) {
					t.Errorf("the compound key found the wrong role: %s", r.raw)
				}
			},
		},
		{
			name: "role describe", spec: "mapi", operationID: "describeOpportunityRoleUsingGET",
			method: http.MethodGet, path: "/rest/v1/opportunities/roles/describe.json",
			check: wantResults(1, false),
		},
		{
			name: "role error 1003 unknown filterType", spec: "mapi", operationID: "getOpportunityRolesUsingGET",
			method: http.MethodGet, path: "/rest/v1/opportunities/roles.json?filterType=shoeSize&filterValues=44",
			check: wantError("1003"),
		},
		{
			name: "role error 1006 unknown field", spec: "mapi", operationID: "getOpportunityRolesUsingGET",
			method: http.MethodGet, path: "/rest/v1/opportunities/roles.json?filterType=externalOpportunityId&filterValues=O-1&fields=shoeSize",
			check: wantError("1006"),
		},
		{
			name: "role POST _method=GET error 1003 unknown filterType", spec: "mapi", operationID: "getOpportunityRolesUsingGET",
			method: http.MethodPost, routeMethod: http.MethodGet, path: "/rest/v1/opportunities/roles.json?_method=GET",
			body:    map[string]any{"filterType": "shoeSize", "input": []map[string]any{{"shoeSize": 44}}},
			offSpec: routeOffSpec,
			check:   wantError("1003"),
		},
		{
			name: "role POST _method=GET error 1006 unknown field", spec: "mapi", operationID: "getOpportunityRolesUsingGET",
			method: http.MethodPost, routeMethod: http.MethodGet, path: "/rest/v1/opportunities/roles.json?_method=GET",
			bodyFn: func() any {
				return map[string]any{"filterType": "dedupeFields", "fields": []string{"shoeSize"}, "input": []map[string]any{
					{"externalOpportunityId": "O-1", "leadId": st.lead(0), "role": "Decision Maker"},
				}}
			},
			offSpec: routeOffSpec,
			check:   wantError("1006"),
		},
	}
}

// deleteCases removes children first: each delete shows a record deleted, one refused with
// 1022 because a child still references it, and one unknown.
func deleteCases(st *contractState) []contractCase {
	return []contractCase{
		{
			name: "role delete deleted and skipped", spec: "mapi", operationID: "deleteOpportunityRolesUsingPOST",
			method: http.MethodPost, path: "/rest/v1/opportunities/roles/delete.json",
			bodyFn: func() any {
				return map[string]any{"deleteBy": "dedupeFields", "input": []map[string]any{
					{"externalOpportunityId": "O-2", "leadId": st.lead(2), "role": "Influencer"},
					{"externalOpportunityId": "O-1", "leadId": st.lead(1), "role": "Champion"},
					{"externalOpportunityId": "O-1", "leadId": st.lead(0), "role": "Never Held"},
				}}
			},
			offSpec: customObjectInput,
			check:   wantOutcomes("deleted", "deleted", "skipped 1013"),
		},
		{
			name: "opportunity delete deleted and skipped", spec: "mapi", operationID: "deleteOpportunitiesUsingPOST",
			method: http.MethodPost, path: "/rest/v1/opportunities/delete.json",
			body: map[string]any{"deleteBy": "dedupeFields", "input": []map[string]any{
				{"externalOpportunityId": "O-2"},
				{"externalOpportunityId": "O-1"}, // P-1 is still its Decision Maker
				{"externalOpportunityId": "never-synced"},
			}},
			offSpec: customObjectInput,
			check:   wantOutcomes("deleted", "skipped 1022", "skipped 1013"),
		},
		{
			name: "lead delete deleted and skipped", spec: "mapi", operationID: "deleteLeadsUsingPOST",
			method: http.MethodPost, path: "/rest/v1/leads/delete.json",
			bodyFn: func() any {
				return map[string]any{"input": []map[string]any{
					{"id": st.lead(2)},
					{"id": st.lead(0)}, // still Decision Maker on O-1
					{"id": 999999},     // never synced
				}}
			},
			check: wantOutcomes("deleted", "skipped 1022", "skipped 1013"),
		},
		{
			name: "company delete deleted and skipped", spec: "mapi", operationID: "deleteCompaniesUsingPOST",
			method: http.MethodPost, path: "/rest/v1/companies/delete.json",
			body: map[string]any{"deleteBy": "dedupeFields", "input": []map[string]any{
				{"externalCompanyId": "K-4"},
				{"externalCompanyId": "K-1"}, // P-1, P-2 and O-1, O-3 still reference it
				{"externalCompanyId": "never-synced"},
			}},
			check: wantOutcomes("deleted", "skipped 1022", "skipped 1013"),
		},
	}
}

// wantRecords is wantResults where every result also carries each of keys.
func wantRecords(n int, more bool, keys ...string) func(*testing.T, response) {
	return func(t *testing.T, r response) {
		t.Helper()
		wantResults(n, more)(t, r)
		for i, item := range r.results() {
			for _, k := range keys {
				if _, ok := item[k]; !ok {
					t.Errorf("result %d has no %q: %s", i, k, truncate(r.raw))
				}
			}
		}
	}
}

// msiLeadFields are the MSI fields msisync adds to Marketo's lead, as Sales Insight shows
// them.
const msiLeadFields = "leadScore,urgency,relativeScore,relativeUrgency,priority," +
	"msiLastInterestingMomentType,msiLastInterestingMomentDate,msiLastInterestingMomentDesc,msiLastInterestingMomentSource"

// insightCases covers the MSI side of the Marketo surface after step 3: P-1 and P-2 get a
// score change and an interesting moment each, which read back as activities 22 and 46
// and as MSI lead fields; P-3 gets neither. Then a lead sync sets leadScore directly.
func insightCases(st *contractState, since time.Time) []contractCase {
	activities := func(types string) func() string {
		return func() string {
			return "/rest/v1/activities.json?nextPageToken=" + url.QueryEscape(st.pagingToken) + "&activityTypeIds=" + types
		}
	}
	const commaOffSpec = "the swagger types activityTypeIds as integers repeated (collectionFormat multi); Marketo documents and takes a comma-separated list, which kin-openapi reads as the one non-integer \"46,22\""
	leadOf := func(i int) func(map[string]any) bool {
		return func(a map[string]any) bool { return a["leadId"] == st.lead(i) }
	}
	return []contractCase{
		{
			name: "activity paging token", spec: "mapi", operationID: "getActivitiesPagingTokenUsingGET",
			method: http.MethodGet, path: "/rest/v1/activities/pagingtoken.json?sinceDatetime=" + url.QueryEscape(since.Format(time.RFC3339)),
			before: func(t *testing.T, call func(method, path string, body any) response) {
				sc := call(http.MethodPost, "/v1/score-changes", map[string]any{"changes": []map[string]any{
					{"externalPersonId": "P-1", "delta": 10, "reason": "Visited pricing page"},
					{"externalPersonId": "P-2", "delta": 5, "reason": "Opened an email"},
				}})
				im := call(http.MethodPost, "/v1/interesting-moments", map[string]any{"moments": []map[string]any{
					{"externalPersonId": "P-1", "type": "Web", "description": "Downloaded the MSI whitepaper", "source": "Website"},
					{"externalPersonId": "P-2", "type": "Web", "description": "Attended the pricing webinar", "source": "Webinar"},
				}})
				for _, r := range []response{sc, im} {
					if r.status != http.StatusOK || r.body["success"] == false || strings.Contains(strings.ToUpper(string(r.raw)), "SKIPPED") {
						t.Fatalf("recording the score changes and moments failed: HTTP %d %s", r.status, r.raw)
					}
				}
			},
			check: func(t *testing.T, r response) {
				st.pagingToken, _ = r.body["nextPageToken"].(string)
				if r.status != http.StatusOK || r.body["success"] != true || st.pagingToken == "" {
					t.Errorf("want success with a nextPageToken: HTTP %d %s", r.status, r.raw)
				}
			},
			breaks: []func(map[string]any) string{
				func(b map[string]any) string { b["nextPageToken"] = 42; return "a numeric nextPageToken" },
			},
		},
		{
			name: "activity paging token error 704 bad date", spec: "mapi", operationID: "getActivitiesPagingTokenUsingGET",
			method: http.MethodGet, path: "/rest/v1/activities/pagingtoken.json?sinceDatetime=last-tuesday",
			offSpec: "sinceDatetime is deliberately not a date-time",
			check:   wantError("704"),
		},
		{
			name: "activity paging token error 701 blank", spec: "mapi", operationID: "getActivitiesPagingTokenUsingGET",
			method: http.MethodGet, path: "/rest/v1/activities/pagingtoken.json?sinceDatetime=",
			offSpec: "the required sinceDatetime is deliberately blank",
			check:   wantError("701"),
		},
		{
			name: "activities interesting moments", spec: "mapi", operationID: "getLeadActivitiesUsingGET",
			method: http.MethodGet, pathFn: activities("46"),
			check: func(t *testing.T, r response) {
				wantActivities(map[float64]int{46: 2})(t, r)
				wantActivity(t, r, 46, leadOf(0), "Downloaded the MSI whitepaper", map[string]any{"Type": "Web", "Source": "Website"})
				wantActivity(t, r, 46, leadOf(1), "Attended the pricing webinar", map[string]any{"Type": "Web", "Source": "Webinar"})
			},
			breaks: activityBreaks,
		},
		{
			name: "activities change score", spec: "mapi", operationID: "getLeadActivitiesUsingGET",
			method: http.MethodGet, pathFn: activities("22"),
			check: func(t *testing.T, r response) {
				wantActivities(map[float64]int{22: 2})(t, r)
				wantActivity(t, r, 22, leadOf(0), "Lead Score", map[string]any{"Change Value": 10.0, "Old Value": 0.0, "New Value": 10.0, "Reason": "Visited pricing page"})
				wantActivity(t, r, 22, leadOf(1), "Lead Score", map[string]any{"Change Value": 5.0, "Old Value": 0.0, "New Value": 5.0, "Reason": "Opened an email"})
			},
			breaks: activityBreaks,
		},
		{
			name: "activities both types comma-separated", spec: "mapi", operationID: "getLeadActivitiesUsingGET",
			method: http.MethodGet, pathFn: activities("46,22"),
			offSpec: commaOffSpec,
			check:   wantActivities(map[float64]int{46: 2, 22: 2}),
			breaks:  activityBreaks,
		},
		{
			name: "activities both types repeated", spec: "mapi", operationID: "getLeadActivitiesUsingGET",
			method: http.MethodGet, pathFn: activities("46&activityTypeIds=22"),
			check:  wantActivities(map[float64]int{46: 2, 22: 2}),
			breaks: activityBreaks,
		},
		{
			name: "activities unsupported type empty page", spec: "mapi", operationID: "getLeadActivitiesUsingGET",
			method: http.MethodGet, pathFn: activities("1"),
			check: func(t *testing.T, r response) {
				wantResults(0, false)(t, r)
				if r.body["nextPageToken"] != st.pagingToken {
					t.Errorf("an empty page must keep the position %q: %s", st.pagingToken, r.raw)
				}
			},
		},
		{
			name: "activity types", spec: "mapi", operationID: "getAllActivityTypesUsingGET",
			method: http.MethodGet, path: "/rest/v1/activities/types.json",
			check: func(t *testing.T, r response) {
				wantRecords(2, false, "id", "name", "primaryAttribute", "attributes")(t, r)
				names := map[float64]any{}
				for _, item := range r.results() {
					names[item["id"].(float64)] = item["name"]
				}
				if names[22] != "Change Score" || names[46] != "Interesting Moment" {
					t.Errorf("want 22 Change Score and 46 Interesting Moment: %s", r.raw)
				}
			},
			breaks: []func(map[string]any) string{
				func(b map[string]any) string {
					return damageItem(b, func(it map[string]any) { delete(it, "primaryAttribute") }, "a type without primaryAttribute")
				},
				func(b map[string]any) string {
					return damageItem(b, func(it map[string]any) { it["id"] = "22" }, "a string type id")
				},
			},
		},
		{
			name: "daily usage", spec: "mapi", operationID: "getDailyUsageUsingGET",
			method: http.MethodGet, path: "/rest/v1/stats/usage.json",
			check: func(t *testing.T, r response) {
				wantRecords(1, false, "date", "total", "users")(t, r)
				users, _ := r.results()[0]["users"].([]any)
				if len(users) != 1 || users[0].(map[string]any)["userId"] != testClientID {
					t.Errorf("want the calling client's count: %s", r.raw)
				}
			},
			breaks: []func(map[string]any) string{
				func(b map[string]any) string {
					return damageItem(b, func(it map[string]any) { delete(it, "date") }, "usage without a date")
				},
				func(b map[string]any) string {
					return damageItem(b, func(it map[string]any) { it["total"] = "12" }, "a string total")
				},
			},
		},
		{
			name: "lead query with MSI fields", spec: "mapi", operationID: "getLeadsByFilterUsingGET",
			method: http.MethodGet, path: "/rest/v1/leads.json?filterType=externalPersonId&filterValues=P-1,P-2,P-3&fields=externalPersonId," + msiLeadFields,
			check: func(t *testing.T, r response) {
				wantRecords(3, false, append([]string{"id", "externalPersonId"}, strings.Split(msiLeadFields, ",")...)...)(t, r)
				byKey := map[any]map[string]any{}
				for _, item := range r.results() {
					wantMSITypes(t, item)
					byKey[item["externalPersonId"]] = item
				}
				wantFields(t, byKey["P-1"], map[string]any{"leadScore": 10.0, "msiLastInterestingMomentType": "Web",
					"msiLastInterestingMomentDesc": "Downloaded the MSI whitepaper", "msiLastInterestingMomentSource": "Website"})
				wantFields(t, byKey["P-2"], map[string]any{"leadScore": 5.0, "msiLastInterestingMomentDesc": "Attended the pricing webinar"})
				wantFields(t, byKey["P-3"], map[string]any{"leadScore": 0.0, "msiLastInterestingMomentType": nil,
					"msiLastInterestingMomentDate": nil, "msiLastInterestingMomentDesc": nil, "msiLastInterestingMomentSource": nil})
			},
			breaks: leadBreaks,
		},
		{
			name: "lead by id with MSI fields", spec: "mapi", operationID: "getLeadByIdUsingGET",
			method: http.MethodGet,
			pathFn: func() string { return fmt.Sprintf("/rest/v1/lead/%d.json?fields=%s", int64(st.lead(1)), msiLeadFields) },
			check: func(t *testing.T, r response) {
				wantRecords(1, false, append([]string{"id"}, strings.Split(msiLeadFields, ",")...)...)(t, r)
				if res := r.results(); len(res) == 1 {
					wantMSITypes(t, res[0])
					wantFields(t, res[0], map[string]any{"id": st.lead(1), "leadScore": 5.0, "msiLastInterestingMomentType": "Web",
						"msiLastInterestingMomentDesc": "Attended the pricing webinar", "msiLastInterestingMomentSource": "Webinar"})
				}
			},
			breaks: leadBreaks,
		},
		{
			name: "lead sync leadScore updated created and skipped", spec: "mapi", operationID: "syncLeadUsingPOST",
			method: http.MethodPost, path: "/rest/v1/leads.json",
			body: map[string]any{"action": "createOrUpdate", "lookupField": "externalPersonId", "input": []map[string]any{
				{"externalPersonId": "P-1", "leadScore": 42},
				{"externalPersonId": "P-4", "email": "p4@example.com", "externalCompanyId": "K-3", "externalSalesPersonId": "C-2", "leadScore": 7},
				{"externalPersonId": "P-2", "leadScore": "high"},
			}},
			check: func(t *testing.T, r response) {
				wantOutcomes("updated", "created", "skipped 1001")(t, r)
				if res := r.results(); len(res) == 3 && res[0]["id"] != st.lead(0) {
					t.Errorf("the leadScore update answered another lead than P-1 (%v): %s", st.lead(0), r.raw)
				}
			},
			breaks: leadBreaks,
		},
		{
			name: "lead query reads leadScore back", spec: "mapi", operationID: "getLeadsByFilterUsingGET",
			method: http.MethodGet, path: "/rest/v1/leads.json?filterType=externalPersonId&filterValues=P-1,P-2,P-4&fields=externalPersonId,leadScore",
			check: func(t *testing.T, r response) {
				wantRecords(3, false, "id", "externalPersonId", "leadScore")(t, r)
				got := map[any]any{}
				for _, item := range r.results() {
					got[item["externalPersonId"]] = item["leadScore"]
				}
				if got["P-1"] != 42.0 || got["P-2"] != 5.0 || got["P-4"] != 7.0 {
					t.Errorf("leadScore P-1 %v P-2 %v P-4 %v, want 42 (set), 5 (refused \"high\" left it) and 7 (created): %s",
						got["P-1"], got["P-2"], got["P-4"], r.raw)
				}
			},
			breaks: leadBreaks,
		},
		{
			name: "activities change score after leadScore sync", spec: "mapi", operationID: "getLeadActivitiesUsingGET",
			method: http.MethodGet, pathFn: activities("22"),
			check: func(t *testing.T, r response) {
				wantActivities(map[float64]int{22: 4})(t, r)
				wantActivity(t, r, 22, leadOf(0), "Lead Score", map[string]any{"Old Value": 10.0, "New Value": 42.0, "Change Value": 32.0, "Reason": "Lead sync"})
			},
			breaks: activityBreaks,
		},
	}
}

// activityBreaks damage an Activity the ways its schema forbids.
var activityBreaks = []func(map[string]any) string{
	func(b map[string]any) string {
		return damageItem(b, func(it map[string]any) { it["leadId"] = "P-1" }, "a string leadId")
	},
	func(b map[string]any) string {
		return damageItem(b, func(it map[string]any) { it["activityDate"] = "last tuesday" }, "an activityDate that is no date-time")
	},
	func(b map[string]any) string {
		return damageItem(b, func(it map[string]any) { delete(it, "activityTypeId") }, "an activity without activityTypeId")
	},
}

// leadBreaks damage a Lead the one way its open schema forbids: a non-integer id.
var leadBreaks = []func(map[string]any) string{
	func(b map[string]any) string {
		return damageItem(b, func(it map[string]any) { it["id"] = "P-1" }, "a string lead id")
	},
}

// damageItem applies damage to the first result item, returning how, or "" without one.
func damageItem(body map[string]any, damage func(map[string]any), how string) string {
	items, _ := body["result"].([]any)
	if len(items) == 0 {
		return ""
	}
	item, ok := items[0].(map[string]any)
	if !ok {
		return ""
	}
	damage(item)
	return how
}

// wantActivities wants success, a nextPageToken, and exactly count activities of each type.
func wantActivities(count map[float64]int) func(*testing.T, response) {
	return func(t *testing.T, r response) {
		t.Helper()
		got := map[float64]int{}
		for _, a := range r.results() {
			n, _ := a["activityTypeId"].(float64)
			got[n]++
		}
		next, _ := r.body["nextPageToken"].(string)
		if r.body["success"] != true || next == "" || fmt.Sprint(got) != fmt.Sprint(count) {
			t.Errorf("want success, a nextPageToken and activities by type %v, got %v: %s", count, got, r.raw)
		}
	}
}

// wantActivity wants one activity of type typeID for the lead whose, with the primary
// attribute value and the secondary attributes given.
func wantActivity(t *testing.T, r response, typeID float64, whose func(map[string]any) bool, primary string, attrs map[string]any) {
	t.Helper()
	for _, a := range r.results() {
		if a["activityTypeId"] != typeID || !whose(a) || a["primaryAttributeValue"] != primary {
			continue
		}
		got := map[string]any{}
		list, _ := a["attributes"].([]any)
		for _, x := range list {
			m, _ := x.(map[string]any)
			name, _ := m["name"].(string)
			got[name] = m["value"]
		}
		match := true
		for k, v := range attrs {
			match = match && got[k] == v
		}
		if match {
			return
		}
	}
	t.Errorf("no type-%v activity %q with attributes %v for the lead: %s", typeID, primary, attrs, truncate(r.raw))
}

// wantMSITypes checks the MSI fields of a lead record have Sales Insight's types: numbers
// for the scores, strings or null for the last moment, an RFC 3339 date.
func wantMSITypes(t *testing.T, lead map[string]any) {
	t.Helper()
	for _, f := range strings.Split(msiLeadFields, ",") {
		v, ok := lead[f]
		if !ok {
			continue // wantRecords reports it
		}
		switch {
		case !strings.HasPrefix(f, "msi"):
			if _, num := v.(float64); !num {
				t.Errorf("lead %v: %s = %#v, want a number", lead["id"], f, v)
			}
		case v == nil:
		default:
			s, str := v.(string)
			if !str {
				t.Errorf("lead %v: %s = %#v, want a string or null", lead["id"], f, v)
			} else if f == "msiLastInterestingMomentDate" {
				if _, err := time.Parse(time.RFC3339, s); err != nil {
					t.Errorf("lead %v: %s = %q is not RFC 3339: %v", lead["id"], f, s, err)
				}
			}
		}
	}
}

// wantFields checks a record holds each of want's values (nil meaning JSON null).
func wantFields(t *testing.T, rec map[string]any, want map[string]any) {
	t.Helper()
	if rec == nil {
		t.Errorf("no record to hold %v", want)
		return
	}
	for k, v := range want {
		if got, ok := rec[k]; !ok || got != v {
			t.Errorf("record %v: %s = %#v, want %#v", rec["id"], k, got, v)
		}
	}
}
