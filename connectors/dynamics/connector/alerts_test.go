package connector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/msisync/msisync/connectors/dynamics/dataverse"
	"github.com/msisync/msisync/platform/alert"
	"github.com/msisync/msisync/platform/config"
)

func TestCycleFailuresAreClassified(t *testing.T) {
	t.Parallel()
	refused := &url.Error{Op: "Get", URL: "https://org.example/api", Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}
	for _, tt := range []struct {
		err                     error
		dataverse, orchestrator bool
	}{
		{fmt.Errorf("pulling accounts: %w", refused), true, false},
		{fmt.Errorf("pulling accounts: %w", &dataverse.Error{Status: 503, Message: "Service Unavailable"}), true, false},
		{fmt.Errorf("pulling accounts: %w", &dataverse.Error{Status: 429, Message: "throttled"}), false, false},
		{fmt.Errorf("pulling accounts: %w", &dataverse.Error{Status: 400, Message: "bad query"}), false, false},
		{fmt.Errorf("sending leads: %w", status.Error(codes.Unavailable, "connection refused")), false, true},
		{fmt.Errorf("sending leads: %w", status.Error(codes.InvalidArgument, "bad")), false, false},
	} {
		if got := dataverseUnreachable(tt.err); got != tt.dataverse {
			t.Errorf("dataverseUnreachable(%v) = %v, want %v", tt.err, got, tt.dataverse)
		}
		if got := orchestratorUnreachable(tt.err); got != tt.orchestrator {
			t.Errorf("orchestratorUnreachable(%v) = %v, want %v", tt.err, got, tt.orchestrator)
		}
	}
}

func TestFailedCyclesInARowFireAndResolve(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e alert.Event
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &e)
		mu.Lock()
		got = append(got, e.Alert+" "+e.Status)
		mu.Unlock()
	}))
	defer srv.Close()
	h := newCycleAlerts(Config{Alert: alert.Config{WebhookURL: config.Secret(srv.URL), WebhookSecret: "0123456789abcdef"}, AlertFailedCycles: 3}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.run(ctx)
	down := fmt.Errorf("sending leads: %w", status.Error(codes.Unavailable, "connection refused"))
	h.observe("sync", down)
	h.observe("sync", errors.New("a bad record"))
	h.observe("writeback", down)
	h.observe("sync", down) // third sync failure in a row
	h.observe("sync", down) // still firing: not sent again
	h.observe("sync", nil)
	want := []string{"dynamics/orchestrator-unreachable firing", "dynamics/sync-cycles-failing firing",
		"dynamics/sync-cycles-failing resolved", "dynamics/orchestrator-unreachable resolved"}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		seen := strings.Join(got, ",")
		mu.Unlock()
		if seen == strings.Join(want, ",") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("alerts = %s, want %v", seen, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
