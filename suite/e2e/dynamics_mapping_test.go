package e2e

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msisync/msisync/connectors/dynamics/connector"
	"github.com/msisync/msisync/connectors/dynamics/mapping"
	"github.com/msisync/msisync/connectors/dynamics/simulator"
)

// mappingSeed is a small org for the field mapping's tests.
var mappingSeed = simulator.SeedOptions{Random: 43, Users: 4, Accounts: 6, Contacts: 20, Leads: 6, Opportunities: 3}

// mappingCustomFields declares the custom Marketo fields the mapping tests map to.
const mappingCustomFields = "MSISYNC_CUSTOM_FIELDS=leads:favouriteColour:string,leads:tier:integer,leads:segment:string"

// customMapping is the default mapping plus the org's custom columns new_favouritecolour
// (contacts and leads), cr123_tier and the option set cr123_segment (contacts, by its
// label), mapped to custom Marketo fields.
func customMapping(t *testing.T, extra string) string {
	t.Helper()
	text := strings.Replace(string(mapping.DefaultFile()), "    - {column: mobilephone, field: mobilePhone}\n",
		"    - {column: mobilephone, field: mobilePhone}\n    - {column: new_favouritecolour, field: favouriteColour}\n    - {column: cr123_tier, field: tier, as: number}\n    - {column: cr123_segment, field: segment, as: label}\n", 1)
	text = strings.Replace(text, "    - {column: companyname, field: company}\n",
		"    - {column: companyname, field: company}\n    - {column: new_favouritecolour, field: favouriteColour}\n", 1)
	text += extra
	path := filepath.Join(t.TempDir(), "mapping.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDynamicsCustomColumnsReachCustomFields: the org's custom columns, mapped by the
// mapping file to declared custom Marketo fields, are read back through the lead query; a
// value cleared in Dynamics is cleared in msisync.
func TestDynamicsCustomColumnsReachCustomFields(t *testing.T) {
	t.Parallel()
	e := newDynamicsEnvWith(t, mappingSeed, "", mappingCustomFields)
	contacts, leads := e.sim.IDs("contacts"), e.sim.IDs("leads")
	colour := func(i int) string { return []string{"teal", "amber", ""}[i%3] }
	for i, id := range contacts {
		cols := map[string]any{"new_favouritecolour": colour(i), "cr123_tier": i, "cr123_segment": 100000002}
		if colour(i) == "" {
			cols = map[string]any{"new_favouritecolour": nil, "cr123_tier": nil, "cr123_segment": nil}
		}
		if err := e.sim.Update("contacts", id, cols); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.sim.Update("leads", leads[0], map[string]any{"new_favouritecolour": "amber"}); err != nil {
		t.Fatal(err)
	}
	path := customMapping(t, "")
	e.reconfigure(func(c *connector.Config) { c.Mapping = path })
	e.sync()
	got := e.leads(contacts, "favouriteColour", "tier", "segment")
	var withColour string
	for i, id := range contacts {
		c, ok := got[id]
		if !ok {
			continue // waiting for its parent in this seed
		}
		if colour(i) == "" {
			if (c["favouriteColour"] != nil && c["favouriteColour"] != "") || c["tier"] != nil {
				t.Errorf("contact %s without custom values: %v", id, c)
			}
			continue
		}
		if c["favouriteColour"] != colour(i) || c["tier"] != float64(i) || c["segment"] != "Enterprise" {
			t.Errorf("contact %s: %v, want colour %s, tier %d and the segment's label Enterprise", id, c, colour(i), i)
		}
		withColour = id
	}
	if withColour == "" {
		t.Fatalf("no contact with custom columns reached msisync: %v", got)
	}
	if l := e.leads(leads[:1], "favouriteColour", "tier")[leads[0]]; l["favouriteColour"] != "amber" || l["tier"] != nil {
		t.Errorf("lead with a custom column: %v", l)
	}

	// A colour cleared in Dynamics is cleared in msisync; only that record is sent.
	if err := e.sim.Update("contacts", withColour, map[string]any{"new_favouritecolour": nil}); err != nil {
		t.Fatal(err)
	}
	rep := e.sync()
	if n := sent(rep); n != 1 {
		t.Errorf("a cleared custom column sent %d records, want 1", n)
	}
	if c := e.leads([]string{withColour}, "favouriteColour", "tier")[withColour]; c["favouriteColour"] != "" && c["favouriteColour"] != nil || c["tier"] == nil {
		t.Errorf("after clearing the colour in Dynamics: %v", c)
	}
}

// TestDynamicsBadMappingIsRefusedAtStart: a mapping naming a column the org does not have,
// a field msisync does not have (not declared), or a column read the wrong way is refused
// before anything is sent, with one message naming every wrong entry.
func TestDynamicsBadMappingIsRefusedAtStart(t *testing.T) {
	t.Parallel()
	e := newDynamicsEnvWith(t, mappingSeed, "", mappingCustomFields)
	path := customMapping(t, "")
	text, _ := os.ReadFile(path)
	bad := strings.Replace(string(text), "new_favouritecolour, field: favouriteColour}\n    - {column: cr123_tier",
		"new_favoritecolor, field: favouriteColour}\n    - {column: cr123_tier", 1)
	bad = strings.Replace(bad, "{column: companyname, field: company}\n    - {column: new_favouritecolour, field: favouriteColour}",
		"{column: companyname, field: company}\n    - {column: new_favouritecolour, field: favoriteColor}", 1)
	bad = strings.Replace(bad, "{column: sic, field: sicCode}", "{column: sic, field: sicCode, as: label}", 1)
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	e.reconfigure(func(c *connector.Config) { c.Mapping = path })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := e.conn.SyncOnce(ctx)
	var merr *connector.MappingError
	if !errors.As(err, &merr) || len(merr.Entries) != 3 {
		t.Fatalf("SyncOnce with a bad mapping: %v", err)
	}
	for _, want := range []string{
		"contacts column new_favoritecolor → lead field favouriteColour: the Dynamics table contact has no column new_favoritecolor",
		"leads column new_favouritecolour → lead field favoriteColor: msisync's lead has no field favoriteColor (a custom field must be declared in MSISYNC_CUSTOM_FIELDS)",
		"accounts column sic → company field sicCode: the column is of type String, which cannot be read as label",
		"MSISYNC_DYNAMICS_MAPPING",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal lacks %q:\n%v", want, err)
		}
	}
	if got := e.lookup("/rest/v1/salespersons.json", "externalSalesPersonId", e.sim.IDs("systemusers"), []string{"externalSalesPersonId"}); len(got) != 0 {
		t.Errorf("a refused mapping sent %d sales persons", len(got))
	}
}

// TestDynamicsChangedMappingResendsOnlyAffectedRecords: after a change of the mapping, the
// entity sets it touches are read in full, and only the records whose mapped fields changed
// are sent.
func TestDynamicsChangedMappingResendsOnlyAffectedRecords(t *testing.T) {
	t.Parallel()
	e := newDynamicsEnvWith(t, mappingSeed, "", mappingCustomFields)
	e.sync() // the default mapping
	in := e.leads(e.sim.IDs("contacts"))
	var coloured []string
	for _, id := range e.sim.IDs("contacts") {
		if _, ok := in[id]; ok && len(coloured) < 3 {
			coloured = append(coloured, id)
		}
	}
	for _, id := range coloured {
		if err := e.sim.Update("contacts", id, map[string]any{"new_favouritecolour": "teal"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := sent(e.sync()); n != 0 {
		t.Fatalf("a change of an unmapped column sent %d records", n)
	}

	path := customMapping(t, "")
	e.reconfigure(func(c *connector.Config) { c.Mapping = path })
	rep := e.sync()
	for _, s := range rep.Sets {
		if want := s.EntitySet == mapping.Contacts || s.EntitySet == mapping.Leads; s.Full != want {
			t.Errorf("%s read in full: %v, want %v", s.EntitySet, s.Full, want)
		}
	}
	if n, l := sent(rep), object(rep, mapping.Lead).Sent; n != len(coloured) || l != len(coloured) {
		t.Errorf("the new mapping sent %d records (%d leads), want the %d coloured contacts: %+v", n, l, len(coloured), rep.Objects)
	}
	got := e.leads(coloured, "favouriteColour")
	for _, id := range coloured {
		if got[id]["favouriteColour"] != "teal" {
			t.Errorf("contact %s after the mapping change: %v", id, got[id])
		}
	}
	if n := sent(e.sync()); n != 0 {
		t.Errorf("the cycle after the mapping change sent %d records", n)
	}
}
