package fault

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/msisync/msisync/platform/marketo"
)

const secret = "dial tcp 10.0.0.7:5432: secret internal detail"

func TestHideReplacesInternalTextWithAnID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		err      error
		wantCode codes.Code
		wantLead string
	}{
		{"Internal", status.Error(codes.Internal, secret), codes.Internal, "Internal error: something went wrong on our side"},
		{"Unknown", status.Error(codes.Unknown, secret), codes.Unknown, "Internal error: something went wrong on our side"},
		{"DataLoss", status.Error(codes.DataLoss, secret), codes.DataLoss, "Internal error: something went wrong on our side"},
		{"Unavailable", status.Error(codes.Unavailable, secret), codes.Unavailable, "Temporarily unavailable: a service behind the API did not answer; try again later"},
		{"plain error", fmt.Errorf("reading: %w", errors.New(secret)), codes.Internal, "Internal error: something went wrong on our side"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			got := Hide(context.Background(), slog.New(slog.NewTextHandler(&logs, nil)), "/svc/Method", tt.err)
			st := status.Convert(got)
			id := ID(got)
			if st.Code() != tt.wantCode || !strings.HasPrefix(st.Message(), tt.wantLead) || len(id) != 16 || !strings.Contains(st.Message(), "error id "+id) {
				t.Errorf("Hide = %v %q (id %q), want %v starting %q quoting a 16-digit id", st.Code(), st.Message(), id, tt.wantCode, tt.wantLead)
			}
			if strings.Contains(st.Message(), "secret") {
				t.Errorf("the message shows the internal text: %q", st.Message())
			}
			if line := logs.String(); !strings.Contains(line, "error_id="+id) || !strings.Contains(line, secret) || !strings.Contains(line, "/svc/Method") {
				t.Errorf("log = %q, want the id, the method and the internal text on one line", line)
			}
			// Hiding twice (the gateway after the gRPC server) keeps the first id.
			if again := Hide(context.Background(), slog.New(slog.DiscardHandler), "GET /v1/x", got); ID(again) != id {
				t.Errorf("hidden again: id %q, want %q", ID(again), id)
			}
		})
	}
}

func TestHideLeavesCallerErrorsAlone(t *testing.T) {
	t.Parallel()
	for _, err := range []error{
		nil,
		status.Error(codes.InvalidArgument, "pageSize 301 is out of range"),
		status.Error(codes.NotFound, "no such run"),
		marketo.NewError(codes.Unauthenticated, marketo.CodeAccessTokenExpired, ""),
		marketo.NewError(codes.Unavailable, marketo.CodeTemporarilyUnavailble, "").GRPCStatus().Err(),
		context.Canceled,
		fmt.Errorf("waiting: %w", context.DeadlineExceeded),
	} {
		var logs bytes.Buffer
		if got := Hide(context.Background(), slog.New(slog.NewTextHandler(&logs, nil)), "m", err); got != err {
			t.Errorf("Hide(%v) = %v, want it unchanged", err, got)
		}
		if logs.Len() != 0 {
			t.Errorf("Hide(%v) logged %q", err, logs.String())
		}
	}
}

func TestUnaryServerInterceptorHidesHandlerErrors(t *testing.T) {
	t.Parallel()
	icpt := UnaryServerInterceptor(slog.New(slog.DiscardHandler))
	info := &grpc.UnaryServerInfo{FullMethod: "/svc/Method"}
	_, err := icpt(context.Background(), nil, info, func(context.Context, any) (any, error) {
		return nil, status.Error(codes.Internal, secret)
	})
	if ID(err) == "" || strings.Contains(err.Error(), "secret") {
		t.Errorf("interceptor returned %v, want a hidden error with an id", err)
	}
	resp, err := icpt(context.Background(), nil, info, func(context.Context, any) (any, error) { return "ok", nil })
	if resp != "ok" || err != nil {
		t.Errorf("successful call = %v, %v", resp, err)
	}
}
