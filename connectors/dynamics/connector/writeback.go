package connector

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/msisync/msisync/connectors/dynamics/dataverse"
	"github.com/msisync/msisync/connectors/dynamics/mapping"
	"github.com/msisync/msisync/connectors/dynamics/state"
	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
)

// writebackCursor names the saved position in the orchestrator's writeback feed.
const writebackCursor = "writeback"

// feedPage is how many feed entries one read returns, and mergePages how many reads are
// merged into one writeback step.
const (
	feedPage   = 1000
	mergePages = 20
)

// WritebackReport is what one writeback cycle did.
type WritebackReport struct {
	// Started and Finished bound the cycle.
	Started, Finished time.Time
	// Changes counts the feed entries read; People the distinct people they touched.
	Changes, People int
	// Written counts rows updated in Dynamics; Batches the $batch requests sent.
	Written, Batches int
	// Missing counts rows Dynamics no longer has (404: recorded and skipped).
	Missing int
	// Failed counts rows Dynamics refused for another reason (recorded and skipped).
	Failed int
	// NotFromCRM counts people this connector did not sync (no Dynamics row to update).
	NotFromCRM int
}

// WritebackOnce reads the writeback feed from the saved cursor and writes each person's
// changed MSI columns onto their Dynamics lead or contact: PATCH with If-Match: * (update
// only, never create), grouped into $batch requests with continue-on-error. The cursor moves
// past a page only once every PATCH of it was answered, so a crash repeats a page (PATCH is
// idempotent) rather than losing it. Rows that are gone (404) or refused are recorded and
// skipped.
func (c *Connector) WritebackOnce(ctx context.Context) (*WritebackReport, error) {
	rep := &WritebackReport{Started: time.Now()}
	cursor, err := c.state.Cursor(ctx, writebackCursor)
	if err != nil {
		return nil, err
	}
	for {
		// Read up to mergePages pages before writing: a person whose fields changed several
		// times gets one PATCH with the latest values.
		var changes []*orchestratorv1.WritebackChange
		next, more := cursor, false
		for range mergePages {
			resp, err := call(ctx, c.orch, "reading the writeback feed", func(ctx context.Context) (*orchestratorv1.ListWritebackChangesResponse, error) {
				return c.orch.insight.ListWritebackChanges(ctx, &orchestratorv1.ListWritebackChangesRequest{Cursor: next, PageSize: feedPage})
			})
			if err != nil {
				return nil, err
			}
			changes = append(changes, resp.GetChanges()...)
			next = resp.GetNextCursor()
			if more = len(resp.GetChanges()) == feedPage; !more {
				break
			}
		}
		if len(changes) == 0 {
			break
		}
		rep.Changes += len(changes)
		if err := c.writePage(ctx, changes, rep); err != nil {
			return nil, err
		}
		cursor = next
		if err := c.state.Apply(ctx, state.Commit{Cursors: map[string]string{writebackCursor: cursor}}); err != nil {
			return nil, fmt.Errorf("saving the writeback cursor: %w", err)
		}
		c.emit(Event{Phase: PhaseWriteback, Done: len(changes)})
		if !more {
			break
		}
	}
	rep.Finished = time.Now()
	return rep, nil
}

// writePage writes feed entries: the changes merged per person (later values win), each
// person's entity set looked up in the connector's state, then $batch updates.
func (c *Connector) writePage(ctx context.Context, changes []*orchestratorv1.WritebackChange, rep *WritebackReport) error {
	var order []string
	columns := map[string]map[string]any{}
	for _, ch := range changes {
		id := ch.GetExternalPersonId()
		cols, ok := columns[id]
		if !ok {
			cols = map[string]any{}
			columns[id] = cols
			order = append(order, id)
		}
		for k, v := range ch.GetColumns() {
			if to, ok := c.cfg.WritebackColumns[k]; ok {
				k = to
			}
			cols[k] = v.AsInterface()
		}
	}
	rep.People += len(order)
	sets := map[string]string{}
	for _, set := range []string{mapping.Contacts, mapping.Leads} {
		known, err := c.state.Records(ctx, set, order)
		if err != nil {
			return err
		}
		for id := range known {
			sets[id] = set
		}
	}
	var updates []dataverse.Update
	for _, id := range order {
		set, ok := sets[id]
		if !ok {
			rep.NotFromCRM++
			continue
		}
		updates = append(updates, dataverse.Update{EntitySet: set, ID: id, Columns: columns[id]})
	}
	var mu sync.Mutex
	var misses []state.Miss
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.cfg.WritebackParallel)
	for start := 0; start < len(updates); start += c.cfg.BatchSize {
		part := updates[start:min(start+c.cfg.BatchSize, len(updates))]
		g.Go(func() error {
			results, err := c.dv.UpdateBatch(gctx, part)
			if err != nil {
				return fmt.Errorf("writing MSI fields to Dynamics: %w", err)
			}
			mu.Lock()
			defer mu.Unlock()
			rep.Batches++
			for i, r := range results {
				switch {
				case r.Err == nil && r.Status < 300:
					rep.Written++
				default:
					msg := ""
					if r.Err != nil {
						msg = r.Err.Message
					}
					if r.Status == 404 {
						rep.Missing++
					} else {
						rep.Failed++
					}
					misses = append(misses, state.Miss{EntitySet: part[i].EntitySet, CRMID: part[i].ID, Status: r.Status, Message: msg})
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if len(misses) > 0 {
		c.log.WarnContext(ctx, "some Dynamics rows could not take their MSI fields; recorded and skipped", "count", len(misses), "first", misses[0].EntitySet+"("+misses[0].CRMID+")", "status", misses[0].Status, "message", misses[0].Message)
	}
	return c.state.RecordMisses(ctx, misses)
}

// String summarises the report in one line.
func (r *WritebackReport) String() string {
	return fmt.Sprintf("%d feed entries for %d people: %d rows written in %d batches, %d gone (404), %d refused, %d not from this CRM, in %s",
		r.Changes, r.People, r.Written, r.Batches, r.Missing, r.Failed, r.NotFromCRM, r.Finished.Sub(r.Started).Round(time.Millisecond))
}
