package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	"github.com/msisync/msisync/services/orchestrator/internal/fault"
)

// internalCause is the text of a store failure as PostgreSQL words it.
const internalCause = "beginning transaction: FATAL: terminating connection due to administrator command (SQLSTATE 57P01)"

// failingStub answers every call with an error whose message is internal text.
type failingStub struct {
	orchestratorv1.UnimplementedInsightServiceServer
	orchestratorv1.UnimplementedMarketoSalesPersonServiceServer
	code codes.Code
}

func (s *failingStub) ListCrmFindings(context.Context, *orchestratorv1.ListCrmFindingsRequest) (*orchestratorv1.ListCrmFindingsResponse, error) {
	return nil, status.Error(s.code, internalCause)
}

func (s *failingStub) GetSalesPersons(context.Context, *orchestratorv1.GetSalesPersonsRequest) (*orchestratorv1.GetSalesPersonsResponse, error) {
	return nil, status.Error(s.code, internalCause)
}

// lockedBuffer is a log destination that tests read while servers write.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// quotedErrorID finds the error id a caller is told to quote.
var quotedErrorID = regexp.MustCompile(`error id ([0-9a-f]{16})`)

// TestInternalErrorsAreHiddenBehindAnID runs the gateway over HTTP in front of a gRPC server
// with the orchestrator's fault interceptor, whose handlers fail with internal text: /v1 and
// /rest callers get a fixed sentence with an error id, never the text, and the log has the
// id with the text.
func TestInternalErrorsAreHiddenBehindAnID(t *testing.T) {
	t.Parallel()
	for _, code := range []codes.Code{codes.Internal, codes.Unknown, codes.DataLoss, codes.Unavailable} {
		t.Run(code.String(), func(t *testing.T) {
			t.Parallel()
			logs := &lockedBuffer{}
			log := slog.New(slog.NewTextHandler(logs, nil))
			lis, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			srv := grpc.NewServer(grpc.ChainUnaryInterceptor(fault.UnaryServerInterceptor(log)))
			stub := &failingStub{code: code}
			orchestratorv1.RegisterInsightServiceServer(srv, stub)
			orchestratorv1.RegisterMarketoSalesPersonServiceServer(srv, stub)
			go func() { _ = srv.Serve(lis) }()
			t.Cleanup(srv.Stop)
			conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { conn.Close() })
			ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
			cfg := DefaultConfig
			cfg.Log = log
			h, err := New(context.Background(), cfg, conn, ok, ok)
			if err != nil {
				t.Fatal(err)
			}
			web := httptest.NewServer(h)
			t.Cleanup(web.Close)

			for _, path := range []string{"/v1/crm/findings", "/rest/v1/salespersons.json?filterType=externalSalesPersonId&filterValues=a"} {
				resp, err := http.Get(web.URL + path)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				checkHidden(t, path, body, logs.String())
				if strings.HasPrefix(path, "/rest/") {
					var env envelope
					if err := json.Unmarshal(body, &env); err != nil || len(env.Errors) != 1 {
						t.Fatalf("%s: no Marketo envelope: %v\n%s", path, err, body)
					}
					want := map[codes.Code]string{codes.Unavailable: "608"}[code]
					if want == "" {
						want = "611"
					}
					if env.Errors[0].Code != want || resp.StatusCode != http.StatusOK {
						t.Errorf("%s: HTTP %d code %s, want 200 with Marketo code %s", path, resp.StatusCode, env.Errors[0].Code, want)
					}
				} else if want := runtimeStatus(code); resp.StatusCode != want {
					t.Errorf("%s: HTTP %d, want %d", path, resp.StatusCode, want)
				}
			}
		})
	}
}

// runtimeStatus is the HTTP status grpc-gateway gives a gRPC code.
func runtimeStatus(c codes.Code) int {
	if c == codes.Unavailable {
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// checkHidden checks that body holds an error id and no internal text, and that logs hold
// the id on the same line as the internal text.
func checkHidden(t *testing.T, what string, body []byte, logs string) {
	t.Helper()
	if strings.Contains(string(body), "FATAL") || strings.Contains(string(body), "transaction") {
		t.Errorf("%s: the answer shows internal text: %s", what, body)
	}
	m := quotedErrorID.FindSubmatch(body)
	if m == nil {
		t.Errorf("%s: the answer quotes no error id: %s", what, body)
		return
	}
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, string(m[1])) && strings.Contains(line, "terminating connection due to administrator command") {
			return
		}
	}
	t.Errorf("%s: no log line has error id %s with the internal text; logs:\n%s", what, m[1], logs)
}
