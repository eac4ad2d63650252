package marketo

import (
	"errors"
	"fmt"
	"regexp"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestErrorTravelsThroughStatus(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("checking token: %w", NewError(codes.Unauthenticated, CodeAccessTokenExpired, ""))
	st := status.Convert(NewError(codes.Unauthenticated, CodeAccessTokenExpired, "").GRPCStatus().Err())
	if st.Code() != codes.Unauthenticated {
		t.Errorf("gRPC code = %v, want Unauthenticated", st.Code())
	}
	if got := CodeOf(st); got != CodeAccessTokenExpired {
		t.Errorf("CodeOf = %q, want 602", got)
	}
	code, msg := FromError(err)
	if code != "602" || msg != "Access token expired" {
		t.Errorf("FromError = %q %q, want 602 Access token expired", code, msg)
	}
	code, msg = FromError(st.Err())
	if code != "602" || msg != "Access token expired" {
		t.Errorf("FromError(status) = %q %q, want 602 Access token expired", code, msg)
	}
}

func TestFromErrorHidesInternalCauses(t *testing.T) {
	t.Parallel()
	code, msg := FromError(errors.New("pq: relation secret_table does not exist"))
	if code != CodeSystemError || msg != "System error" {
		t.Errorf("FromError = %q %q, want 611 System error", code, msg)
	}
	code, _ = FromError(status.Error(codes.Unimplemented, "later"))
	if code != CodeResourceNotFound {
		t.Errorf("Unimplemented maps to %q, want 610", code)
	}
}

func TestNewRequestID(t *testing.T) {
	t.Parallel()
	now := time.UnixMilli(0x14b51985ff0)
	id := NewRequestID(now)
	if !regexp.MustCompile(`^[0-9a-f]{1,5}#14b51985ff0$`).MatchString(id) {
		t.Errorf("NewRequestID = %q, want <hex>#14b51985ff0", id)
	}
}
