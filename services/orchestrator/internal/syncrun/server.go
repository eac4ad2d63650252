package syncrun

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/platform/pagetoken"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// Limits of the API.
const (
	maxList        = 300 // records per object type in a run, ids per retry or drop
	maxPageSize    = 300
	defaultPage    = 100
	maxRequestID   = 100
	maxPendingIDs  = 300
	notFoundFormat = "Object not found: pending id %s names no parked or dead-lettered record"
)

// Server implements orchestratorv1.SyncRunService.
type Server struct {
	orchestratorv1.UnimplementedSyncRunServiceServer
	st    store.SyncRunStore
	eng   *Engine
	pages *pagetoken.Codec
	now   func() time.Time
	// merger and redirects serve MergeRecords (see WithMerges).
	merger    Merger
	redirects store.MergeStore
}

var _ orchestratorv1.SyncRunServiceServer = (*Server)(nil)

// NewServer returns the service over the store and the engine; pageKey signs page tokens
// (persist it, for example store.Secret).
func NewServer(st store.SyncRunStore, eng *Engine, pageKey []byte) *Server {
	return &Server{st: st, eng: eng, pages: pagetoken.New(pageKey), now: eng.opts.Now}
}

func invalid(format string, args ...any) error {
	return status.Errorf(codes.InvalidArgument, format, args...)
}

// internal hides a store error's detail behind a status.
func internal(err error) error {
	if _, ok := status.FromError(err); ok {
		return err
	}
	return status.Error(codes.Internal, err.Error())
}

// newID returns a random (version 4) UUID.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// CreateSyncRun implements orchestratorv1.SyncRunServiceServer.
func (s *Server) CreateSyncRun(ctx context.Context, req *orchestratorv1.CreateSyncRunRequest) (*orchestratorv1.CreateSyncRunResponse, error) {
	reqID := strings.TrimSpace(req.GetRequestId())
	if len(reqID) > maxRequestID {
		return nil, invalid("request_id is %d characters, at most %d", len(reqID), maxRequestID)
	}
	lists := []struct {
		t    store.ObjectType
		name string
		recs []*structpb.Struct
	}{
		{store.SalesPerson, "salesPersons", req.GetSalesPersons()},
		{store.Company, "companies", req.GetCompanies()},
		{store.Lead, "leads", req.GetLeads()},
		{store.Opportunity, "opportunities", req.GetOpportunities()},
		{store.OpportunityRole, "opportunityRoles", req.GetOpportunityRoles()},
	}
	var recs []store.SyncRecord
	for _, l := range lists {
		if len(l.recs) > maxList {
			return nil, invalid("%s holds %d records, at most %d per run", l.name, len(l.recs), maxList)
		}
		rs, err := newRecords(l.t, l.recs)
		if err != nil {
			return nil, invalid("%s: %v", l.name, err)
		}
		recs = append(recs, rs...)
	}
	if len(recs) == 0 {
		return nil, invalid("a sync run needs at least one record: give salesPersons, companies, leads, opportunities or opportunityRoles")
	}
	run := store.SyncRun{ID: newID(), ClientID: callerOf(ctx).id, RequestID: reqID, State: store.RunQueued, RejectMissingParents: req.GetRejectMissingParents(), CreatedAt: s.now().UTC().Truncate(time.Microsecond)}
	got, created, err := s.st.CreateSyncRun(ctx, run, recs)
	if err != nil {
		return nil, internal(err)
	}
	if created {
		s.eng.Wake()
	}
	counts, err := s.st.CountRecords(ctx, got.ID)
	if err != nil {
		return nil, internal(err)
	}
	return &orchestratorv1.CreateSyncRunResponse{SyncRun: runProto(got, counts)}, nil
}

// pageSize checks a page size (0 means the default).
func pageSize(n int32) (int, error) {
	switch {
	case n == 0:
		return defaultPage, nil
	case n < 0 || n > maxPageSize:
		return 0, invalid("page_size %d is out of range: use 1 to %d", n, maxPageSize)
	}
	return int(n), nil
}

// objectType checks an object type filter (0 means all).
func objectType(t orchestratorv1.SyncObjectType) (store.ObjectType, error) {
	if t < 0 || t > orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_OPPORTUNITY_ROLE {
		return 0, invalid("object_type %d is not an object type", t)
	}
	return store.ObjectType(t), nil
}

// recordCursor is where a page of a run's outcomes resumes.
type recordCursor struct {
	T int `json:"t"`
	I int `json:"i"`
}

// GetSyncRun implements orchestratorv1.SyncRunServiceServer.
func (s *Server) GetSyncRun(ctx context.Context, req *orchestratorv1.GetSyncRunRequest) (*orchestratorv1.GetSyncRunResponse, error) {
	if req.GetSyncId() == "" {
		return nil, invalid("sync_id is required")
	}
	size, err := pageSize(req.GetPageSize())
	if err != nil {
		return nil, err
	}
	ot, err := objectType(req.GetObjectType())
	if err != nil {
		return nil, err
	}
	state, ok := storeRecordState(req.GetState())
	if !ok {
		return nil, invalid("state %s is not a record state to filter by", req.GetState())
	}
	run, err := s.st.GetSyncRun(ctx, req.GetSyncId())
	if err == nil && !callerOf(ctx).owns(run) {
		// Another client's run: answered as if it did not exist, so that its id reveals
		// nothing.
		err = store.ErrNotFound
	}
	if errors.Is(err, store.ErrNotFound) {
		whose := "of this API client "
		if callerOf(ctx).all {
			whose = ""
		}
		return nil, status.Errorf(codes.NotFound, "sync run %q not found: no run %shas this id "+
			"(completed runs are deleted once older than MSISYNC_SYNC_RUN_RETENTION)", req.GetSyncId(), whose)
	}
	if err != nil {
		return nil, internal(err)
	}
	counts, err := s.st.CountRecords(ctx, run.ID)
	if err != nil {
		return nil, internal(err)
	}
	query := pagetoken.Query("sync-run-outcomes", run.ID, strconv.Itoa(int(ot)), string(state))
	q := store.RecordQuery{RunID: run.ID, ObjectType: ot, State: state, Limit: size + 1}
	if tok := req.GetPageToken(); tok != "" {
		var c recordCursor
		if err := s.pages.Decode(tok, query, &c); err != nil || c.T <= 0 {
			return nil, invalid("page_token is not valid for this query")
		}
		q.AfterType, q.AfterIndex = store.ObjectType(c.T), c.I
	}
	recs, err := s.st.ListRecords(ctx, q)
	if err != nil {
		return nil, internal(err)
	}
	resp := &orchestratorv1.GetSyncRunResponse{SyncRun: runProto(run, counts)}
	if len(recs) > size {
		recs = recs[:size]
		last := recs[size-1]
		if resp.NextPageToken, err = s.pages.Encode(query, recordCursor{T: int(last.ObjectType), I: last.Index}); err != nil {
			return nil, internal(err)
		}
	}
	for _, r := range recs {
		resp.Outcomes = append(resp.Outcomes, outcomeProto(r))
	}
	return resp, nil
}

// parkedCursor is where a page of the pending or dead-letter list resumes.
type parkedCursor struct {
	T  int64 `json:"t"`
	ID int64 `json:"id"`
}

// listParked serves the pending and dead-letter lists.
func (s *Server) listParked(ctx context.Context, state store.RecordState, t orchestratorv1.SyncObjectType, runID string, n int32, token string) ([]*orchestratorv1.ParkedRecord, string, error) {
	size, err := pageSize(n)
	if err != nil {
		return nil, "", err
	}
	ot, err := objectType(t)
	if err != nil {
		return nil, "", err
	}
	query := pagetoken.Query("parked", string(state), strconv.Itoa(int(ot)), runID)
	caller := callerOf(ctx)
	q := store.ParkedQuery{State: state, ObjectType: ot, RunID: runID, ClientID: caller.id, Owned: !caller.all, Limit: size + 1}
	if token != "" {
		var c parkedCursor
		if err := s.pages.Decode(token, query, &c); err != nil || c.ID <= 0 {
			return nil, "", invalid("page_token is not valid for this query")
		}
		q.AfterTime, q.AfterID = time.UnixMicro(c.T).UTC(), c.ID
	}
	recs, err := s.st.ListParked(ctx, q)
	if err != nil {
		return nil, "", internal(err)
	}
	next := ""
	if len(recs) > size {
		recs = recs[:size]
		last := recs[size-1]
		at := last.ParkTime
		if state == store.RecordDeadLettered {
			at = last.ExpireTime
		}
		if next, err = s.pages.Encode(query, parkedCursor{T: at.UnixMicro(), ID: last.ID}); err != nil {
			return nil, "", internal(err)
		}
	}
	out := make([]*orchestratorv1.ParkedRecord, 0, len(recs))
	for _, r := range recs {
		p, err := parkedProto(r)
		if err != nil {
			return nil, "", internal(err)
		}
		out = append(out, p)
	}
	return out, next, nil
}

// ListPendingRecords implements orchestratorv1.SyncRunServiceServer.
func (s *Server) ListPendingRecords(ctx context.Context, req *orchestratorv1.ListPendingRecordsRequest) (*orchestratorv1.ListPendingRecordsResponse, error) {
	recs, next, err := s.listParked(ctx, store.RecordParked, req.GetObjectType(), req.GetSyncId(), req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &orchestratorv1.ListPendingRecordsResponse{PendingRecords: recs, NextPageToken: next}, nil
}

// ListDeadLetters implements orchestratorv1.SyncRunServiceServer.
func (s *Server) ListDeadLetters(ctx context.Context, req *orchestratorv1.ListDeadLettersRequest) (*orchestratorv1.ListDeadLettersResponse, error) {
	recs, next, err := s.listParked(ctx, store.RecordDeadLettered, req.GetObjectType(), req.GetSyncId(), req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &orchestratorv1.ListDeadLettersResponse{DeadLetters: recs, NextPageToken: next}, nil
}

// parseIDs checks a list of pending ids; the ones that are not ids are returned as -1.
func parseIDs(ids []string) ([]int64, error) {
	if len(ids) == 0 || len(ids) > maxPendingIDs {
		return nil, invalid("pending_ids holds %d ids: give 1 to %d", len(ids), maxPendingIDs)
	}
	out := make([]int64, len(ids))
	for i, s := range ids {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || n <= 0 {
			n = -1
		}
		out[i] = n
	}
	return out, nil
}

// valid returns the ids that parsed.
func valid(ids []int64) []int64 {
	var out []int64
	for _, id := range ids {
		if id > 0 {
			out = append(out, id)
		}
	}
	return out
}

// notFound is the outcome for an id that names no parked or dead-lettered record; known
// records keep their identity.
func notFound(id string, r *store.SyncRecord) *orchestratorv1.SyncRecordOutcome {
	out := &orchestratorv1.SyncRecordOutcome{
		PendingId: id,
		State:     orchestratorv1.SyncRecordState_SYNC_RECORD_STATE_NOT_FOUND,
		Reasons:   []*commonv1.Reason{{Code: marketo.CodeObjectNotFound, Message: fmt.Sprintf(notFoundFormat, id)}},
	}
	if r != nil {
		out.SyncId, out.ObjectType, out.Index, out.Key, out.UpdateTime = r.RunID, orchestratorv1.SyncObjectType(r.ObjectType), int32(r.Index), r.Key, ts(r.UpdateTime)
		out.Reasons[0].Message = fmt.Sprintf("Object not found: pending id %s names a record that is %s, not parked or dead-lettered", id, r.State)
	}
	return out
}

// RetryPendingRecords implements orchestratorv1.SyncRunServiceServer.
func (s *Server) RetryPendingRecords(ctx context.Context, req *orchestratorv1.RetryPendingRecordsRequest) (*orchestratorv1.RetryPendingRecordsResponse, error) {
	ids, err := parseIDs(req.GetPendingIds())
	if err != nil {
		return nil, err
	}
	owned, err := s.own(ctx, callerOf(ctx), valid(ids))
	if err != nil {
		return nil, internal(err)
	}
	recs, missing, err := s.eng.Retry(ctx, owned)
	if err != nil {
		return nil, internal(err)
	}
	resp := &orchestratorv1.RetryPendingRecordsResponse{}
	for i, id := range ids {
		r, ok := recs[id]
		switch {
		case id <= 0 || !ok:
			resp.Outcomes = append(resp.Outcomes, notFound(req.GetPendingIds()[i], nil))
		case missing[id]:
			resp.Outcomes = append(resp.Outcomes, notFound(req.GetPendingIds()[i], &r))
		default:
			o := outcomeProto(r)
			o.PendingId = pendingID(r.ID)
			resp.Outcomes = append(resp.Outcomes, o)
		}
	}
	return resp, nil
}

// DropPendingRecords implements orchestratorv1.SyncRunServiceServer.
func (s *Server) DropPendingRecords(ctx context.Context, req *orchestratorv1.DropPendingRecordsRequest) (*orchestratorv1.DropPendingRecordsResponse, error) {
	ids, err := parseIDs(req.GetPendingIds())
	if err != nil {
		return nil, err
	}
	owned, err := s.own(ctx, callerOf(ctx), valid(ids))
	if err != nil {
		return nil, internal(err)
	}
	dropped, err := s.eng.Drop(ctx, owned)
	if err != nil {
		return nil, internal(err)
	}
	recs, err := s.st.GetSyncRecords(ctx, owned)
	if err != nil {
		return nil, internal(err)
	}
	byID := map[int64]store.SyncRecord{}
	for _, r := range recs {
		byID[r.ID] = r
	}
	resp := &orchestratorv1.DropPendingRecordsResponse{}
	for i, id := range ids {
		r, ok := byID[id]
		switch {
		case !ok:
			resp.Outcomes = append(resp.Outcomes, notFound(req.GetPendingIds()[i], nil))
		case !dropped[id]:
			resp.Outcomes = append(resp.Outcomes, notFound(req.GetPendingIds()[i], &r))
		default:
			o := outcomeProto(r)
			o.PendingId = pendingID(r.ID)
			resp.Outcomes = append(resp.Outcomes, o)
		}
	}
	return resp, nil
}
