// Package apply writes batches of typed records to the services that own them, in the
// MSI order's terms: before anything is written, every parent the batch names is looked
// up (one batched call per parent kind), and a record whose parent is missing is not sent
// at all — it comes back with the Missing parent instead, which the Marketo API turns
// into a skipped record (718/1013) and a sync run turns into a parked one. Deletes are
// refused per record (1022) while children still reference the record.
package apply

import (
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	scoringv1 "github.com/msisync/msisync/gen/msisync/scoring/v1"
	"github.com/msisync/msisync/services/orchestrator/internal/links"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// Applier writes through the owning services.
type Applier struct {
	links.Clients
	// Locks orders writes that name a parent against deletes of that parent, across
	// replicas (see store.KeyLocker). Nil locks nothing (tests of one caller at a time).
	Locks store.KeyLocker
	// Scoring learns every lead's links (CRM id, owner) after each lead write, so that its
	// Best Bets, change feed and CRM-id lookups stay current. Nil leaves it out (tests).
	Scoring scoringv1.ScoringServiceClient
}

// New returns an Applier over the service clients.
func New(c links.Clients, scoring scoringv1.ScoringServiceClient) *Applier {
	return &Applier{Clients: c, Scoring: scoring}
}

// Outcome is what happened to one input record.
type Outcome struct {
	// Result is the owning service's result (created, updated, skipped, deleted), in the
	// position of the input record; nil when the record was not sent.
	Result *commonv1.RecordResult
	// Missing is the parent that is not synced yet; set when the record was not sent.
	Missing *links.Missing
}

// merge places a service's results, which follow the order of the records sent, at the
// positions those records had in the input.
func merge(out []Outcome, sent []int, results []*commonv1.RecordResult) error {
	if len(results) != len(sent) {
		return status.Errorf(codes.Internal, "a service answered %d results for %d records", len(results), len(sent))
	}
	for _, r := range results {
		n := int(r.GetIndex())
		if n < 0 || n >= len(sent) || out[sent[n]].Result != nil {
			return status.Errorf(codes.Internal, "a service answered a result for record %d of %d", n, len(sent))
		}
		r.Index = int32(sent[n])
		out[sent[n]].Result = r
	}
	return nil
}

// skipped is a record refused before it was sent.
func skipped(i int, reason *commonv1.Reason) Outcome {
	return Outcome{Result: &commonv1.RecordResult{Index: int32(i), Status: commonv1.RecordStatus_RECORD_STATUS_SKIPPED, Reasons: []*commonv1.Reason{reason}}}
}

// inUse is an existing record whose delete is refused: its result names it by id or GUID.
func inUse(i int, reason *commonv1.Reason, id int32, guid string) Outcome {
	o := skipped(i, reason)
	o.Result.Id, o.Result.Guid = id, guid
	return o
}

// present reports whether an optional reference field names a parent.
func present(s *string) bool { return s != nil && *s != "" }

// errorf wraps a downstream failure, keeping its status.
func errorf(format string, err error) error { return fmt.Errorf(format+": %w", err) }
