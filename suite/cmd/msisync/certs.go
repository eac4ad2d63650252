package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/msisync/msisync/platform/mtls"
)

// certsMain is `msisync certs`: it writes the development CA and the internal services'
// server and client certificates, for processes that do not share a data directory (the
// services run separately, in containers). It returns the exit code.
func certsMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("msisync certs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := os.Getenv("MSISYNC_DATA_DIR")
	if dataDir == "" {
		dataDir = "data"
	}
	defDir := filepath.Join(dataDir, mtls.Dir)
	dir := fs.String("dir", defDir, "directory to write the certificates into")
	hosts := fs.String("hosts", "", "comma-separated extra DNS names and IP addresses for the server certificate, besides "+strings.Join(mtls.DefaultHosts, ", "))
	force := fs.Bool("force", false, "replace a set the directory already holds")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: msisync certs [-dir DIR] [-hosts h1,h2] [-force]

Writes a development CA (ca.pem), the internal services' server certificate (server.pem,
server-key.pem) and a client certificate (client.pem, client-key.pem) for the orchestrator
and for operators, keys mode 0600. The CA's key is not kept. A directory that already holds
a set is left alone unless -force is given.

`+"`make run`"+` needs none of this: the suite generates the set under MSISYNC_DATA_DIR itself.

`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "msisync certs: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	var extra []string
	for _, h := range strings.Split(*hosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			extra = append(extra, h)
		}
	}
	if err := writeCerts(*dir, extra, *force, stdout); err != nil {
		fmt.Fprintf(stderr, "msisync certs: %v\n", err)
		return 1
	}
	return 0
}

func writeCerts(dir string, hosts []string, force bool, stdout io.Writer) error {
	if _, err := os.Stat(filepath.Join(dir, mtls.CAFile)); err == nil && !force {
		fmt.Fprintf(stdout, "%s already holds certificates; kept them (-force replaces them)\n", dir)
		return nil
	}
	if force {
		if err := mtls.RemoveSet(dir); err != nil {
			return err
		}
	}
	if err := mtls.Generate(dir, hosts); err != nil {
		return err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	in := func(f string) string { return filepath.Join(abs, f) }
	fmt.Fprintf(stdout, `Wrote a development CA and certificates to %[1]s.

Each internal service (identity, account, person, opportunity, scoring):
  MSISYNC_TLS_CA=%[2]s MSISYNC_TLS_CERT=%[3]s MSISYNC_TLS_KEY=%[4]s
The orchestrator:
  MSISYNC_TLS_CA=%[2]s MSISYNC_TLS_CERT=%[5]s MSISYNC_TLS_KEY=%[6]s
An operator:
  go tool grpcurl -cacert %[2]s -cert %[5]s -key %[6]s 127.0.0.1:9103 list
`, abs, in(mtls.CAFile), in(mtls.ServerCertFile), in(mtls.ServerKeyFile), in(mtls.ClientCertFile), in(mtls.ClientKeyFile))
	return nil
}
