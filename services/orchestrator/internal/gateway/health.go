package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// healthTimeout bounds one /healthz probe of one service.
const healthTimeout = 2 * time.Second

// Health answers /healthz: 200 only when every service of the suite reports SERVING over
// grpc.health.v1, 503 otherwise, with each service's state in the body.
type Health struct {
	// Services maps each service's name to a connection to it.
	Services map[string]*grpc.ClientConn
}

// ServeHTTP implements http.Handler.
func (h Health) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	states := h.States(r.Context())
	overall, code := "SERVING", http.StatusOK
	for _, s := range states {
		if s != healthpb.HealthCheckResponse_SERVING.String() {
			overall, code = "NOT_SERVING", http.StatusServiceUnavailable
		}
	}
	body, _ := json.Marshal(map[string]any{"status": overall, "services": states})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

// States asks every service for its grpc.health.v1 state, at once, and returns each one's
// ("SERVING", "NOT_SERVING", … or "UNREACHABLE") by name.
func (h Health) States(ctx context.Context) map[string]string {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	states := make(map[string]string, len(h.Services))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, conn := range h.Services {
		wg.Add(1)
		go func() {
			defer wg.Done()
			state := "UNREACHABLE"
			resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
			if err == nil {
				state = resp.GetStatus().String()
			}
			mu.Lock()
			states[name] = state
			mu.Unlock()
		}()
	}
	wg.Wait()
	return states
}
