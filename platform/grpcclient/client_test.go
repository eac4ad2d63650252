package grpcclient

import (
	"testing"

	"google.golang.org/grpc/credentials/insecure"
)

func TestDialInternalDialsAWildcardHostOnLoopback(t *testing.T) {
	t.Parallel()
	for target, want := range map[string]string{
		"0.0.0.0:9103":     "127.0.0.1:9103",
		"[::]:9103":        "127.0.0.1:9103",
		":9103":            "127.0.0.1:9103",
		"127.0.0.1:9103":   "127.0.0.1:9103",
		"person:9103":      "person:9103",
		"10.0.0.7:9103":    "10.0.0.7:9103",
		"localhost:9103":   "localhost:9103",
		"[::1]:9103":       "[::1]:9103",
		"person.svc:19103": "person.svc:19103",
	} {
		conn, err := DialInternal(target, insecure.NewCredentials())
		if err != nil {
			t.Fatalf("DialInternal(%q): %v", target, err)
		}
		if got := conn.Target(); got != want {
			t.Errorf("DialInternal(%q) dials %q; want %q", target, got, want)
		}
		conn.Close()
	}
}
