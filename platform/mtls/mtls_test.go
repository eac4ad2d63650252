package mtls

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

var discard = slog.New(slog.DiscardHandler)

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(raw)
	if b == nil {
		t.Fatalf("%s holds no PEM block", path)
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestGenerateWritesACompleteSet(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "tls")
	if err := Generate(dir, []string{"person.internal", "10.1.2.3"}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("directory: %v, %v; want mode 0700", fi.Mode(), err)
	}
	for _, f := range files {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		want := os.FileMode(0o644)
		if strings.HasSuffix(f, "-key.pem") {
			want = 0o600
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %v; want %v", f, fi.Mode().Perm(), want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "ca-key.pem")); err == nil {
		t.Error("the CA's private key was kept")
	}
	ca := readCert(t, filepath.Join(dir, CAFile))
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	server := readCert(t, filepath.Join(dir, ServerCertFile))
	for _, host := range []string{"localhost", "127.0.0.1", "::1", "person", "scoring", "orchestrator", "person.internal", "10.1.2.3"} {
		if _, err := server.Verify(x509.VerifyOptions{Roots: roots, DNSName: host, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			t.Errorf("server certificate for %s: %v", host, err)
		}
	}
	if _, err := server.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("server certificate as a client's: %v", err)
	}
	client := readCert(t, filepath.Join(dir, ClientCertFile))
	if _, err := client.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client certificate: %v", err)
	}
	if _, err := client.Verify(x509.VerifyOptions{Roots: roots, DNSName: "localhost", KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err == nil {
		t.Error("the client certificate can act as a server")
	}
	if err := Generate(dir, nil); err == nil {
		t.Error("Generate over an existing set succeeded; want an error")
	}
}

func TestEnsureConcurrentProcessesShareOneSet(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data", Dir)
	var wg sync.WaitGroup
	results := make([]bool, 6)
	errs := make([]error, 6)
	for i := range results {
		wg.Go(func() { results[i], errs[i] = Ensure(dir) })
	}
	wg.Wait()
	generated := 0
	for i := range results {
		if errs[i] != nil {
			t.Fatalf("Ensure %d: %v", i, errs[i])
		}
		if results[i] {
			generated++
		}
	}
	if generated != 1 {
		t.Errorf("%d callers generated a set; want exactly 1", generated)
	}
	before, _ := os.ReadFile(filepath.Join(dir, CAFile))
	if gen, err := Ensure(dir); err != nil || gen {
		t.Errorf("Ensure over a complete set = %v, %v; want false, nil", gen, err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, CAFile))
	if string(before) != string(after) {
		t.Error("Ensure replaced an existing CA")
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 1 {
		t.Errorf("the data directory holds %d entries after the race; want only %s", len(entries), Dir)
	}

	if err := os.Remove(filepath.Join(dir, ClientKeyFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := Ensure(dir); err == nil || !strings.Contains(err.Error(), ClientKeyFile) {
		t.Errorf("Ensure over half a set = %v; want an error naming %s", err, ClientKeyFile)
	}
}

func TestLoadErrorsNameTheSettingAndFile(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "a")
	other := filepath.Join(t.TempDir(), "b")
	for _, d := range []string{dir, other} {
		if err := Generate(d, nil); err != nil {
			t.Fatal(err)
		}
	}
	in := func(d, f string) string { return filepath.Join(d, f) }
	tests := []struct {
		name string
		cfg  Config
		role Role
		want []string
	}{
		{"bad mode", Config{Mode: "maybe"}, Server, []string{"MSISYNC_INTERNAL_TLS", "on or off"}},
		{"only some set", Config{CA: in(dir, CAFile)}, Server, []string{"MSISYNC_TLS_CA", "MSISYNC_TLS_CERT", "MSISYNC_TLS_KEY"}},
		{"missing CA", Config{CA: in(dir, "nope.pem"), Cert: in(dir, ServerCertFile), Key: in(dir, ServerKeyFile)}, Server, []string{"MSISYNC_TLS_CA", in(dir, "nope.pem")}},
		{"CA is not PEM", Config{CA: in(dir, ServerKeyFile), Cert: in(dir, ServerCertFile), Key: in(dir, ServerKeyFile)}, Server, []string{"MSISYNC_TLS_CA", in(dir, ServerKeyFile)}},
		{"key of another certificate", Config{CA: in(dir, CAFile), Cert: in(dir, ServerCertFile), Key: in(dir, ClientKeyFile)}, Server, []string{"MSISYNC_TLS_CERT", "MSISYNC_TLS_KEY", in(dir, ClientKeyFile)}},
		{"another CA", Config{CA: in(other, CAFile), Cert: in(dir, ServerCertFile), Key: in(dir, ServerKeyFile)}, Server, []string{"MSISYNC_TLS_CERT", in(dir, ServerCertFile), in(other, CAFile)}},
		{"client certificate on a server", Config{CA: in(dir, CAFile), Cert: in(dir, ClientCertFile), Key: in(dir, ClientKeyFile)}, Server, []string{"MSISYNC_TLS_CERT", in(dir, ClientCertFile), "server certificate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.cfg, t.TempDir(), tt.role, discard)
			if err == nil {
				t.Fatal("Load succeeded; want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	// The server certificate serves the all-in-one process in both roles.
	for _, role := range []Role{Server, Client} {
		if _, err := Load(Config{CA: in(dir, CAFile), Cert: in(dir, ServerCertFile), Key: in(dir, ServerKeyFile)}, "", role, discard); err != nil {
			t.Errorf("server.pem as role %d: %v", role, err)
		}
	}
	if _, err := Load(Config{}, "", Server, discard); err == nil || !strings.Contains(err.Error(), "MSISYNC_DATA_DIR") {
		t.Errorf("Load without files or data directory = %v; want an error naming MSISYNC_DATA_DIR", err)
	}
	if c, err := Load(Config{Mode: "off"}, "", Server, discard); err != nil || c != nil {
		t.Errorf("Load with MSISYNC_INTERNAL_TLS=off = %v, %v; want nil, nil", c, err)
	}
}

// serveHealth serves grpc.health.v1 with creds on a loopback port until the test ends.
func serveHealth(t *testing.T, creds credentials.TransportCredentials) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.Creds(creds))
	healthpb.RegisterHealthServer(srv, health.NewServer())
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

func check(t *testing.T, addr string, creds credentials.TransportCredentials) error {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	return err
}

func TestOnlyClientsOfTheCAGetThrough(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	srv, err := Load(Config{}, data, Server, discard)
	if err != nil {
		t.Fatal(err)
	}
	cli, err := Load(Config{}, data, Client, discard)
	if err != nil {
		t.Fatal(err)
	}
	addr := serveHealth(t, srv.Transport())
	if err := check(t, addr, cli.Transport()); err != nil {
		t.Fatalf("with the client certificate: %v", err)
	}

	caPEM, _ := os.ReadFile(filepath.Join(data, Dir, CAFile))
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	// A client that trusts the server but holds a certificate from another CA.
	strangerDir := filepath.Join(t.TempDir(), Dir)
	if err := Generate(strangerDir, nil); err != nil {
		t.Fatal(err)
	}
	strangerCert, err := tls.LoadX509KeyPair(filepath.Join(strangerDir, ClientCertFile), filepath.Join(strangerDir, ClientKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	for name, creds := range map[string]credentials.TransportCredentials{
		"plaintext":        insecure.NewCredentials(),
		"no certificate":   credentials.NewTLS(&tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS13}),
		"another CA's one": credentials.NewTLS(&tls.Config{RootCAs: roots, Certificates: []tls.Certificate{strangerCert}, MinVersion: tls.VersionTLS13}),
	} {
		if err := check(t, addr, creds); err == nil {
			t.Errorf("%s: the call got through", name)
		}
	}

	plain := serveHealth(t, (*Credentials)(nil).Transport())
	if err := check(t, plain, insecure.NewCredentials()); err != nil {
		t.Errorf("nil credentials (MSISYNC_INTERNAL_TLS=off) do not serve plaintext: %v", err)
	}
}
