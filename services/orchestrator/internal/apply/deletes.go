package apply

import (
	"context"

	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/services/orchestrator/internal/links"
)

// target is the record a delete key names, as the check for references needs it.
type target struct {
	// use is the record's key in links.Use; "" when the key names no record to check.
	use string
	// what names the record in a refusal: "company 'x'", "lead 5".
	what string
	// id and guid name the record in a refused result.
	id   int32
	guid string
}

// deletes is what a delete learned by looking up the records its keys name.
type deletes[U any] struct {
	// targets holds the record each key names, in key order.
	targets []target
	// locks are every record the keys name, to lock exclusively.
	locks lockSet
	// found are the records found, by the ids their references are counted by (external
	// ids, lead ids); count counts those references.
	found []U
	count func(context.Context, []U) (links.Use, error)
}

// deleteUnused is the skeleton of a delete of records that others may reference: under
// exclusive locks on every record the keys name, it counts the references to the records
// found, skips those still referenced with 1022, deletes the others with one call (what
// names it in its error), and returns one Outcome per key in key order. after, when not nil,
// runs on the outcomes before the locks are released.
func deleteUnused[K, U any, R reply](ctx context.Context, a *Applier, keys []K, d *deletes[U],
	what string, call func(context.Context, []K) (R, error), after func(context.Context, []Outcome) error,
) ([]Outcome, error) {
	unlock, err := a.lockDeleted(ctx, d.locks)
	if err != nil {
		return nil, err
	}
	defer unlock()
	use := links.Use{}
	if len(d.found) > 0 {
		if use, err = d.count(ctx, d.found); err != nil {
			return nil, err
		}
	}
	b := newBatch[K](len(keys))
	for i, k := range keys {
		t := d.targets[i]
		if why := use.InUse(t.use, t.what); t.use != "" && why != nil {
			b.out[i] = inUse(i, why, t.id, t.guid)
			continue
		}
		b.add(i, k)
	}
	out, err := sendBatch(ctx, b, what, call)
	return then(ctx, out, err, after)
}

// byExternalID builds the deletes of records whose references are counted by external id
// (sales persons, companies, opportunities). A key names its record by external id or by
// its msisync id (ID: an integer id, which a refused result carries as its id, or a GUID,
// which it carries as its GUID).
type byExternalID[ID comparable] struct {
	deletes[string]
	kind links.Kind
	noun string        // "sales person"
	exts map[ID]string // msisync id → external id
	ids  map[string]ID // external id's extid key → msisync id
}

// newByExternalID returns the builder for records of the kind, named noun in refusals,
// whose references count counts.
func newByExternalID[ID comparable](kind links.Kind, noun string, count func(context.Context, []string) (links.Use, error)) *byExternalID[ID] {
	return &byExternalID[ID]{deletes: deletes[string]{count: count}, kind: kind, noun: noun, exts: map[ID]string{}, ids: map[string]ID{}}
}

// record adds a record the lookup found. Add them all before the keys.
func (x *byExternalID[ID]) record(id ID, externalID string) {
	x.exts[id] = externalID
	x.ids[extid.Key(externalID)] = id
	x.found = append(x.found, externalID)
	x.locks.add(x.kind, externalID)
}

// keyID adds a key that names its record by msisync id.
func (x *byExternalID[ID]) keyID(id ID) { x.name(x.exts[id]) }

// keyExternalID adds a key that names its record by external id.
func (x *byExternalID[ID]) keyExternalID(externalID string) {
	x.locks.add(x.kind, externalID)
	x.name(externalID)
}

// name adds the target of a key that names the external id ("" for none).
func (x *byExternalID[ID]) name(externalID string) {
	var t target
	if externalID != "" {
		k := extid.Key(externalID)
		t = target{use: k, what: x.noun + " '" + externalID + "'"}
		switch id := any(x.ids[k]).(type) {
		case int32:
			t.id = id
		case string:
			t.guid = id
		}
	}
	x.targets = append(x.targets, t)
}
