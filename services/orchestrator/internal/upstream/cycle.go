package upstream

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/msisync/msisync/platform/marketoclient"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// Cycle claims what is due, object by object in the MSI order, sends the upserts, then
// the deletes children first. It returns how many rows it ended (sent, unchanged or gone).
func (f *Forwarder) Cycle(ctx context.Context) (int, error) {
	moved := 0
	deletes := map[store.UpstreamObject][]item{}
	for _, obj := range store.UpstreamObjects {
		n, dels, err := f.upserts(ctx, obj)
		moved += n
		deletes[obj] = dels
		if err != nil {
			f.releaseAll(ctx, deletes)
			return moved, err
		}
	}
	for _, obj := range slices.Backward(store.UpstreamObjects) {
		n, err := f.deletes(ctx, obj, deletes[obj])
		delete(deletes, obj)
		moved += n
		if err != nil {
			f.releaseAll(ctx, deletes)
			return moved, err
		}
	}
	return moved, nil
}

// releaseAll gives back the claims of deletes not sent.
func (f *Forwarder) releaseAll(ctx context.Context, deletes map[store.UpstreamObject][]item) {
	var rows []store.OutboxRow
	for _, items := range deletes {
		for _, it := range items {
			rows = append(rows, it.row)
		}
	}
	if err := f.release(ctx, rows, f.opt.Now(), ""); err != nil {
		f.log.Error("releasing claims", "error", err)
	}
}

// item is one claimed row with what is known of it.
type item struct {
	row  store.OutboxRow
	l    local
	d    store.Delivered
	had  bool // d is set
	lead int64
}

// upserts claims the object's due rows, sends the records that changed and returns how many
// rows it ended and the claimed records that are gone locally (to delete later).
func (f *Forwarder) upserts(ctx context.Context, obj store.UpstreamObject) (int, []item, error) {
	now := f.opt.Now()
	limit := marketoclient.MaxBatch * f.concurrency()
	rows, err := f.store.ClaimOutbox(ctx, obj, now, claimLease, limit)
	if err != nil || len(rows) == 0 {
		return 0, nil, err
	}
	if len(rows) < marketoclient.MaxBatch {
		// A partial batch waits a little for more, unless it waited already.
		if oldest := rows[0].EnqueuedAt; now.Sub(oldest) < f.opt.Linger {
			return 0, nil, f.release(ctx, rows, oldest.Add(f.opt.Linger), "")
		}
	}
	ids := make([]string, len(rows))
	keys := make([]store.UpstreamKey, len(rows))
	for i, r := range rows {
		ids[i], keys[i] = r.Key.LocalID, r.Key
	}
	locals, err := readLocal(ctx, f.clients, obj, ids)
	if err != nil {
		return 0, nil, errors.Join(err, f.release(ctx, rows, now, ""))
	}
	delivered, err := f.store.GetDelivered(ctx, keys)
	if err != nil {
		return 0, nil, errors.Join(err, f.release(ctx, rows, now, ""))
	}
	var acks []store.OutboxAck
	var send, gone []item
	for _, r := range rows {
		l, found := locals[r.Key.LocalID]
		d, had := delivered[r.Key]
		it := item{row: r, l: l, d: d, had: had}
		switch {
		case !found && had && d.Known():
			gone = append(gone, it)
		case !found:
			acks = append(acks, store.OutboxAck{Row: r, Done: true, Forget: had})
		case l.ext == "":
			acks = append(acks, store.OutboxAck{Row: r, Done: true, Deliver: &store.Delivered{
				MarketoID: d.MarketoID, MarketoGUID: d.MarketoGUID, Status: statusUnsent, Message: unsentWhy(obj), At: now,
			}})
		case had && string(d.SentHash) == string(l.hash) && (d.Known() || d.Status == statusSkipped):
			acks = append(acks, store.OutboxAck{Row: r, Done: true})
		default:
			send = append(send, it)
		}
	}
	send, waiting, err := f.withParents(ctx, obj, send)
	if err != nil {
		return 0, nil, errors.Join(err, f.release(ctx, rows, now, ""))
	}
	acks = append(acks, waiting...)
	if err := f.store.AckOutbox(ctx, acks, now); err != nil {
		return 0, nil, err
	}
	f.count(ctx, obj, acks)
	n, err := f.sendAll(ctx, obj, send, f.syncBatch)
	return len(acks) - len(waiting) + n, gone, err
}

// statusUnsent is the Delivered status of a record msisync does not forward.
const statusUnsent = "unsent"

// statusSkipped is Marketo's status of a record it refused.
const statusSkipped = "skipped"

// unsentWhy says why a record without an external id is not forwarded.
func unsentWhy(obj store.UpstreamObject) string {
	if obj == store.UpstreamLead {
		return "not forwarded: the lead has no externalPersonId, by which MSI finds people"
	}
	return "not forwarded: the record has no external id"
}

// release gives rows back for another attempt at retryAt, with the reason they wait.
func (f *Forwarder) release(ctx context.Context, rows []store.OutboxRow, retryAt time.Time, reason string) error {
	acks := make([]store.OutboxAck, len(rows))
	for i, r := range rows {
		acks[i] = store.OutboxAck{Row: r, RetryAt: retryAt, Reason: reason}
	}
	return f.store.AckOutbox(context.WithoutCancel(ctx), acks, f.opt.Now())
}

// concurrency is how many calls the forwarder runs at once.
func (f *Forwarder) concurrency() int {
	return f.opt.Concurrency
}

// backoff is the wait before attempt n+1 of a record: 2s doubling to 5 minutes.
func backoff(attempts int) time.Duration {
	d := 2 * time.Second
	for range min(attempts, 8) {
		d *= 2
	}
	return min(d, 5*time.Minute)
}

// sendAll sends the items in batches of 300, up to concurrency() at once, with send, and
// stores each batch's outcome as it comes. It returns how many rows ended.
func (f *Forwarder) sendAll(ctx context.Context, obj store.UpstreamObject, items []item,
	send func(context.Context, store.UpstreamObject, []item) ([]store.OutboxAck, error),
) (int, error) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, f.concurrency())
	var mu sync.Mutex
	ended := 0
	var errs []error
	for batch := range slices.Chunk(items, marketoclient.MaxBatch) {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			acks, err := send(ctx, obj, batch)
			if err != nil {
				acks = f.failed(batch, err)
			}
			now := f.opt.Now()
			n := 0
			for _, a := range acks {
				if a.Done {
					n++
				}
			}
			f.stats.record(now, n)
			f.count(ctx, obj, acks)
			aerr := f.store.AckOutbox(context.WithoutCancel(ctx), acks, now)
			if aerr == nil {
				aerr = f.recreated(ctx, obj, acks, now)
			}
			mu.Lock()
			ended += n
			if aerr != nil {
				errs = append(errs, aerr)
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return ended, errors.Join(errs...)
}

// recreated marks the children of leads Marketo created: a lead it had before under
// another id (deleted in Marketo since) leaves roles that name the old id, and they are
// sent again with the new one. A lead created for the first time has no delivered child.
func (f *Forwarder) recreated(ctx context.Context, obj store.UpstreamObject, acks []store.OutboxAck, now time.Time) error {
	if obj != store.UpstreamLead {
		return nil
	}
	var parents []store.UpstreamRef
	for _, a := range acks {
		if a.Deliver != nil && a.Deliver.Status == "created" {
			parents = append(parents, store.UpstreamRef{Object: store.UpstreamLead, Key: a.Row.Key.LocalID})
		}
	}
	if len(parents) == 0 {
		return nil
	}
	_, err := f.store.MarkChildren(context.WithoutCancel(ctx), parents, now)
	return err
}

// failed turns a call that failed as a whole into releases, and pauses the forwarder when
// the failure will last (quota, credentials).
func (f *Forwarder) failed(batch []item, err error) []store.OutboxAck {
	now := f.opt.Now()
	retryAt := func(it item) time.Time { return now.Add(backoff(it.row.Attempts)) }
	reason := "Marketo call failed: " + err.Error()
	var quota *marketoclient.QuotaError
	var auth *marketoclient.AuthError
	var api *marketoclient.APIError
	switch {
	case errors.As(err, &quota):
		f.pause(quota.ResetAt, quota.Error())
		retryAt = func(item) time.Time { return quota.ResetAt }
		reason = "paused: " + quota.Error()
	case errors.As(err, &auth):
		f.pause(now.Add(time.Minute), auth.Error())
		retryAt = func(item) time.Time { return now.Add(time.Minute) }
	case errors.As(err, &api):
		// A configuration fault (603 access denied, 610 not found, 1003/1006 of the call):
		// retried every 5 minutes, shown with its reason.
		retryAt = func(item) time.Time { return now.Add(5 * time.Minute) }
	}
	f.log.Warn("a Marketo call failed; its records wait", "records", len(batch), "error", err)
	acks := make([]store.OutboxAck, len(batch))
	for i, it := range batch {
		acks[i] = store.OutboxAck{Row: it.row, RetryAt: retryAt(it), Reason: reason}
	}
	return acks
}
