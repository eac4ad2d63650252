package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
)

func TestEveryServiceAnswersHealthAndReflection(t *testing.T) {
	t.Parallel()
	s := startSuite(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, svc := range services {
		t.Run(svc.name, func(t *testing.T) {
			// The orchestrator's public API is plaintext (each call carries a bearer token);
			// the internal services want the operator's client certificate.
			var creds credentials.TransportCredentials = insecure.NewCredentials()
			if svc.name != "orchestrator" {
				creds = s.operatorCreds(t)
			}
			conn, err := grpc.NewClient(s.grpc[svc.name], grpc.WithTransportCredentials(creds))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			h, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
			if err != nil || h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
				t.Errorf("health = %v, %v; want SERVING", h, err)
			}
			stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
				t.Fatal(err)
			}
			resp, err := stream.Recv()
			if err != nil {
				t.Fatal(err)
			}
			var own []string
			health := false
			for _, sv := range resp.GetListServicesResponse().GetService() {
				if strings.HasPrefix(sv.GetName(), "msisync."+svc.name+".v1.") {
					own = append(own, sv.GetName())
				}
				health = health || sv.GetName() == "grpc.health.v1.Health"
			}
			if len(own) == 0 || !health {
				t.Errorf("reflection lists %v; want msisync.%s.v1.* and grpc.health.v1.Health", resp.GetListServicesResponse().GetService(), svc.name)
			}
		})
	}
	r := s.call(http.MethodGet, "/healthz", "", "", nil)
	if r.status != http.StatusOK || r.body["status"] != "SERVING" {
		t.Errorf("/healthz = %d %s", r.status, r.raw)
	}
}

func TestTokenEndpoint(t *testing.T) {
	t.Parallel()
	s := startSuite(t, "")
	q := url.Values{"grant_type": {"client_credentials"}, "client_id": {testClientID}, "client_secret": {testClientSecret}}
	get := s.call(http.MethodGet, "/identity/oauth/token?"+q.Encode(), "", "", nil)
	if get.status != http.StatusOK || get.body["token_type"] != "bearer" || get.body["scope"] != testClientID {
		t.Fatalf("GET token = %d %s", get.status, get.raw)
	}
	if exp, _ := get.body["expires_in"].(float64); exp < 3590 || exp > 3600 {
		t.Errorf("expires_in = %v, want about 3600", get.body["expires_in"])
	}
	if get.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", get.header.Get("Cache-Control"))
	}
	post := s.call(http.MethodPost, "/identity/oauth/token?"+q.Encode(), "", "", nil)
	if post.status != http.StatusOK || post.body["access_token"] != get.body["access_token"] {
		t.Errorf("POST token = %d %s; want the same token as GET", post.status, post.raw)
	}
	form := s.call(http.MethodPost, "/identity/oauth/token", "", "application/x-www-form-urlencoded", q.Encode())
	if form.status != http.StatusOK || form.body["access_token"] != get.body["access_token"] {
		t.Errorf("POST token with a form body = %d %s; want the same token", form.status, form.raw)
	}

	bad := url.Values{"grant_type": {"client_credentials"}, "client_id": {testClientID}, "client_secret": {"wrong-secret"}}
	r := s.call(http.MethodGet, "/identity/oauth/token?"+bad.Encode(), "", "", nil)
	if r.status != http.StatusUnauthorized || r.body["error"] != "unauthorized" {
		t.Errorf("wrong secret = %d %s; want 401 unauthorized", r.status, r.raw)
	}
	grant := url.Values{"grant_type": {"password"}, "client_id": {testClientID}, "client_secret": {testClientSecret}}
	if r := s.call(http.MethodGet, "/identity/oauth/token?"+grant.Encode(), "", "", nil); r.status != http.StatusBadRequest {
		t.Errorf("grant_type password = %d %s; want 400", r.status, r.raw)
	}
}

func TestRESTCallsNeedAValidToken(t *testing.T) {
	t.Parallel()
	s := startSuite(t, "", "MSISYNC_TOKEN_TTL=2s")
	const path = "/rest/v1/salespersons.json?filterType=id&filterValues=1"
	tests := []struct {
		name  string
		token string
		want  string
	}{
		{name: "missing", token: "", want: "600"},
		{name: "garbage", token: "not-a-token", want: "601"},
		{name: "forged", token: "3f2504e0-4f89-41d3-9a0c-0305e82c3301:AAAAAAAAAAAAAAAAAAAAAAAA", want: "601"},
	}
	for _, tt := range tests {
		r := s.call(http.MethodGet, path, tt.token, "", nil)
		if r.status != http.StatusOK || r.body["success"] != false || r.errorCode() != tt.want {
			t.Errorf("%s token: HTTP %d %s; want 200 with error %s", tt.name, r.status, r.raw, tt.want)
		}
	}
	tok := s.token()
	if r := s.call(http.MethodGet, path, tok, "", nil); r.body["success"] != true {
		t.Fatalf("fresh token refused: %s", r.raw)
	}
	time.Sleep(2500 * time.Millisecond)
	if r := s.call(http.MethodGet, path, tok, "", nil); r.errorCode() != "602" {
		t.Errorf("expired token: %s; want 602", r.raw)
	}
	if fresh := s.token(); fresh == tok {
		t.Errorf("the token endpoint returned the expired token again")
	}
}

func TestTokensSurviveARestart(t *testing.T) {
	t.Parallel()
	s := startSuite(t, "")
	tok := s.token()
	s.restart()
	if r := s.call(http.MethodGet, "/rest/v1/salespersons/describe.json", tok, "", nil); r.body["success"] != true {
		t.Errorf("token issued before the restart refused after it: %s", r.raw)
	}
	if again := s.token(); again != tok {
		t.Errorf("token endpoint after restart gave a new token; want the same until it expires")
	}
}

func TestSalesPersonsThroughTheGateway(t *testing.T) {
	t.Parallel()
	s := startSuite(t, "")
	tok := s.token()
	const guid = "9c858901-8a57-4791-81fe-4c455b099bc9"

	sync := s.call(http.MethodPost, "/rest/v1/salespersons.json", tok, "", map[string]any{
		"input": []map[string]any{
			{"externalSalesPersonId": "{9C858901-8A57-4791-81FE-4C455B099BC9}", "email": "Dana@Example.com", "firstName": "Dana"},
			{"externalSalesPersonId": "SF-Rep-7", "email": "rep7@example.com", "lastName": "Seven"},
			{"externalSalesPersonId": "9C858901-8A57-4791-81FE-4C455B099BC9"},
			{"email": "nokey@example.com"},
			{"externalSalesPersonId": "sp-x", "shoeSize": 44},
		},
	})
	want := []string{"created", "created", "skipped 1036", "skipped 1002", "skipped 1006"}
	if diff := cmp.Diff(want, outcomes(sync)); diff != "" {
		t.Fatalf("first sync (-want +got):\n%s\n%s", diff, sync.raw)
	}
	for i, item := range sync.results() {
		if item["seq"] != float64(i) {
			t.Errorf("result %d has seq %v", i, item["seq"])
		}
	}
	danaID := sync.results()[0]["id"]
	if _, isNumber := danaID.(float64); !isNumber {
		t.Fatalf("id %v is not a JSON number", danaID)
	}

	// An upsert with another spelling of the GUID updates the same record.
	upsert := s.call(http.MethodPost, "/rest/v1/salespersons.json", tok, "", map[string]any{
		"action": "createOrUpdate",
		"input":  []map[string]any{{"externalSalesPersonId": guid, "lastName": "Lee", "title": "AE"}},
	})
	if diff := cmp.Diff([]string{"updated"}, outcomes(upsert)); diff != "" {
		t.Fatalf("upsert (-want +got):\n%s\n%s", diff, upsert.raw)
	}
	if upsert.results()[0]["id"] != danaID {
		t.Errorf("upsert hit id %v, want %v", upsert.results()[0]["id"], danaID)
	}
	createOnly := s.call(http.MethodPost, "/rest/v1/salespersons.json", tok, "", map[string]any{
		"action": "createOnly",
		"input":  []map[string]any{{"externalSalesPersonId": strings.ToUpper(guid)}},
	})
	if diff := cmp.Diff([]string{"skipped 1017"}, outcomes(createOnly)); diff != "" {
		t.Errorf("createOnly on an existing record (-want +got):\n%s", diff)
	}

	for _, id := range []string{guid, strings.ToUpper(guid), "{" + guid + "}"} {
		r := s.call(http.MethodGet, "/rest/v1/salespersons.json?"+url.Values{"filterType": {"externalSalesPersonId"}, "filterValues": {id}}.Encode(), tok, "", nil)
		res := r.results()
		if len(res) != 1 {
			t.Fatalf("lookup by %s found %d records: %s", id, len(res), r.raw)
		}
		got := res[0]
		if got["externalSalesPersonId"] != guid || got["email"] != "Dana@Example.com" || got["firstName"] != "Dana" || got["lastName"] != "Lee" || got["title"] != "AE" || got["id"] != danaID {
			t.Errorf("lookup by %s = %v", id, got)
		}
		for _, f := range []string{"createdAt", "updatedAt"} {
			if _, err := time.Parse(time.RFC3339, fmt.Sprint(got[f])); err != nil {
				t.Errorf("%s = %v, want an ISO 8601 time", f, got[f])
			}
		}
	}

	fields := s.call(http.MethodGet, "/rest/v1/salespersons.json?filterType=email&filterValues=REP7@example.com,dana@example.com&fields=email,phone", tok, "", nil)
	if diff := cmp.Diff([]map[string]any{
		{"seq": 0.0, "id": danaID, "email": "Dana@Example.com", "phone": nil},
		{"seq": 1.0, "id": sync.results()[1]["id"], "email": "rep7@example.com", "phone": nil},
	}, fields.results()); diff != "" {
		t.Errorf("fields selection (-want +got):\n%s", diff)
	}

	describe := s.call(http.MethodGet, "/rest/v1/salespersons/describe.json", tok, "", nil)
	if res := describe.results(); len(res) != 1 || res[0]["idField"] != "id" || fmt.Sprint(res[0]["dedupeFields"]) != "[externalSalesPersonId]" {
		t.Errorf("describe = %s", describe.raw)
	}

	del := s.call(http.MethodPost, "/rest/v1/salespersons/delete.json", tok, "", map[string]any{
		"deleteBy": "dedupeFields",
		"input":    []map[string]any{{"externalSalesPersonId": strings.ToUpper(guid)}, {"externalSalesPersonId": "never-synced"}},
	})
	if diff := cmp.Diff([]string{"deleted", "skipped 1013"}, outcomes(del)); diff != "" {
		t.Errorf("delete (-want +got):\n%s\n%s", diff, del.raw)
	}
	gone := s.call(http.MethodGet, "/rest/v1/salespersons.json?filterType=externalSalesPersonId&filterValues="+guid, tok, "", nil)
	if gone.body["success"] != true || len(gone.results()) != 0 {
		t.Errorf("lookup after delete = %s; want success with an empty result", gone.raw)
	}
}

func TestSalesPersonQueriesPageWithoutGapsOrRepeats(t *testing.T) {
	t.Parallel()
	s := startSuite(t, "")
	tok := s.token()
	var input []map[string]any
	var ids []string
	for i := range 11 {
		id := fmt.Sprintf("PAGE-%02d", i)
		ids = append(ids, id)
		input = append(input, map[string]any{"externalSalesPersonId": id})
	}
	if r := s.call(http.MethodPost, "/rest/v1/salespersons.json", tok, "", map[string]any{"input": input}); r.body["success"] != true {
		t.Fatal(string(r.raw))
	}
	var seen []string
	token := ""
	for page := 0; page < 10; page++ {
		// Long queries go as POST ?_method=GET with a form body, as Marketo allows.
		form := url.Values{"filterType": {"externalSalesPersonId"}, "filterValues": {strings.Join(ids, ",")}, "batchSize": {"4"}}
		if token != "" {
			form.Set("nextPageToken", token)
		}
		r := s.call(http.MethodPost, "/rest/v1/salespersons.json?_method=GET", tok, "application/x-www-form-urlencoded", form.Encode())
		for _, item := range r.results() {
			seen = append(seen, item["externalSalesPersonId"].(string))
		}
		next, _ := r.body["nextPageToken"].(string)
		if more, _ := r.body["moreResult"].(bool); !more || next == "" {
			break
		}
		token = next
	}
	sort.Strings(seen)
	if diff := cmp.Diff(ids, seen); diff != "" {
		t.Errorf("paged ids (-want +got):\n%s", diff)
	}
	other := s.call(http.MethodGet, "/rest/v1/salespersons.json?filterType=externalSalesPersonId&filterValues=PAGE-01&nextPageToken="+url.QueryEscape(token), tok, "", nil)
	if other.body["success"] != false {
		t.Errorf("a page token replayed on another query was accepted: %s", other.raw)
	}
}

func TestBadRequestsGetMarketoErrorsAndChangeNothing(t *testing.T) {
	t.Parallel()
	s := startSuite(t, "")
	tok := s.token()
	tooMany := make([]map[string]any, 301)
	for i := range tooMany {
		tooMany[i] = map[string]any{"externalSalesPersonId": fmt.Sprintf("many-%d", i)}
	}
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        any
		wantHTTP    int
		wantCode    string
	}{
		{name: "invalid JSON", method: "POST", path: "/rest/v1/salespersons.json", contentType: "application/json", body: `{"input":[{"externalSalesPersonId":"bad-json"`, wantHTTP: 200, wantCode: "609"},
		{name: "wrong content type", method: "POST", path: "/rest/v1/salespersons.json", contentType: "text/plain", body: `{"input":[{"externalSalesPersonId":"bad-ct"}]}`, wantHTTP: 200, wantCode: "612"},
		{name: "unknown path", method: "GET", path: "/rest/v1/unicorns.json", wantHTTP: 200, wantCode: "610"},
		{name: "wrong method", method: "PUT", path: "/rest/v1/salespersons.json", contentType: "application/json", body: `{}`, wantHTTP: 200, wantCode: "605"},
		{name: "too many records", method: "POST", path: "/rest/v1/salespersons.json", body: map[string]any{"input": tooMany}, wantHTTP: 200, wantCode: "1003"},
		{name: "bad action", method: "POST", path: "/rest/v1/salespersons.json", body: map[string]any{"action": "upsertMaybe", "input": []map[string]any{{"externalSalesPersonId": "bad-action"}}}, wantHTTP: 200, wantCode: "1003"},
		{name: "idField with createOnly", method: "POST", path: "/rest/v1/salespersons.json", body: map[string]any{"action": "createOnly", "dedupeBy": "idField", "input": []map[string]any{{"id": 1}}}, wantHTTP: 200, wantCode: "1003"},
		{name: "unknown filterType", method: "GET", path: "/rest/v1/salespersons.json?filterType=shoeSize&filterValues=44", wantHTTP: 200, wantCode: "1003"},
		{name: "unknown field", method: "GET", path: "/rest/v1/salespersons.json?filterType=id&filterValues=1&fields=shoeSize", wantHTTP: 200, wantCode: "1006"},
		{name: "batchSize too big", method: "GET", path: "/rest/v1/salespersons.json?filterType=id&filterValues=1&batchSize=301", wantHTTP: 200, wantCode: "1003"},
		{name: "body over 1 MB", method: "POST", path: "/rest/v1/salespersons.json", contentType: "application/json", body: `{"input":[{"externalSalesPersonId":"` + strings.Repeat("x", 1<<20) + `"}]}`, wantHTTP: 413, wantCode: "413"},
		{name: "URI over 8 KB", method: "GET", path: "/rest/v1/salespersons.json?filterType=externalSalesPersonId&filterValues=" + strings.Repeat("y", 9000), wantHTTP: 414, wantCode: "414"},
	}
	for _, tt := range tests {
		r := s.call(tt.method, tt.path, tok, tt.contentType, tt.body)
		if r.status != tt.wantHTTP || r.body["success"] != false || r.errorCode() != tt.wantCode {
			t.Errorf("%s: HTTP %d %s; want HTTP %d with error %s", tt.name, r.status, truncate(r.raw), tt.wantHTTP, tt.wantCode)
		}
		if id, ok := r.body["requestId"].(string); !ok || !strings.Contains(id, "#") {
			t.Errorf("%s: requestId %v, want <hex>#<hex>", tt.name, r.body["requestId"])
		}
	}
	// None of them wrote anything.
	keys := []string{"bad-json", "bad-ct", "bad-action", "many-0", "many-300"}
	r := s.call(http.MethodGet, "/rest/v1/salespersons.json?filterType=externalSalesPersonId&filterValues="+strings.Join(keys, ","), tok, "", nil)
	if r.body["success"] != true || len(r.results()) != 0 {
		t.Errorf("rejected requests wrote records: %s", r.raw)
	}
}

func outcomes(r response) []string {
	var out []string
	for _, item := range r.results() {
		out = append(out, outcome(item))
	}
	return out
}

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}
