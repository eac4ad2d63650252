package syncrun

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

func TestRunStateFilter(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want []store.RunState
	}{
		{nil, nil},
		{[]string{""}, nil},
		{[]string{"QUEUED"}, []store.RunState{store.RunQueued}},
		{[]string{"SYNC_RUN_STATE_FAILED"}, []store.RunState{store.RunFailed}},
		{[]string{"waiting, Completed"}, []store.RunState{store.RunCompleted, store.RunWaiting}},
		{[]string{"RUNNING", "running,SYNC_RUN_STATE_RUNNING"}, []store.RunState{store.RunRunning}},
	} {
		got, err := runStateFilter(tc.in)
		if err != nil || !cmp.Equal(got, tc.want) {
			t.Errorf("runStateFilter(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"DONE", "SYNC_RUN_STATE_UNSPECIFIED", "UNSPECIFIED", "COMPLETED,DONE", "4"} {
		_, err := runStateFilter([]string{bad})
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), "state ") {
			t.Errorf("runStateFilter(%q) = %v, want InvalidArgument naming state", bad, err)
		}
	}
}
