package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestFailedPreconditionOnTheOwnAPI pins how the scoring service's refusal in upstream mode
// (MSISYNC_SCORING_SOURCE=marketo) reaches a /v1/ caller: grpc-gateway's table turns
// FAILED_PRECONDITION into HTTP 400 (not 409), with the sentence kept as it is.
func TestFailedPreconditionOnTheOwnAPI(t *testing.T) {
	t.Parallel()
	const msg = "msisync forwards to your Marketo instance (MSISYNC_MARKETO_URL), which owns scoring: record score changes and interesting moments in Marketo"
	for _, path := range []string{"/v1/score-changes", "/v1/interesting-moments", "/v1/scoring/tiers:recompute"} {
		mux, m := testMux()
		rec := httptest.NewRecorder()
		errorHandler(context.Background(), mux, m, rec, httptest.NewRequest(http.MethodPost, path, nil), status.Error(codes.FailedPrecondition, msg))
		want := answer{
			HTTPStatus:  http.StatusBadRequest,
			ContentType: marketoContentType,
			Body:        map[string]any{"code": float64(codes.FailedPrecondition), "message": msg, "details": []any{}},
		}
		if diff := cmp.Diff(want, answerOf(t, rec)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", path, diff)
		}
	}
}
