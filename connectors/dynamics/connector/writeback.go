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
	// NotFromCRM counts people that are neither a contact nor a lead of this org (synced
	// into msisync by someone else).
	NotFromCRM int
}

// WritebackOnce reads the writeback feed from the saved cursor and writes each person's
// changed MSI columns onto their Dynamics lead or contact: PATCH with If-Match: * (update
// only, never create), grouped into $batch requests with continue-on-error. The cursor moves
// past a page only once every PATCH of it was answered, so a crash repeats a page (PATCH is
// idempotent) rather than losing it. Rows that are gone (404) or refused are recorded and
// skipped.
func (c *Connector) WritebackOnce(ctx context.Context) (*WritebackReport, error) {
	rep, err := c.writeback(ctx)
	c.m.wroteBack(ctx, rep, err)
	return rep, err
}

// writeback is one writeback cycle (see WritebackOnce).
func (c *Connector) writeback(ctx context.Context) (*WritebackReport, error) {
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
	// A person the connector has no record of (synced by someone else, or in a sync cycle
	// not committed yet) is tried as a contact, then as a lead; If-Match: * never creates.
	var updates, unknown []dataverse.Update
	for _, id := range order {
		if set, ok := sets[id]; ok {
			updates = append(updates, dataverse.Update{EntitySet: set, ID: id, Columns: columns[id]})
		} else {
			unknown = append(unknown, dataverse.Update{EntitySet: mapping.Contacts, ID: id, Columns: columns[id]})
		}
	}
	var misses []state.Miss
	tally := func(u dataverse.Update, r dataverse.UpdateResult) {
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
			misses = append(misses, state.Miss{EntitySet: u.EntitySet, CRMID: u.ID, Status: r.Status, Message: msg})
		}
	}
	results, err := c.patch(ctx, updates, rep)
	if err != nil {
		return err
	}
	for i, r := range results {
		tally(updates[i], r)
	}
	results, err = c.patch(ctx, unknown, rep)
	if err != nil {
		return err
	}
	var asLeads []dataverse.Update
	for i, r := range results {
		if r.Status == 404 {
			asLeads = append(asLeads, dataverse.Update{EntitySet: mapping.Leads, ID: unknown[i].ID, Columns: unknown[i].Columns})
			continue
		}
		tally(unknown[i], r)
	}
	results, err = c.patch(ctx, asLeads, rep)
	if err != nil {
		return err
	}
	for i, r := range results {
		if r.Status == 404 {
			rep.NotFromCRM++ // neither a contact nor a lead of this org
			continue
		}
		tally(asLeads[i], r)
	}
	if len(misses) > 0 {
		c.log.WarnContext(ctx, "some Dynamics rows could not take their MSI fields; recorded and skipped", "count", len(misses), "first", misses[0].EntitySet+"("+misses[0].CRMID+")", "status", misses[0].Status, "message", misses[0].Message)
	}
	return c.state.RecordMisses(ctx, misses)
}

// patch sends updates as $batch requests of BatchSize, WritebackParallel at a time, and
// returns their results in order.
func (c *Connector) patch(ctx context.Context, updates []dataverse.Update, rep *WritebackReport) ([]dataverse.UpdateResult, error) {
	results := make([]dataverse.UpdateResult, len(updates))
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.cfg.WritebackParallel)
	for start := 0; start < len(updates); start += c.cfg.BatchSize {
		end := min(start+c.cfg.BatchSize, len(updates))
		g.Go(func() error {
			out, err := c.dv.UpdateBatch(gctx, updates[start:end])
			if err != nil {
				return fmt.Errorf("writing MSI fields to Dynamics: %w", err)
			}
			copy(results[start:end], out)
			mu.Lock()
			rep.Batches++
			mu.Unlock()
			return nil
		})
	}
	return results, g.Wait()
}

// String summarises the report in one line.
func (r *WritebackReport) String() string {
	return fmt.Sprintf("%d feed entries for %d people: %d rows written in %d batches, %d gone (404), %d refused, %d not from this CRM, in %s",
		r.Changes, r.People, r.Written, r.Batches, r.Missing, r.Failed, r.NotFromCRM, r.Finished.Sub(r.Started).Round(time.Millisecond))
}
