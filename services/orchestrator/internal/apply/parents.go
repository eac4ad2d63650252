package apply

import (
	"context"

	"github.com/msisync/msisync/services/orchestrator/internal/links"
)

// leadByID is the kind of a lead that an input names by its msisync id.
const leadByID links.Kind = leadIDKind

// parent is a record that an input names as its parent: by external id, or a lead by its
// msisync id.
type parent struct {
	kind       links.Kind
	externalID string
	leadID     int32
}

// parents are the parents one input names, in the order they are checked.
type parents []parent

// external adds the parent of the kind that an optional reference field names, if it names
// one.
func (ps *parents) external(kind links.Kind, externalID *string) {
	if present(externalID) {
		*ps = append(*ps, parent{kind: kind, externalID: *externalID})
	}
}

// lead adds the lead with the msisync id.
func (ps *parents) lead(id int32) { *ps = append(*ps, parent{kind: leadByID, leadID: id}) }

// want asks for the parent and adds it to the keys to lock.
func (p parent) want(w *links.Wanted, locks *lockSet) {
	switch p.kind {
	case leadByID:
		w.LeadID(p.leadID)
		locks.addLeadID(p.leadID)
		return
	case links.SalesPerson:
		w.SalesPerson(p.externalID)
	case links.Company:
		w.Company(p.externalID)
	case links.Opportunity:
		w.Opportunity(p.externalID)
	case links.Lead:
		w.LeadByExternalID(p.externalID)
	}
	locks.add(p.kind, p.externalID)
}

// missing returns the parent as links.Missing when it does not exist, or nil.
func (p parent) missing(found links.Found) *links.Missing {
	switch p.kind {
	case leadByID:
		if !found.LeadID(p.leadID) {
			return links.MissingLeadID(p.leadID)
		}
	case links.SalesPerson:
		if !found.SalesPerson(p.externalID) {
			return links.MissingSalesPerson(p.externalID)
		}
	case links.Company:
		if !found.Company(p.externalID) {
			return links.MissingCompany(p.externalID)
		}
	case links.Opportunity:
		if !found.Opportunity(p.externalID) {
			return links.MissingOpportunity(p.externalID)
		}
	case links.Lead:
		if _, ok := found.LeadByExternalID(p.externalID); !ok {
			return links.MissingLeadByExternalID(p.externalID)
		}
	}
	return nil
}

// missing returns the first of the parents that does not exist, or nil.
func (ps parents) missing(found links.Found) *links.Missing {
	for _, p := range ps {
		if m := p.missing(found); m != nil {
			return m
		}
	}
	return nil
}

// findParents takes a shared lock on every parent the inputs name (parentsOf) and looks
// them all up, one batched call per kind. Call unlock when the write is done.
func findParents[In any](ctx context.Context, a *Applier, inputs []In, parentsOf func(In) parents) (found links.Found, unlock func(), err error) {
	var w links.Wanted
	var locks lockSet
	for _, in := range inputs {
		for _, p := range parentsOf(in) {
			p.want(&w, &locks)
		}
	}
	if unlock, err = a.lockParents(ctx, locks); err != nil {
		return links.Found{}, nil, err
	}
	if found, err = a.Resolve(ctx, w); err != nil {
		unlock()
		return links.Found{}, nil, err
	}
	return found, unlock, nil
}

// syncNamed is the skeleton of a write of records that name parents: under shared locks on
// the parents the inputs name (parentsOf), it looks them up, sends the inputs whose parents
// all exist with one call (what names it in its error), and returns one Outcome per input in
// input order, the others Missing their first absent parent. after, when not nil, runs on
// the outcomes before the locks are released.
func syncNamed[In any, R reply](ctx context.Context, a *Applier, inputs []In, parentsOf func(In) parents,
	what string, call func(context.Context, []In) (R, error), after func(context.Context, []Outcome) error,
) ([]Outcome, error) {
	found, unlock, err := findParents(ctx, a, inputs, parentsOf)
	if err != nil {
		return nil, err
	}
	defer unlock()
	b := newBatch[In](len(inputs))
	for i, in := range inputs {
		if m := parentsOf(in).missing(found); m != nil {
			b.out[i].Missing = m
			continue
		}
		b.add(i, in)
	}
	out, err := sendBatch(ctx, b, what, call)
	return then(ctx, out, err, after)
}
