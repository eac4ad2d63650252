package mtls

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// The files Generate writes into its directory. The CA's private key is not among them: it
// is discarded once the two certificates are signed, so nobody can issue more from the
// directory.
const (
	// CAFile is the development CA's certificate, which every process trusts.
	CAFile = "ca.pem"
	// ServerCertFile is the internal services' certificate, valid for server and client
	// authentication (the all-in-one process presents it in both roles when it is named in
	// MSISYNC_TLS_CERT).
	ServerCertFile = "server.pem"
	// ServerKeyFile is the private key of ServerCertFile (mode 0600).
	ServerKeyFile = "server-key.pem"
	// ClientCertFile is the client certificate the orchestrator presents to the internal
	// services, and an operator to grpcurl; it is valid for client authentication only.
	ClientCertFile = "client.pem"
	// ClientKeyFile is the private key of ClientCertFile (mode 0600).
	ClientKeyFile = "client-key.pem"
)

// files are the files a complete set holds.
var files = []string{CAFile, ServerCertFile, ServerKeyFile, ClientCertFile, ClientKeyFile}

// DefaultHosts are the names and addresses the generated server certificate covers:
// loopback, and the service names docker-compose.yml gives the containers.
var DefaultHosts = []string{
	"localhost", "127.0.0.1", "::1",
	"identity", "account", "person", "opportunity", "scoring", "orchestrator",
}

// Validity of what Generate writes. Development certificates outlive any test run and most
// installations; a process refuses to start with an expired one and says which.
const (
	caValidity   = 10 * 365 * 24 * time.Hour
	leafValidity = 5 * 365 * 24 * time.Hour
)

// Generate writes a new development CA certificate and, signed by it, a server and a client
// certificate with their ECDSA P-256 keys into dir, which must not hold a set yet. The server
// certificate covers DefaultHosts and hosts (DNS names or IP addresses). The directory is
// filled under a temporary name and renamed into place, so a process that reads it never
// sees half a set, and of several processes generating at once, one wins and the others
// find its set (see Ensure).
func Generate(dir string, hosts []string) error {
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o750); err != nil {
		return fmt.Errorf("creating %s: %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+"-*")
	if err != nil {
		return fmt.Errorf("creating a directory for the certificates: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	if err := writeSet(tmp, hosts); err != nil {
		return err
	}
	// os.Rename fails on an existing directory; an empty one (made by hand, or emptied by
	// `msisync certs -force`) is removed first, one that holds files is left alone.
	_ = os.Remove(dir)
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("moving the certificates into %s: %w", dir, err)
	}
	return nil
}

// RemoveSet removes the files of a set from dir (those it holds), leaving dir itself, so that
// Generate can write a new set there.
func RemoveSet(dir string) error {
	for _, f := range files {
		if err := os.Remove(filepath.Join(dir, f)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// Ensure makes sure dir holds a complete set, generating one (for DefaultHosts) when dir
// holds none. It reports whether it generated. A directory with only part of a set is an
// error: Ensure never overwrites certificates someone may rely on.
func Ensure(dir string) (generated bool, err error) {
	switch ok, err := complete(dir); {
	case err != nil:
		return false, err
	case ok:
		return false, nil
	}
	genErr := Generate(dir, nil)
	if genErr == nil {
		return true, nil
	}
	// Another process may have won the race to the rename.
	if ok, err := complete(dir); err == nil && ok {
		return false, nil
	}
	return false, genErr
}

// complete reports whether dir holds every file of a set; an error names what is missing
// from a directory that holds only some. Another process's set lands by one rename, which
// can happen between two of the checks (the first files not there yet, the last ones
// there), so a partial look is taken again once before it counts as a partial set.
func complete(dir string) (bool, error) {
	for look := 1; ; look++ {
		missing, err := missingFiles(dir)
		switch {
		case err != nil:
			return false, err
		case len(missing) == 0:
			return true, nil
		case len(missing) == len(files):
			return false, nil
		case look == 2:
			return false, fmt.Errorf("%s holds only part of a certificate set (%v missing): remove the directory to have a new set generated, or run `msisync certs -dir %s -force`", dir, missing, dir)
		}
	}
}

// missingFiles lists the files of a set that dir does not hold.
func missingFiles(dir string) ([]string, error) {
	var missing []string
	for _, f := range files {
		if _, err := os.Stat(filepath.Join(dir, f)); errors.Is(err, fs.ErrNotExist) {
			missing = append(missing, f)
		} else if err != nil {
			return nil, err
		}
	}
	return missing, nil
}

// writeSet generates the CA and the two certificates into the existing directory dir.
func writeSet(dir string, hosts []string) error {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	caTmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "msisync development CA", Organization: []string{"msisync"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, ca, err := sign(caTmpl, nil, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	server := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "msisync internal service", Organization: []string{"msisync"}},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.Add(leafValidity),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	for _, h := range append(slices.Clone(DefaultHosts), hosts...) {
		if ip := net.ParseIP(h); ip != nil {
			server.IPAddresses = append(server.IPAddresses, ip)
		} else if h != "" && !slices.Contains(server.DNSNames, h) {
			server.DNSNames = append(server.DNSNames, h)
		}
	}
	client := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "msisync operator", Organization: []string{"msisync"}},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.Add(leafValidity),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if err := writePEM(filepath.Join(dir, CAFile), "CERTIFICATE", caDER, 0o644); err != nil {
		return err
	}
	for _, leaf := range []struct {
		tmpl      *x509.Certificate
		cert, key string
	}{{server, ServerCertFile, ServerKeyFile}, {client, ClientCertFile, ClientKeyFile}} {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		der, _, err := sign(leaf.tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			return err
		}
		keyDER, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return err
		}
		if err := writePEM(filepath.Join(dir, leaf.key), "PRIVATE KEY", keyDER, 0o600); err != nil {
			return err
		}
		if err := writePEM(filepath.Join(dir, leaf.cert), "CERTIFICATE", der, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// sign issues tmpl with a random serial number, signed by parent's key (self-signed when
// parent is nil).
func sign(tmpl, parent *x509.Certificate, pub *ecdsa.PublicKey, signer *ecdsa.PrivateKey) ([]byte, *x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	tmpl.SerialNumber = serial
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		return nil, nil, fmt.Errorf("signing the %q certificate: %w", tmpl.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	return der, cert, err
}

// writePEM writes one PEM block to a new file with mode perm.
func writePEM(path, blockType string, der []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	err = pem.Encode(f, &pem.Block{Type: blockType, Bytes: der})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
