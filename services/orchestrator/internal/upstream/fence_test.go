package upstream

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// answering is an invoker that answers a write with results, as an entity service would.
func answering(results ...*commonv1.RecordResult) grpc.UnaryInvoker {
	return func(_ context.Context, _ string, _, reply any, _ *grpc.ClientConn, _ ...grpc.CallOption) error {
		reply.(*personv1.SyncLeadsResponse).Results = results
		return nil
	}
}

// failing is an invoker whose call fails (the service may or may not have committed).
func failing(_ context.Context, _ string, _, _ any, _ *grpc.ClientConn, _ ...grpc.CallOption) error {
	return status.Error(codes.Unavailable, "connection reset")
}

// syncLeads passes a SyncLeads request of the inputs through the fences' interceptor.
func (h *harness) syncLeads(f *Fences, invoker grpc.UnaryInvoker, inputs ...*personv1.LeadInput) error {
	return f.UnaryClientInterceptor()(h.ctx, personv1.LeadService_SyncLeads_FullMethodName,
		&personv1.SyncLeadsRequest{Input: inputs}, &personv1.SyncLeadsResponse{}, nil, invoker)
}

// stale returns the fences left behind.
func (h *harness) stale() []store.WriteFence {
	h.t.Helper()
	fences, err := h.store.StaleUpstreamWrites(h.ctx, h.clock.now().Add(time.Hour), 0, 100)
	if err != nil {
		h.t.Fatalf("StaleUpstreamWrites: %v", err)
	}
	return fences
}

// marked reports whether the key has an outbox row.
func (h *harness) marked(k store.UpstreamKey) bool { return h.reason(k) != "" }

// TestFenceMarksWhatTheWriteChanged: a successful write marks the records its results name
// and leaves no fence; results that changed nothing mark nothing.
func TestFenceMarksWhatTheWriteChanged(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := &Fences{Store: h.store, Owner: "writer", Now: h.clock.now}
	err := h.syncLeads(f, answering(
		&commonv1.RecordResult{Index: 0, Status: commonv1.RecordStatus_RECORD_STATUS_CREATED, Id: 7},
		&commonv1.RecordResult{Index: 1, Status: commonv1.RecordStatus_RECORD_STATUS_UPDATED, Id: 8},
		&commonv1.RecordResult{Index: 2, Status: commonv1.RecordStatus_RECORD_STATUS_SKIPPED, Id: 9},
	), &personv1.LeadInput{ExternalPersonId: proto.String("P-7")}, &personv1.LeadInput{Id: proto.Int32(8)}, &personv1.LeadInput{Id: proto.Int32(9)})
	if err != nil {
		t.Fatalf("the write: %v", err)
	}
	for id, want := range map[int32]bool{7: true, 8: true, 9: false} {
		if got := h.marked(leadKey(id)); got != want {
			t.Errorf("lead %d marked = %v, want %v", id, got, want)
		}
	}
	if fences := h.stale(); len(fences) != 0 {
		t.Errorf("fences left: %+v, want none", fences)
	}
}

// TestFenceOfAFailedWriteIsRecovered: a write that failed leaves its fence with the keys
// as the caller named them; Recover resolves them (by external id and email through the
// lead service, by external id through what Marketo holds for a lead deleted since),
// marks the records and removes the fence.
func TestFenceOfAFailedWriteIsRecovered(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	deleted := h.putLead(&personv1.Lead{Id: 5, ExternalPersonId: "P-5"})
	h.deliver(deleted)
	delete(h.leads.byID, 5)
	h.putLead(&personv1.Lead{Id: 9, ExternalPersonId: "P-9", Email: "bob@acme.example"})
	h.putLead(&personv1.Lead{Id: 10, ExternalPersonId: "P-10", Email: "eve@acme.example"})

	f := &Fences{Store: h.store, Owner: "writer", Now: h.clock.now}
	err := h.syncLeads(f, failing,
		&personv1.LeadInput{ExternalPersonId: proto.String("P-9")},
		&personv1.LeadInput{ExternalPersonId: proto.String("P-5")},
		&personv1.LeadInput{Email: proto.String("EVE@acme.example")})
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("the write: %v, want the invoker's error", err)
	}
	fences := h.stale()
	if len(fences) != 1 || fences[0].Owner != "writer" {
		t.Fatalf("fences = %+v, want the write's", fences)
	}
	wantKeys := []store.FenceKey{
		{Object: store.UpstreamLead, Kind: byExternal, Value: extid.Key("P-9")},
		{Object: store.UpstreamLead, Kind: byExternal, Value: extid.Key("P-5")},
		{Object: store.UpstreamLead, Kind: byEmail, Value: "eve@acme.example"},
	}
	if !slices.Equal(fences[0].Keys, wantKeys) {
		t.Errorf("fence keys = %+v, want %+v", fences[0].Keys, wantKeys)
	}
	for _, id := range []int32{5, 9, 10} {
		if h.marked(leadKey(id)) {
			t.Fatalf("lead %d marked before Recover", id)
		}
	}

	if err := Recover(h.ctx, h.store, h.clients(), h.clock.now().Add(time.Minute), h.clock.now(), slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("Recover: %v", err)
	}
	for _, id := range []int32{5, 9, 10} {
		if !h.marked(leadKey(id)) {
			t.Errorf("lead %d not marked by Recover", id)
		}
	}
	if fences := h.stale(); len(fences) != 0 {
		t.Errorf("fences left after Recover: %+v", fences)
	}
}

// TestFenceLetsOtherCallsPass: reads are not fenced, and a write whose fence cannot be
// stored is not made.
func TestFenceLetsOtherCallsPass(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := &Fences{Store: h.store, Owner: "writer", Now: h.clock.now}
	called := 0
	invoker := func(context.Context, string, any, any, *grpc.ClientConn, ...grpc.CallOption) error {
		called++
		return nil
	}
	if err := f.UnaryClientInterceptor()(h.ctx, personv1.LeadService_BatchGetLeads_FullMethodName, &personv1.BatchGetLeadsRequest{}, &personv1.BatchGetLeadsResponse{}, nil, invoker); err != nil || called != 1 {
		t.Fatalf("a read: err %v, %d calls; want passed through", err, called)
	}
	if fences := h.stale(); len(fences) != 0 {
		t.Errorf("a read left fences: %+v", fences)
	}

	ctx, cancel := context.WithCancel(h.ctx)
	cancel()
	err := f.UnaryClientInterceptor()(ctx, personv1.LeadService_SyncLeads_FullMethodName,
		&personv1.SyncLeadsRequest{Input: []*personv1.LeadInput{{Id: proto.Int32(7)}}}, &personv1.SyncLeadsResponse{}, nil, invoker)
	if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "recording the write") || called != 1 {
		t.Errorf("a write without its fence: err %v, %d calls; want Unavailable and no call", err, called)
	}
}
