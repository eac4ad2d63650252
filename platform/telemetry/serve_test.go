package telemetry

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
)

func TestServeNamesTheVariableOfABusyAddress(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	err = Serve(context.Background(), "MSISYNC_METRICS_ADDR", busy.Addr().String(), http.NotFoundHandler())
	if err == nil || !strings.Contains(err.Error(), "set MSISYNC_METRICS_ADDR to a free address") {
		t.Errorf("Serve on a busy address = %v; want an error that says to set MSISYNC_METRICS_ADDR to a free address", err)
	}
}
