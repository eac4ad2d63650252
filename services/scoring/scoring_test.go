package scoring

import (
	"context"
	"log/slog"
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	scoringv1 "github.com/msisync/msisync/gen/msisync/scoring/v1"
)

// registered is every gRPC API the scoring service serves.
var registered = []grpc.ServiceDesc{
	scoringv1.ScoringService_ServiceDesc,
}

// startService runs a real scoring service on a free port and returns a client connected over
// gRPC.
func startService(t *testing.T) *grpc.ClientConn {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	svc, err := New(ctx, Config{Addr: "127.0.0.1:0"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- svc.Serve(ctx, lis) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		if err := svc.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return conn
}

func TestHealthServing(t *testing.T) {
	t.Parallel()
	h := healthpb.NewHealthClient(startService(t))
	names := []string{""}
	for _, d := range registered {
		names = append(names, d.ServiceName)
	}
	for _, name := range names {
		res, err := h.Check(t.Context(), &healthpb.HealthCheckRequest{Service: name})
		if err != nil || res.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("health of %q = %v, %v; want SERVING", name, res, err)
		}
	}
}

func TestReflectionListsServices(t *testing.T) {
	t.Parallel()
	stream, err := reflectionpb.NewServerReflectionClient(startService(t)).ServerReflectionInfo(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{ListServices: "*"},
	}); err != nil {
		t.Fatal(err)
	}
	res, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range res.GetListServicesResponse().GetService() {
		// The reflection services themselves (v1 and v1alpha) are left out: that the call
		// answered proves them.
		if !strings.HasPrefix(s.GetName(), "grpc.reflection.") {
			got = append(got, s.GetName())
		}
	}
	slices.Sort(got)
	want := []string{
		"grpc.health.v1.Health",
		"msisync.scoring.v1.ScoringService",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reflected services (-want +got):\n%s", diff)
	}
}

func TestRPCsAreUnimplemented(t *testing.T) {
	t.Parallel()
	conn := startService(t)
	ctx := t.Context()
	if _, err := scoringv1.NewScoringServiceClient(conn).GetTierBoundaries(ctx, &scoringv1.GetTierBoundariesRequest{}); status.Code(err) != codes.Unimplemented {
		t.Errorf("ScoringService.GetTierBoundaries: %v, want Unimplemented", err)
	}
	// Every other method too: an empty message is a valid encoding of any request.
	for _, d := range registered {
		for _, m := range d.Methods {
			method := "/" + d.ServiceName + "/" + m.MethodName
			if err := conn.Invoke(ctx, method, &emptypb.Empty{}, &emptypb.Empty{}); status.Code(err) != codes.Unimplemented {
				t.Errorf("%s: %v, want Unimplemented", method, err)
			}
		}
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	if err := (Config{Addr: "127.0.0.1:9105"}).Validate(); err != nil {
		t.Errorf("valid address: %v", err)
	}
	if _, err := New(context.Background(), Config{Addr: "no-port"}, slog.New(slog.DiscardHandler)); err == nil {
		t.Error("New accepted an address without a port")
	}
}
