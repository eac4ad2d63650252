package marketo

import (
	"errors"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrorDomain is the ErrorInfo domain of every error msisync tags with a Marketo code.
const ErrorDomain = "msisync.io"

// codeMetadataKey is the ErrorInfo metadata key that carries the Marketo code.
const codeMetadataKey = "marketoCode"

// Error is a response-level Marketo error that travels over gRPC: its GRPCStatus carries
// the canonical gRPC code for gRPC callers and an ErrorInfo with the Marketo code for the
// REST gateway, which renders it in the Marketo envelope.
type Error struct {
	// GRPCCode is the canonical code gRPC callers see.
	GRPCCode codes.Code
	// Code is the Marketo code, for example "601".
	Code string
	// Message is the sentence shown to the caller.
	Message string
}

// NewError returns an Error with Marketo's wording for code when message is empty.
func NewError(grpcCode codes.Code, code, message string) *Error {
	if message == "" {
		message = Message(code)
	}
	return &Error{GRPCCode: grpcCode, Code: code, Message: message}
}

// Error implements error.
func (e *Error) Error() string { return e.Code + " " + e.Message }

// GRPCStatus implements the interface grpc-go's status.FromError looks for.
func (e *Error) GRPCStatus() *status.Status {
	st := status.New(e.GRPCCode, e.Message)
	withInfo, err := st.WithDetails(&errdetails.ErrorInfo{
		Reason:   "MARKETO_" + e.Code,
		Domain:   ErrorDomain,
		Metadata: map[string]string{codeMetadataKey: e.Code},
	})
	if err != nil {
		return st
	}
	return withInfo
}

// CodeOf returns the Marketo code carried by a gRPC status, or "" when it carries none.
func CodeOf(st *status.Status) string {
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.GetDomain() == ErrorDomain {
			return info.GetMetadata()[codeMetadataKey]
		}
	}
	return ""
}

// FromError returns err's Marketo code and message: the code it carries, or the nearest
// Marketo code for its gRPC code. Internal causes are never exposed: an error without a
// gRPC status becomes 611 "System error".
func FromError(err error) (code, message string) {
	var me *Error
	if errors.As(err, &me) {
		return me.Code, me.Message
	}
	st, ok := status.FromError(err)
	if !ok {
		return CodeSystemError, Message(CodeSystemError)
	}
	if c := CodeOf(st); c != "" {
		return c, st.Message()
	}
	switch st.Code() {
	case codes.Unauthenticated:
		return CodeAccessTokenInvalid, st.Message()
	case codes.PermissionDenied:
		return CodeAccessDenied, st.Message()
	case codes.DeadlineExceeded, codes.Canceled:
		return CodeRequestTimeOut, Message(CodeRequestTimeOut)
	case codes.Unavailable:
		return CodeTemporarilyUnavailble, Message(CodeTemporarilyUnavailble)
	case codes.Unimplemented, codes.NotFound:
		return CodeResourceNotFound, st.Message()
	case codes.InvalidArgument, codes.FailedPrecondition, codes.OutOfRange, codes.AlreadyExists:
		return CodeInvalidData, st.Message()
	case codes.ResourceExhausted:
		return CodeRateLimitExceeded, st.Message()
	}
	return CodeSystemError, Message(CodeSystemError)
}
