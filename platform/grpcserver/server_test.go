package grpcserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

const testServiceName = "msisync.test.v1.TestService"

// testServer is the handler type of the test service; any value implements it.
type testServer interface{}

// unaryMethod builds a method of the test service from a plain function.
func unaryMethod(name string, fn func(context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error)) grpc.MethodDesc {
	return grpc.MethodDesc{
		MethodName: name,
		Handler: func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
			in := new(wrapperspb.StringValue)
			if err := dec(in); err != nil {
				return nil, err
			}
			handler := func(ctx context.Context, req any) (any, error) {
				return fn(ctx, req.(*wrapperspb.StringValue))
			}
			if interceptor == nil {
				return handler(ctx, in)
			}
			return interceptor(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: "/" + testServiceName + "/" + name}, handler)
		},
	}
}

// release lets the Block method return; each test server has its own.
type testService struct {
	started chan struct{}
	release chan struct{}
}

func (s *testService) desc() *grpc.ServiceDesc {
	return &grpc.ServiceDesc{
		ServiceName: testServiceName,
		HandlerType: (*testServer)(nil),
		Methods: []grpc.MethodDesc{
			unaryMethod("Echo", func(_ context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
				return wrapperspb.String("echo: " + in.GetValue()), nil
			}),
			unaryMethod("Panic", func(context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
				panic("boom: secret panic detail")
			}),
			unaryMethod("PlainError", func(context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
				return nil, errors.New("pq: relation secret_table does not exist")
			}),
			unaryMethod("Status", func(context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
				return nil, status.Error(codes.NotFound, "sales person 7 not found")
			}),
			unaryMethod("WrappedStatus", func(context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
				return nil, fmt.Errorf("looking up: %w", status.Error(codes.AlreadyExists, "already there"))
			}),
			unaryMethod("Deadline", func(context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
				return nil, fmt.Errorf("querying: %w", context.DeadlineExceeded)
			}),
			unaryMethod("Cancelled", func(context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
				return nil, context.Canceled
			}),
			unaryMethod("Block", func(context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
				close(s.started)
				<-s.release
				return wrapperspb.String("finished"), nil
			}),
		},
	}
}

// lockedBuffer is a log sink safe for the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// running is a started test server.
type running struct {
	conn   *grpc.ClientConn
	svc    *testService
	logs   *lockedBuffer
	cancel context.CancelFunc
	done   chan error
}

// start serves a Server with the test service on 127.0.0.1:0 until the test ends.
func start(t *testing.T, extra ...grpc.UnaryServerInterceptor) *running {
	t.Helper()
	logs := &lockedBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := New("test", log, extra...)
	svc := &testService{started: make(chan struct{}), release: make(chan struct{})}
	srv.GRPC.RegisterService(svc.desc(), svc)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{svc: svc, logs: logs, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- srv.ServeListener(ctx, lis) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	r.conn = conn
	t.Cleanup(func() {
		conn.Close()
		cancel()
		select {
		case <-r.done:
		case <-time.After(ShutdownGrace + 5*time.Second):
			t.Error("server did not stop")
		}
	})
	return r
}

func (r *running) call(ctx context.Context, method, in string) (string, error) {
	out := new(wrapperspb.StringValue)
	err := r.conn.Invoke(ctx, "/"+testServiceName+"/"+method, wrapperspb.String(in), out)
	return out.GetValue(), err
}

func callContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// outcome is what a gRPC client sees of a call.
type outcome struct {
	Value   string
	Code    codes.Code
	Message string
}

func outcomeOf(value string, err error) outcome {
	st := status.Convert(err)
	return outcome{Value: value, Code: st.Code(), Message: st.Message()}
}

func TestServerErrorBoundary(t *testing.T) {
	t.Parallel()
	r := start(t)
	tests := []struct {
		method string
		want   outcome
	}{
		{method: "Echo", want: outcome{Value: "echo: hi", Code: codes.OK}},
		{method: "Panic", want: outcome{Code: codes.Internal, Message: "internal error"}},
		{method: "PlainError", want: outcome{Code: codes.Internal, Message: "internal error"}},
		{method: "Status", want: outcome{Code: codes.NotFound, Message: "sales person 7 not found"}},
		{method: "WrappedStatus", want: outcome{Code: codes.AlreadyExists, Message: "already there"}},
		{method: "Deadline", want: outcome{Code: codes.DeadlineExceeded, Message: "the call ran out of time"}},
		{method: "Cancelled", want: outcome{Code: codes.Canceled, Message: "the call was cancelled"}},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			t.Parallel()
			got := outcomeOf(r.call(callContext(t), tt.method, "hi"))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s outcome mismatch (-want +got):\n%s", tt.method, diff)
			}
		})
	}
}

func TestServerKeepsServingAfterPanic(t *testing.T) {
	t.Parallel()
	r := start(t)
	ctx := callContext(t)
	for i := range 3 {
		if got := outcomeOf(r.call(ctx, "Panic", "")); got.Code != codes.Internal {
			t.Fatalf("panic call %d: %+v, want Internal", i, got)
		}
	}
	if diff := cmp.Diff(outcome{Value: "echo: still here", Code: codes.OK}, outcomeOf(r.call(ctx, "Echo", "still here"))); diff != "" {
		t.Errorf("call after panics mismatch (-want +got):\n%s", diff)
	}
	if logs := r.logs.String(); !strings.Contains(logs, "secret panic detail") {
		t.Errorf("the panic is not logged; logs:\n%s", logs)
	}
}

func TestServerLogsButHidesInternalCauses(t *testing.T) {
	t.Parallel()
	r := start(t)
	_, err := r.call(callContext(t), "PlainError", "")
	if strings.Contains(err.Error(), "secret_table") {
		t.Errorf("client error leaks the cause: %v", err)
	}
	if logs := r.logs.String(); !strings.Contains(logs, "secret_table") {
		t.Errorf("the cause is not logged; logs:\n%s", logs)
	}
}

func TestServerRunsExtraInterceptors(t *testing.T) {
	t.Parallel()
	type seenCall struct {
		Interceptor string
		Method      string
		Request     string
	}
	var mu sync.Mutex
	var seen []seenCall
	record := func(name string) grpc.UnaryServerInterceptor {
		return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
			mu.Lock()
			seen = append(seen, seenCall{Interceptor: name, Method: info.FullMethod, Request: req.(*wrapperspb.StringValue).GetValue()})
			mu.Unlock()
			return handler(ctx, req)
		}
	}
	r := start(t, record("first"), record("second"))
	if diff := cmp.Diff(outcome{Value: "echo: x", Code: codes.OK}, outcomeOf(r.call(callContext(t), "Echo", "x"))); diff != "" {
		t.Errorf("call mismatch (-want +got):\n%s", diff)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []seenCall{
		{Interceptor: "first", Method: "/" + testServiceName + "/Echo", Request: "x"},
		{Interceptor: "second", Method: "/" + testServiceName + "/Echo", Request: "x"},
	}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("interceptor calls mismatch (-want +got):\n%s", diff)
	}
}

func TestServerExtraInterceptorErrorsPassTheBoundary(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		interceptor grpc.UnaryServerInterceptor
		want        outcome
	}{
		{
			name: "plain error",
			interceptor: func(context.Context, any, *grpc.UnaryServerInfo, grpc.UnaryHandler) (any, error) {
				return nil, errors.New("token store: secret dsn")
			},
			want: outcome{Code: codes.Internal, Message: "internal error"},
		},
		{
			name: "status",
			interceptor: func(context.Context, any, *grpc.UnaryServerInfo, grpc.UnaryHandler) (any, error) {
				return nil, status.Error(codes.Unauthenticated, "Access token invalid")
			},
			want: outcome{Code: codes.Unauthenticated, Message: "Access token invalid"},
		},
		{
			name: "panic",
			interceptor: func(context.Context, any, *grpc.UnaryServerInfo, grpc.UnaryHandler) (any, error) {
				panic("interceptor panic")
			},
			want: outcome{Code: codes.Internal, Message: "internal error"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := start(t, tt.interceptor)
			if diff := cmp.Diff(tt.want, outcomeOf(r.call(callContext(t), "Echo", "x"))); diff != "" {
				t.Errorf("outcome mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestServerHealth(t *testing.T) {
	t.Parallel()
	r := start(t)
	health := healthpb.NewHealthClient(r.conn)
	for _, svc := range []string{"", testServiceName, healthpb.Health_ServiceDesc.ServiceName} {
		t.Run("service="+svc, func(t *testing.T) {
			t.Parallel()
			resp, err := health.Check(callContext(t), &healthpb.HealthCheckRequest{Service: svc})
			if err != nil {
				t.Fatalf("Check(%q): %v", svc, err)
			}
			if got := resp.GetStatus(); got != healthpb.HealthCheckResponse_SERVING {
				t.Errorf("Check(%q) = %v, want SERVING", svc, got)
			}
		})
	}
	t.Run("unknown service", func(t *testing.T) {
		t.Parallel()
		_, err := health.Check(callContext(t), &healthpb.HealthCheckRequest{Service: "msisync.nothing.v1.Nothing"})
		if got := status.Code(err); got != codes.NotFound {
			t.Errorf("Check(unknown) code = %v, want NotFound", got)
		}
	})
}

func TestServerStopsWhenContextEnds(t *testing.T) {
	t.Parallel()
	r := start(t)
	if _, err := r.call(callContext(t), "Echo", "x"); err != nil {
		t.Fatalf("Echo before shutdown: %v", err)
	}
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("ServeListener = %v, want nil", err)
		}
		r.done <- err // for the cleanup
	case <-time.After(5 * time.Second):
		t.Fatal("ServeListener did not return within 5s of the context ending")
	}
}

func TestServerLetsRunningCallsFinish(t *testing.T) {
	t.Parallel()
	r := start(t)
	type result struct {
		value string
		err   error
	}
	res := make(chan result, 1)
	go func() {
		v, err := r.call(context.Background(), "Block", "")
		res <- result{v, err}
	}()
	select {
	case <-r.svc.started:
	case <-time.After(5 * time.Second):
		t.Fatal("Block did not start")
	}
	r.cancel()
	select {
	case err := <-r.done:
		t.Fatalf("ServeListener returned %v while a call was running", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(r.svc.release)
	select {
	case got := <-res:
		if diff := cmp.Diff(outcome{Value: "finished", Code: codes.OK}, outcomeOf(got.value, got.err)); diff != "" {
			t.Errorf("running call mismatch (-want +got):\n%s", diff)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("running call did not finish")
	}
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("ServeListener = %v, want nil", err)
		}
		r.done <- err
	case <-time.After(5 * time.Second):
		t.Fatal("ServeListener did not return after the running call finished")
	}
}

func TestServeListenerReportsServeFailure(t *testing.T) {
	t.Parallel()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lis.Close()
	srv := New("test", slog.New(slog.DiscardHandler))
	done := make(chan error, 1)
	go func() { done <- srv.ServeListener(context.Background(), lis) }()
	select {
	case err := <-done:
		if err == nil || !strings.HasPrefix(err.Error(), "test: serving gRPC: ") {
			t.Errorf("ServeListener on a closed listener = %v, want a \"test: serving gRPC: …\" error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ServeListener on a closed listener did not return")
	}
}

// statusError is an error type that carries a gRPC status, as marketo.Error does.
type statusError struct{ st *status.Status }

func (e statusError) Error() string              { return "status error: " + e.st.Message() }
func (e statusError) GRPCStatus() *status.Status { return e.st }

func TestToStatus(t *testing.T) {
	t.Parallel()
	withDetails, err := status.New(codes.FailedPrecondition, "account in use").WithDetails(&errdetails.ErrorInfo{
		Reason:   "MARKETO_1022",
		Domain:   "msisync.io",
		Metadata: map[string]string{"marketoCode": "1022"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		err        error
		want       *status.Status
		wantLogged bool
	}{
		{name: "GRPCStatus with details", err: statusError{withDetails}, want: withDetails},
		{name: "wrapped GRPCStatus with details", err: fmt.Errorf("deleting: %w", statusError{withDetails}), want: withDetails},
		{name: "status error", err: status.Error(codes.PermissionDenied, "Access denied"), want: status.New(codes.PermissionDenied, "Access denied")},
		{name: "context.Canceled", err: fmt.Errorf("reading: %w", context.Canceled), want: status.New(codes.Canceled, "the call was cancelled")},
		{name: "context.DeadlineExceeded", err: context.DeadlineExceeded, want: status.New(codes.DeadlineExceeded, "the call ran out of time")},
		{name: "plain error", err: errors.New("disk full: secret path"), want: status.New(codes.Internal, "internal error"), wantLogged: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			logs := &lockedBuffer{}
			got := ToStatus(context.Background(), slog.New(slog.NewTextHandler(logs, nil)), "/svc/Method", tt.err)
			st, ok := status.FromError(got)
			if !ok {
				t.Fatalf("ToStatus = %v, not a gRPC status", got)
			}
			if diff := cmp.Diff(tt.want.Proto(), st.Proto(), protocmp.Transform()); diff != "" {
				t.Errorf("status mismatch (-want +got):\n%s", diff)
			}
			if logged := strings.Contains(logs.String(), tt.err.Error()); logged != tt.wantLogged {
				t.Errorf("cause logged = %v, want %v; logs:\n%s", logged, tt.wantLogged, logs)
			}
			if tt.wantLogged && !strings.Contains(logs.String(), "/svc/Method") {
				t.Errorf("the log does not name the method; logs:\n%s", logs)
			}
		})
	}
}

func TestToStatusWithoutAStatus(t *testing.T) {
	t.Parallel()
	for _, err := range []error{statusError{nil}, statusError{status.New(codes.OK, "")}} {
		got := ToStatus(context.Background(), slog.New(slog.DiscardHandler), "/svc/Method", err)
		if status.Code(got) == codes.OK {
			t.Errorf("ToStatus(%v) = %v, want a non-OK status", err, got)
		}
	}
}

func TestServeNamesTheVariableOfAPortInUse(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	err = New("person", slog.New(slog.DiscardHandler)).Serve(context.Background(), taken.Addr().String())
	if err == nil || !strings.Contains(err.Error(), "already in use") || !strings.Contains(err.Error(), "MSISYNC_PERSON_ADDR") {
		t.Errorf("Serve on a taken port: %v; want it to say the port is in use and name MSISYNC_PERSON_ADDR", err)
	}
}
