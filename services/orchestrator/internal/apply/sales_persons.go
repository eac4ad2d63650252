package apply

import (
	"context"

	identityv1 "github.com/msisync/msisync/gen/msisync/identity/v1"
	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/services/orchestrator/internal/links"
)

// SyncSalesPersons writes sales persons (they have no parents).
func (a *Applier) SyncSalesPersons(ctx context.Context, req *identityv1.SyncSalesPersonsRequest) ([]Outcome, error) {
	out := make([]Outcome, len(req.GetInput()))
	resp, err := a.SalesPersons.SyncSalesPersons(ctx, req)
	if err != nil {
		return nil, errorf("syncing sales persons", err)
	}
	sent := make([]int, len(out))
	for i := range sent {
		sent[i] = i
	}
	return out, merge(out, sent, resp.GetResults())
}

// DeleteSalesPersons deletes sales persons that own no company, lead or opportunity; the
// others are skipped with 1022.
func (a *Applier) DeleteSalesPersons(ctx context.Context, keys []*identityv1.SalesPersonKey) ([]Outcome, error) {
	got, err := a.SalesPersons.BatchGetSalesPersons(ctx, &identityv1.BatchGetSalesPersonsRequest{Keys: keys})
	if err != nil {
		return nil, errorf("looking up sales persons", err)
	}
	byID := map[int32]string{}
	idByKey := map[string]int32{}
	var ext []string
	var deleted lockSet
	for _, k := range keys {
		deleted.add(links.SalesPerson, k.GetExternalSalesPersonId())
	}
	for _, p := range got.GetSalesPersons() {
		byID[p.GetId()] = p.GetExternalSalesPersonId()
		idByKey[extid.Key(p.GetExternalSalesPersonId())] = p.GetId()
		ext = append(ext, p.GetExternalSalesPersonId())
		deleted.add(links.SalesPerson, p.GetExternalSalesPersonId())
	}
	unlock, err := a.lockDeleted(ctx, deleted)
	if err != nil {
		return nil, err
	}
	defer unlock()
	use := links.Use{}
	if len(ext) > 0 {
		if use, err = a.SalesPersonUse(ctx, ext); err != nil {
			return nil, err
		}
	}
	out := make([]Outcome, len(keys))
	var send []*identityv1.SalesPersonKey
	var sent []int
	for i, k := range keys {
		e := k.GetExternalSalesPersonId()
		if id, ok := k.GetKey().(*identityv1.SalesPersonKey_Id); ok {
			e = byID[id.Id]
		}
		if why := use.InUse(extid.Key(e), "sales person '"+e+"'"); e != "" && why != nil {
			out[i] = inUse(i, why, idByKey[extid.Key(e)], "")
			continue
		}
		send = append(send, k)
		sent = append(sent, i)
	}
	if len(send) == 0 {
		return out, nil
	}
	resp, err := a.SalesPersons.DeleteSalesPersons(ctx, &identityv1.DeleteSalesPersonsRequest{Keys: send})
	if err != nil {
		return nil, errorf("deleting sales persons", err)
	}
	return out, merge(out, sent, resp.GetResults())
}
