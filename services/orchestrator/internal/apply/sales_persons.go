package apply

import (
	"context"

	identityv1 "github.com/msisync/msisync/gen/msisync/identity/v1"
	"github.com/msisync/msisync/services/orchestrator/internal/links"
)

// SyncSalesPersons writes sales persons (they have no parents).
func (a *Applier) SyncSalesPersons(ctx context.Context, req *identityv1.SyncSalesPersonsRequest) ([]Outcome, error) {
	resp, err := a.SalesPersons.SyncSalesPersons(ctx, req)
	if err != nil {
		return nil, errorf("syncing sales persons", err)
	}
	return mergeAll(len(req.GetInput()), resp.GetResults())
}

// DeleteSalesPersons deletes sales persons that own no company, lead or opportunity; the
// others are skipped with 1022.
func (a *Applier) DeleteSalesPersons(ctx context.Context, keys []*identityv1.SalesPersonKey) ([]Outcome, error) {
	got, err := a.SalesPersons.BatchGetSalesPersons(ctx, &identityv1.BatchGetSalesPersonsRequest{Keys: keys})
	if err != nil {
		return nil, errorf("looking up sales persons", err)
	}
	d := newByExternalID[int32](links.SalesPerson, "sales person", a.SalesPersonUse)
	for _, p := range got.GetSalesPersons() {
		d.record(p.GetId(), p.GetExternalSalesPersonId())
	}
	for _, k := range keys {
		if id, ok := k.GetKey().(*identityv1.SalesPersonKey_Id); ok {
			d.keyID(id.Id)
		} else {
			d.keyExternalID(k.GetExternalSalesPersonId())
		}
	}
	return deleteUnused(ctx, a, keys, &d.deletes, "deleting sales persons",
		func(ctx context.Context, send []*identityv1.SalesPersonKey) (*identityv1.DeleteSalesPersonsResponse, error) {
			return a.SalesPersons.DeleteSalesPersons(ctx, &identityv1.DeleteSalesPersonsRequest{Keys: send})
		}, nil)
}
