package main

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msisync/msisync/platform/mtls"
)

func TestCertsWritesKeepsAndReplacesASet(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "certs")
	var out, errOut bytes.Buffer
	if code := certsMain([]string{"-dir", dir, "-hosts", "person.internal, 10.0.0.7"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{"MSISYNC_TLS_CA=" + filepath.Join(dir, mtls.CAFile), "MSISYNC_TLS_CERT=" + filepath.Join(dir, mtls.ServerCertFile), "-cert " + filepath.Join(dir, mtls.ClientCertFile)} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	log := slog.New(slog.DiscardHandler)
	for role, files := range map[mtls.Role][2]string{mtls.Server: {mtls.ServerCertFile, mtls.ServerKeyFile}, mtls.Client: {mtls.ClientCertFile, mtls.ClientKeyFile}} {
		cfg := mtls.Config{CA: filepath.Join(dir, mtls.CAFile), Cert: filepath.Join(dir, files[0]), Key: filepath.Join(dir, files[1])}
		if _, err := mtls.Load(cfg, "", role, log); err != nil {
			t.Errorf("loading %s: %v", files[0], err)
		}
	}
	ca, _ := os.ReadFile(filepath.Join(dir, mtls.CAFile))

	out.Reset()
	if code := certsMain([]string{"-dir", dir}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "kept") {
		t.Errorf("second run: exit %d, %q; want 0 and the set kept", code, out.String())
	}
	if again, _ := os.ReadFile(filepath.Join(dir, mtls.CAFile)); !bytes.Equal(again, ca) {
		t.Error("the second run replaced the CA without -force")
	}
	if code := certsMain([]string{"-dir", dir, "-force"}, &out, &errOut); code != 0 {
		t.Fatalf("-force: exit %d: %s", code, errOut.String())
	}
	if again, _ := os.ReadFile(filepath.Join(dir, mtls.CAFile)); bytes.Equal(again, ca) {
		t.Error("-force kept the old CA")
	}
	if code := certsMain([]string{"-dir", dir, "stray"}, &out, &errOut); code != 2 {
		t.Errorf("a stray argument: exit %d; want 2", code)
	}
}
