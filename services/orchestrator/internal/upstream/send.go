package upstream

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/msisync/msisync/platform/marketoclient"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// marketoObjects are the Marketo REST objects of the upstream objects.
var marketoObjects = map[store.UpstreamObject]marketoclient.Object{
	store.UpstreamSalesPerson: marketoclient.SalesPersons,
	store.UpstreamCompany:     marketoclient.Companies,
	store.UpstreamLead:        marketoclient.Leads,
	store.UpstreamOpportunity: marketoclient.Opportunities,
	store.UpstreamRole:        marketoclient.Roles,
}

// parentWait bounds the wait of a record for its parent: a parent often goes in the next
// cycle, and a new change of the record makes it due at once anyway.
const parentWait = 30 * time.Second

// withParents splits the items into those whose parents Marketo holds (with a role's
// Marketo lead id filled in) and releases for the others, which wait for their parent.
func (f *Forwarder) withParents(ctx context.Context, obj store.UpstreamObject, items []item) ([]item, []store.OutboxAck, error) {
	byExt := map[store.UpstreamObject][]string{}
	var leads []store.UpstreamKey
	for _, it := range items {
		for _, p := range it.l.parents {
			if p.Object == store.UpstreamLead {
				leads = append(leads, store.UpstreamKey{Object: store.UpstreamLead, LocalID: p.Key})
			} else {
				byExt[p.Object] = append(byExt[p.Object], p.Key)
			}
		}
	}
	held := map[store.UpstreamRef]store.Delivered{}
	for _, pobj := range slices.Sorted(maps.Keys(byExt)) {
		got, err := f.store.DeliveredByExternalKey(ctx, pobj, byExt[pobj])
		if err != nil {
			return nil, nil, err
		}
		for k, d := range got {
			held[store.UpstreamRef{Object: pobj, Key: k}] = d
		}
	}
	if len(leads) > 0 {
		got, err := f.store.GetDelivered(ctx, leads)
		if err != nil {
			return nil, nil, err
		}
		for k, d := range got {
			if d.Known() {
				held[store.UpstreamRef{Object: store.UpstreamLead, Key: k.LocalID}] = d
			}
		}
	}
	now := f.opt.Now()
	var ready []item
	var waiting []store.OutboxAck
	for _, it := range items {
		missing := ""
		for _, p := range it.l.parents {
			d, ok := held[p]
			if !ok {
				missing = fmt.Sprintf("waiting for %s %s to reach Marketo", p.Object, p.Key)
				break
			}
			if p.Object == store.UpstreamLead {
				it.lead = d.MarketoID
			}
		}
		if missing != "" {
			waiting = append(waiting, store.OutboxAck{Row: it.row, RetryAt: now.Add(min(backoff(it.row.Attempts), parentWait)), Reason: missing})
			continue
		}
		ready = append(ready, it)
	}
	return ready, waiting, nil
}

// syncBatch sends one batch of upserts (up to 300 of obj) and returns the acks of its
// records. Leads whose external id changed since Marketo got them (a merge or qualify) go
// in a call of their own, by Marketo id, so that Marketo re-keys its lead.
func (f *Forwarder) syncBatch(ctx context.Context, obj store.UpstreamObject, batch []item) ([]store.OutboxAck, error) {
	if obj != store.UpstreamLead {
		in := make([]marketoclient.Record, len(batch))
		for i, it := range batch {
			in[i] = it.l.record
			if obj == store.UpstreamRole {
				in[i] = maps.Clone(it.l.record)
				in[i]["leadId"] = it.lead
			}
		}
		res, err := f.mk.Sync(ctx, marketoObjects[obj], marketoclient.SyncRequest{Action: "createOrUpdate", DedupeBy: "dedupeFields", Input: in})
		if err != nil {
			return nil, err
		}
		return f.outcomes(obj, batch, res)
	}
	var plain, rekeyed []item
	for _, it := range batch {
		if it.had && it.d.MarketoID != 0 && it.d.ExternalKey != it.l.ext {
			rekeyed = append(rekeyed, it)
		} else {
			plain = append(plain, it)
		}
	}
	var acks []store.OutboxAck
	for _, part := range []struct {
		items []item
		req   marketoclient.LeadSyncRequest
	}{
		{plain, marketoclient.LeadSyncRequest{Action: "createOrUpdate", LookupField: "externalPersonId"}},
		{rekeyed, marketoclient.LeadSyncRequest{Action: "updateOnly", LookupField: "id"}},
	} {
		if len(part.items) == 0 {
			continue
		}
		for _, it := range part.items {
			rec := it.l.record
			if part.req.LookupField == "id" {
				rec = maps.Clone(rec)
				rec["id"] = it.d.MarketoID
			}
			part.req.Input = append(part.req.Input, rec)
		}
		res, err := f.mk.SyncLeads(ctx, part.req)
		if err != nil {
			if len(acks) > 0 {
				// The first call is done: keep its outcome, retry the second's records.
				return append(acks, f.failed(part.items, err)...), nil
			}
			return nil, err
		}
		got, err := f.outcomes(obj, part.items, res)
		if err != nil {
			return nil, err
		}
		acks = append(acks, got...)
	}
	return acks, nil
}

// resultsBySeq indexes Marketo's results by the position of their input record.
func resultsBySeq(res []marketoclient.RecordResult) map[int]marketoclient.RecordResult {
	out := make(map[int]marketoclient.RecordResult, len(res))
	for _, r := range res {
		out[r.Seq] = r
	}
	return out
}

// outcomes turns Marketo's results of a sync into acks: created and updated records are
// delivered; skipped ones keep their Marketo ids and wait for a change or a retry request.
// A lead Marketo no longer has (1004 on an update by id) is sent again by external id.
func (f *Forwarder) outcomes(obj store.UpstreamObject, batch []item, res []marketoclient.RecordResult) ([]store.OutboxAck, error) {
	now := f.opt.Now()
	bySeq := resultsBySeq(res)
	acks := make([]store.OutboxAck, len(batch))
	for i, it := range batch {
		r, ok := bySeq[i]
		if !ok {
			return nil, fmt.Errorf("the Marketo answer has no result for record %d of %d %s", i, len(batch), obj)
		}
		d := store.Delivered{ExternalKey: it.l.ext, MarketoID: it.d.MarketoID, MarketoGUID: it.d.MarketoGUID, SentHash: it.l.hash, Parents: it.l.parents, Status: r.Status, At: now}
		switch r.Status {
		case "created", "updated":
			if r.ID != 0 {
				d.MarketoID = r.ID
			}
			if obj == store.UpstreamLead && r.Status == "updated" && it.d.MarketoID == 0 && r.ID != 0 {
				// Marketo had this person before msisync: its MSI fields are read at once.
				f.existing.add(r.ID)
			}
			if r.MarketoGUID != "" {
				d.MarketoGUID = r.MarketoGUID
			}
			acks[i] = store.OutboxAck{Row: it.row, Done: true, Deliver: &d}
		default:
			d.Status = statusSkipped
			if len(r.Reasons) > 0 {
				d.Code, d.Message = r.Reasons[0].Code, r.Reasons[0].Message
			}
			if d.Code == "1004" && obj == store.UpstreamLead && it.d.ExternalKey != it.l.ext {
				// Deleted in Marketo since: forget its id and create it again by key.
				d.MarketoID, d.SentHash, d.Status, d.Parents = 0, nil, "", nil
				acks[i] = store.OutboxAck{Row: it.row, Deliver: &d, RetryAt: now, Reason: "Marketo no longer has lead " + strconv.FormatInt(it.d.MarketoID, 10) + ": sending it again"}
				continue
			}
			// Marketo's record, if it has one, keeps the key and the parents it had: a refused
			// re-key is tried again by Marketo id, not sent by the new key (which would make a
			// second record), and a record Marketo never took names no parent (whose delete
			// would wait for it).
			d.Parents = it.d.Parents
			if it.d.Known() {
				d.ExternalKey = it.d.ExternalKey
			}
			f.log.Warn("Marketo skipped a record", "object", obj, "key", it.l.ext, "code", d.Code, "message", d.Message)
			acks[i] = store.OutboxAck{Row: it.row, Done: true, Deliver: &d}
		}
	}
	return acks, nil
}

// deletes sends the deletes of records gone locally, children first: a record that a
// delivered child still names waits until the child's change reached Marketo.
func (f *Forwarder) deletes(ctx context.Context, obj store.UpstreamObject, items []item) (int, error) {
	if len(items) == 0 {
		return 0, nil
	}
	refs := make([]store.UpstreamRef, len(items))
	for i, it := range items {
		refs[i] = selfRef(obj, it)
	}
	used, err := f.store.Referenced(ctx, refs)
	if err != nil {
		return 0, err
	}
	now := f.opt.Now()
	var ready []item
	var waiting []store.OutboxAck
	for i, it := range items {
		if used[refs[i]] {
			waiting = append(waiting, store.OutboxAck{Row: it.row, RetryAt: now.Add(backoff(it.row.Attempts)), Reason: "deleted here; waiting for its children to leave it in Marketo"})
			continue
		}
		ready = append(ready, it)
	}
	if err := f.store.AckOutbox(ctx, waiting, now); err != nil {
		return 0, err
	}
	return f.sendAll(ctx, obj, ready, f.deleteBatch)
}

// selfRef is how children name the record.
func selfRef(obj store.UpstreamObject, it item) store.UpstreamRef {
	if obj == store.UpstreamLead {
		return store.UpstreamRef{Object: obj, Key: it.row.Key.LocalID}
	}
	return store.UpstreamRef{Object: obj, Key: it.d.ExternalKey}
}

// deleteBatch deletes one batch in Marketo by Marketo's ids. A record Marketo does not
// have (1013) counts as deleted.
func (f *Forwarder) deleteBatch(ctx context.Context, obj store.UpstreamObject, batch []item) ([]store.OutboxAck, error) {
	var res []marketoclient.RecordResult
	var err error
	if obj == store.UpstreamLead {
		ids := make([]int64, len(batch))
		for i, it := range batch {
			ids[i] = it.d.MarketoID
		}
		res, err = f.mk.DeleteLeads(ctx, ids)
	} else {
		keys := make([]marketoclient.Record, len(batch))
		for i, it := range batch {
			if it.d.MarketoGUID != "" {
				keys[i] = marketoclient.Record{"marketoGUID": it.d.MarketoGUID}
			} else {
				keys[i] = marketoclient.Record{"id": it.d.MarketoID}
			}
		}
		res, err = f.mk.Delete(ctx, marketoObjects[obj], keys, true)
	}
	if err != nil {
		return nil, err
	}
	bySeq := resultsBySeq(res)
	now := f.opt.Now()
	acks := make([]store.OutboxAck, len(batch))
	for i, it := range batch {
		r := bySeq[i]
		if r.Status == "deleted" || len(r.Reasons) > 0 && r.Reasons[0].Code == "1013" {
			acks[i] = store.OutboxAck{Row: it.row, Done: true, Forget: true}
			continue
		}
		why := "Marketo did not delete it"
		if len(r.Reasons) > 0 {
			why += ": " + r.Reasons[0].Code + " " + r.Reasons[0].Message
		}
		acks[i] = store.OutboxAck{Row: it.row, RetryAt: now.Add(max(backoff(it.row.Attempts), time.Minute)), Reason: why}
	}
	return acks, nil
}
