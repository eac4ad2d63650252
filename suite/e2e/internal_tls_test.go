package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
	"github.com/msisync/msisync/platform/mtls"
)

// tlsDir is where the all-in-one suite keeps the development certificates it generates.
func (s *suite) tlsDir() string { return filepath.Join(s.dataDir, mtls.Dir) }

// operatorCreds are the transport credentials of an operator holding the suite's client
// certificate, read from the suite's data directory.
func (s *suite) operatorCreds(t *testing.T) credentials.TransportCredentials {
	t.Helper()
	dir := s.tlsDir()
	creds, err := mtls.Load(mtls.Config{
		CA:   filepath.Join(dir, mtls.CAFile),
		Cert: filepath.Join(dir, mtls.ClientCertFile),
		Key:  filepath.Join(dir, mtls.ClientKeyFile),
	}, "", mtls.Client, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("the operator's credentials: %v", err)
	}
	return creds.Transport()
}

// internalConn dials one of the suite's internal services with creds.
func (s *suite) internalConn(t *testing.T, svc string, creds credentials.TransportCredentials) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(s.grpc[svc], grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// TestInternalServicesRequireTheClientCertificate: a caller that reaches the person service's
// port cannot write a lead naming a company that does not exist, around the orchestrator's
// order checks, unless it holds the suite's client certificate; an operator who holds it
// uses health, reflection and the RPCs, with Go clients and with grpcurl.
func TestInternalServicesRequireTheClientCertificate(t *testing.T) {
	t.Parallel()
	s := startSuite(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	intruder := &personv1.SyncLeadsRequest{Input: []*personv1.LeadInput{{
		Email:             proto.String("intruder@example.com"),
		ExternalPersonId:  proto.String("tls-intruder"),
		ExternalCompanyId: proto.String("no-such-company"),
	}}}
	attackers := map[string]credentials.TransportCredentials{"plaintext": insecure.NewCredentials()}
	if caPEM, err := os.ReadFile(filepath.Join(s.tlsDir(), mtls.CAFile)); err != nil {
		t.Errorf("the suite wrote no CA certificate: %v", err)
	} else {
		roots := x509.NewCertPool()
		roots.AppendCertsFromPEM(caPEM)
		attackers["TLS without a client certificate"] = credentials.NewTLS(&tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS13})
	}
	for name, creds := range attackers {
		res, err := personv1.NewLeadServiceClient(s.internalConn(t, "person", creds)).SyncLeads(ctx, intruder)
		if err == nil {
			t.Errorf("%s: SyncLeads was answered: %v", name, res)
			continue
		}
		if c := status.Code(err); c != codes.Unavailable && c != codes.Unauthenticated {
			t.Errorf("%s: SyncLeads failed with %v; want the handshake to fail (UNAVAILABLE) or UNAUTHENTICATED", name, err)
		}
	}

	// Nothing was written: neither the REST API nor the person service knows the lead.
	r := s.call(http.MethodGet, "/rest/v1/leads.json?filterType=externalPersonId&filterValues=tls-intruder", s.token(), "", nil)
	if r.status != http.StatusOK || r.body["success"] != true || len(r.results()) != 0 {
		t.Errorf("the intruder's lead over REST: %d %s; want no lead", r.status, r.raw)
	}

	operator := s.operatorCreds(t)
	leads, err := personv1.NewLeadServiceClient(s.internalConn(t, "person", operator)).ListLeads(ctx, &personv1.ListLeadsRequest{
		FilterField: personv1.LeadField_LEAD_FIELD_EXTERNAL_PERSON_ID, FilterValues: []string{"tls-intruder"},
	})
	if err != nil || len(leads.GetLeads()) != 0 {
		t.Errorf("the operator's ListLeads = %v, %v; want no lead and no error", leads, err)
	}
	for _, svc := range []string{"identity", "account", "person", "opportunity", "scoring"} {
		h, err := healthpb.NewHealthClient(s.internalConn(t, svc, operator)).Check(ctx, &healthpb.HealthCheckRequest{})
		if err != nil || h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("%s: the operator's health check = %v, %v; want SERVING", svc, h, err)
		}
	}

	// grpcurl, as the README shows it: with the certificate flags it lists the services
	// through reflection and calls an RPC; without a client certificate it gets nowhere.
	dir := s.tlsDir()
	grpcurl := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, "go", append([]string{"-C", workspaceRoot(t), "tool", "grpcurl"}, args...)...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	certFlags := []string{"-cacert", filepath.Join(dir, mtls.CAFile), "-cert", filepath.Join(dir, mtls.ClientCertFile), "-key", filepath.Join(dir, mtls.ClientKeyFile)}
	if out, err := grpcurl(append(certFlags, s.grpc["person"], "list")...); err != nil || !strings.Contains(out, "msisync.person.v1.LeadService") || !strings.Contains(out, "grpc.health.v1.Health") {
		t.Errorf("grpcurl list with the client certificate: %v\n%s", err, out)
	}
	if out, err := grpcurl(append(certFlags, "-d", `{"filter_field":"LEAD_FIELD_EXTERNAL_PERSON_ID","filter_values":["tls-intruder"]}`,
		s.grpc["person"], "msisync.person.v1.LeadService/ListLeads")...); err != nil {
		t.Errorf("grpcurl ListLeads with the client certificate: %v\n%s", err, out)
	}
	for name, args := range map[string][]string{
		"plaintext":              {"-plaintext", s.grpc["person"], "list"},
		"without the client key": {"-cacert", filepath.Join(dir, mtls.CAFile), s.grpc["person"], "list"},
	} {
		if out, err := grpcurl(args...); err == nil {
			t.Errorf("grpcurl %s got through:\n%s", name, out)
		}
	}
}
