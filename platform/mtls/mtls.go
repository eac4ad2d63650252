// Package mtls authenticates the calls between msisync's services with mutual TLS. The
// internal services (identity, account, person, opportunity, scoring) accept only callers
// that present a certificate signed by the suite's CA, and the orchestrator presents one
// when it calls them; health and reflection share the port, so an operator uses them with
// the client certificate too.
//
// Each process names its CA, certificate and key in MSISYNC_TLS_CA, MSISYNC_TLS_CERT and
// MSISYNC_TLS_KEY. When none is set, it uses the development set in <MSISYNC_DATA_DIR>/tls,
// which the first process to start there generates (Ensure); `msisync certs -dir …` writes
// one anywhere. MSISYNC_INTERNAL_TLS=off turns all of it off, for a service mesh that
// already authenticates the services' traffic.
package mtls

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// Dir is the directory, inside the data directory, of the generated development set.
const Dir = "tls"

// Config is a process's internal-TLS settings, read from MSISYNC_* variables. The zero value
// means on, with the development set under the data directory.
type Config struct {
	// Mode is on (the default) or off (MSISYNC_INTERNAL_TLS). Off makes the internal services
	// answer any caller in plaintext; it is meant only for a service mesh that already
	// enforces mutual TLS between the pods, and the process warns at start.
	Mode string `env:"INTERNAL_TLS" envDefault:"on"`
	// CA is the PEM file of the CA that signs every service's and client's certificate
	// (MSISYNC_TLS_CA).
	CA string `env:"TLS_CA"`
	// Cert is the PEM file of this process's certificate (MSISYNC_TLS_CERT): a server
	// certificate for an internal service, a client certificate for the orchestrator, one
	// valid for both in the all-in-one process.
	Cert string `env:"TLS_CERT"`
	// Key is the PEM file of Cert's private key (MSISYNC_TLS_KEY).
	Key string `env:"TLS_KEY"`
}

// Role is what a process uses its certificate for.
type Role int

const (
	// Server is an internal service, which requires and verifies its callers' certificates.
	Server Role = iota
	// Client is the orchestrator calling the internal services.
	Client
)

// defaults are the development files a role uses when no MSISYNC_TLS_* is set.
func (r Role) defaults() (cert, key string) {
	if r == Server {
		return ServerCertFile, ServerKeyFile
	}
	return ClientCertFile, ClientKeyFile
}

func (r Role) usage() (x509.ExtKeyUsage, string) {
	if r == Server {
		return x509.ExtKeyUsageServerAuth, "server"
	}
	return x509.ExtKeyUsageClientAuth, "client"
}

// Off reports whether internal TLS is turned off.
func (c Config) Off() bool { return strings.EqualFold(strings.TrimSpace(c.Mode), "off") }

// Validate reports a setting that cannot work; dataDir is MSISYNC_DATA_DIR, where the
// development set lives when no file is named.
func (c Config) Validate(dataDir string) error {
	switch strings.ToLower(strings.TrimSpace(c.Mode)) {
	case "", "on":
	case "off":
		return nil
	default:
		return fmt.Errorf("MSISYNC_INTERNAL_TLS is %q; use on or off", c.Mode)
	}
	set := 0
	for _, v := range []string{c.CA, c.Cert, c.Key} {
		if strings.TrimSpace(v) != "" {
			set++
		}
	}
	switch {
	case set != 0 && set != 3:
		return errors.New("set all of MSISYNC_TLS_CA, MSISYNC_TLS_CERT and MSISYNC_TLS_KEY, or none of them to use the development certificates under MSISYNC_DATA_DIR")
	case set == 0 && strings.TrimSpace(dataDir) == "":
		return errors.New("MSISYNC_TLS_CA, MSISYNC_TLS_CERT and MSISYNC_TLS_KEY are unset and MSISYNC_DATA_DIR is empty: name the certificate files, or a data directory to keep development certificates in")
	}
	return nil
}

// Credentials are a process's loaded TLS configuration; nil means internal TLS is off.
type Credentials struct {
	tls *tls.Config
}

// Transport returns the gRPC transport credentials: mutual TLS, or plaintext when c is nil
// (MSISYNC_INTERNAL_TLS=off).
func (c *Credentials) Transport() credentials.TransportCredentials {
	if c == nil {
		return insecure.NewCredentials()
	}
	return credentials.NewTLS(c.tls.Clone())
}

// Load reads and checks the files cfg names (or the development set under dataDir,
// generated when absent) for role. It returns nil credentials, after a warning, when
// internal TLS is off. Every error names the setting and the file it is about.
func Load(cfg Config, dataDir string, role Role, log *slog.Logger) (*Credentials, error) {
	if err := cfg.Validate(dataDir); err != nil {
		return nil, err
	}
	if cfg.Off() {
		once(warned, "off", func() {
			log.Warn("MSISYNC_INTERNAL_TLS=off: the internal gRPC services accept any caller that reaches their ports, in plaintext; use this only where a service mesh enforces mutual TLS between the services")
		})
		return nil, nil
	}
	if cfg.CA == "" {
		dir := filepath.Join(dataDir, Dir)
		generated, err := Ensure(dir)
		if err != nil {
			return nil, fmt.Errorf("internal TLS (MSISYNC_TLS_CA, MSISYNC_TLS_CERT and MSISYNC_TLS_KEY are unset, so the development certificates in %s are used): %w", dir, err)
		}
		if generated {
			log.Info("generated development certificates for the internal gRPC services; every process of the suite must use this same set",
				"dir", dir, "operator_client_cert", filepath.Join(dir, ClientCertFile))
		}
		cert, key := role.defaults()
		cfg.CA, cfg.Cert, cfg.Key = filepath.Join(dir, CAFile), filepath.Join(dir, cert), filepath.Join(dir, key)
	}
	creds, err := load(cfg, role)
	if err != nil {
		return nil, err
	}
	once(announced, cfg.CA, func() {
		log.Info("internal gRPC uses mutual TLS", "ca", cfg.CA)
	})
	return creds, nil
}

func load(cfg Config, role Role) (*Credentials, error) {
	caPEM, err := os.ReadFile(cfg.CA)
	if err != nil {
		return nil, fmt.Errorf("MSISYNC_TLS_CA: reading the CA certificate: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("MSISYNC_TLS_CA: %s holds no PEM certificate", cfg.CA)
	}
	pair, err := tls.LoadX509KeyPair(cfg.Cert, cfg.Key)
	if err != nil {
		return nil, fmt.Errorf("MSISYNC_TLS_CERT %s with MSISYNC_TLS_KEY %s: %w", cfg.Cert, cfg.Key, err)
	}
	leaf := pair.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return nil, fmt.Errorf("MSISYNC_TLS_CERT %s: %w", cfg.Cert, err)
		}
	}
	usage, what := role.usage()
	inter := x509.NewCertPool()
	for _, der := range pair.Certificate[1:] {
		if c, err := x509.ParseCertificate(der); err == nil {
			inter.AddCert(c)
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
		return nil, fmt.Errorf("MSISYNC_TLS_CERT %s is not a valid %s certificate from the CA in MSISYNC_TLS_CA %s: %w", cfg.Cert, what, cfg.CA, err)
	}
	t := &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{pair}}
	if role == Server {
		t.ClientAuth = tls.RequireAndVerifyClientCert
		t.ClientCAs = pool
	} else {
		t.RootCAs = pool
	}
	return &Credentials{tls: t}, nil
}

// A process logs each of these once, however many of its services load credentials.
var (
	mu        sync.Mutex
	warned    = map[string]bool{}
	announced = map[string]bool{}
)

// once runs fn the first time key is seen in seen.
func once(seen map[string]bool, key string, fn func()) {
	mu.Lock()
	defer mu.Unlock()
	if seen[key] {
		return
	}
	seen[key] = true
	fn()
}
