package syncrun

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	"github.com/msisync/msisync/platform/pagetoken"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// defaultRunPage is the page size of ListSyncRuns when none is given.
const defaultRunPage = 50

// runCursor is where a page of the run list resumes: after the run created at T
// (Unix microseconds) with id ID.
type runCursor struct {
	T  int64  `json:"t"`
	ID string `json:"id"`
}

// runStateNames maps the accepted spellings of a run state filter, upper case, to the
// state: the enum name (SYNC_RUN_STATE_QUEUED) and its last word (QUEUED).
var runStateNames = func() map[string]store.RunState {
	m := map[string]store.RunState{}
	for st, v := range runStates {
		name := v.String()
		m[name] = st
		m[strings.TrimPrefix(name, "SYNC_RUN_STATE_")] = st
	}
	return m
}()

// runStateFilter parses the state filter: names, each possibly a comma-separated list.
// It returns the distinct states, sorted.
func runStateFilter(values []string) ([]store.RunState, error) {
	var out []store.RunState
	for _, v := range values {
		for _, name := range strings.Split(v, ",") {
			name = strings.TrimSpace(name)
			if name == "" {
				continue
			}
			st, ok := runStateNames[strings.ToUpper(name)]
			if !ok {
				return nil, invalid("state %q is not a sync run state: use QUEUED, RUNNING, WAITING, COMPLETED or FAILED "+
					"(or SYNC_RUN_STATE_QUEUED and so on), repeated or comma-separated", name)
			}
			out = append(out, st)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// timeFilter checks an optional time bound; nil gives the zero time.
func timeFilter(name string, t *timestamppb.Timestamp) (time.Time, error) {
	if t == nil {
		return time.Time{}, nil
	}
	if err := t.CheckValid(); err != nil {
		return time.Time{}, invalid("%s is not a valid time: %v", name, err)
	}
	return t.AsTime().UTC().Truncate(time.Microsecond), nil
}

// ListSyncRuns implements orchestratorv1.SyncRunServiceServer.
func (s *Server) ListSyncRuns(ctx context.Context, req *orchestratorv1.ListSyncRunsRequest) (*orchestratorv1.ListSyncRunsResponse, error) {
	size := defaultRunPage
	if n := req.GetPageSize(); n != 0 {
		var err error
		if size, err = pageSize(n); err != nil {
			return nil, err
		}
	}
	states, err := runStateFilter(req.GetState())
	if err != nil {
		return nil, err
	}
	from, err := timeFilter("created_after", req.GetCreatedAfter())
	if err != nil {
		return nil, err
	}
	before, err := timeFilter("created_before", req.GetCreatedBefore())
	if err != nil {
		return nil, err
	}
	if !from.IsZero() && !before.IsZero() && !from.Before(before) {
		return nil, invalid("created_after %s is not before created_before %s: no run can match",
			from.Format(time.RFC3339Nano), before.Format(time.RFC3339Nano))
	}
	reqID := strings.TrimSpace(req.GetRequestId())
	c := callerOf(ctx)
	names := make([]string, len(states))
	for i, st := range states {
		names[i] = string(st)
	}
	query := pagetoken.Query("sync-runs", c.id, strconv.FormatBool(c.all), strings.Join(names, ","),
		strconv.FormatInt(micros(from), 10), strconv.FormatInt(micros(before), 10), reqID)
	q := store.RunQuery{ClientID: c.id, Owned: !c.all, States: states, CreatedFrom: from, CreatedBefore: before, RequestID: reqID, Limit: size + 1}
	if tok := req.GetPageToken(); tok != "" {
		var cur runCursor
		if err := s.pages.Decode(tok, query, &cur); err != nil || cur.ID == "" {
			return nil, invalid("page_token is not valid for this query: pass the next_page_token of the previous page with the same filters")
		}
		q.BeforeTime, q.BeforeID = time.UnixMicro(cur.T).UTC(), cur.ID
	}
	runs, err := s.st.ListSyncRuns(ctx, q)
	if err != nil {
		return nil, internal(err)
	}
	resp := &orchestratorv1.ListSyncRunsResponse{SyncRuns: make([]*orchestratorv1.SyncRun, 0, min(len(runs), size))}
	if len(runs) > size {
		runs = runs[:size]
		last := runs[size-1]
		if resp.NextPageToken, err = s.pages.Encode(query, runCursor{T: last.CreatedAt.UnixMicro(), ID: last.ID}); err != nil {
			return nil, internal(err)
		}
	}
	for _, r := range runs {
		resp.SyncRuns = append(resp.SyncRuns, runProto(r.SyncRun, r.Counts))
	}
	return resp, nil
}

// micros is t in Unix microseconds, 0 for the zero time.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}
