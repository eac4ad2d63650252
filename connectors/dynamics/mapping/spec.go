package mapping

import (
	"bytes"
	"crypto/sha256"
	_ "embed" // the default mapping file
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/msisync/msisync/connectors/dynamics/dataverse"
)

// As says how a column becomes a Marketo value.
type As string

const (
	// AsValue sends the column as text; an empty column clears the field with "".
	AsValue As = "value"
	// AsNumber sends the column as a number; an empty column clears the field with null.
	AsNumber As = "number"
	// AsBoolean sends the column as true or false; an empty column clears it with null.
	AsBoolean As = "boolean"
	// AsLabel sends an option set's label (the FormattedValue annotation), else its number.
	AsLabel As = "label"
	// AsExternalID sends a lookup (_name_value) as the external id of its target.
	AsExternalID As = "externalId"
)

// asKinds are the valid values of As.
var asKinds = []As{AsValue, AsNumber, AsBoolean, AsLabel, AsExternalID}

// Entry maps one Dataverse column to one Marketo field.
type Entry struct {
	// Column is the Dataverse column's logical name (a lookup as _name_value).
	Column string `yaml:"column" json:"column"`
	// Field is the Marketo field's name (a custom one must be declared in the orchestrator).
	Field string `yaml:"field" json:"field"`
	// As says how the value is converted; empty means AsValue.
	As As `yaml:"as,omitempty" json:"as,omitempty"`
}

// File is the mapping file's shape (MSISYNC_DYNAMICS_MAPPING): per Marketo object, its
// entries; for leads, per Dynamics entity set.
type File struct {
	// SalesPersons maps systemusers.
	SalesPersons []Entry `yaml:"salesPersons" json:"salesPersons"`
	// Companies maps accounts.
	Companies []Entry `yaml:"companies" json:"companies"`
	// Leads maps contacts and leads.
	Leads struct {
		// Contacts maps contacts.
		Contacts []Entry `yaml:"contacts" json:"contacts"`
		// Leads maps leads.
		Leads []Entry `yaml:"leads" json:"leads"`
	} `yaml:"leads" json:"leads"`
	// Opportunities maps opportunities.
	Opportunities []Entry `yaml:"opportunities" json:"opportunities"`
}

// Spec is a checked field mapping: the entries of each mappable entity set.
type Spec struct {
	// Source names where the mapping came from (a path, or "default").
	Source  string
	entries map[string][]Entry
}

//go:embed default.yaml
var defaultFile []byte

// DefaultFile returns the default mapping file's text: today's mapping, a starting point
// for an org's own.
func DefaultFile() []byte { return slices.Clone(defaultFile) }

// Default is the built-in mapping (MSISYNC_DYNAMICS_MAPPING unset).
var Default = func() *Spec {
	s, err := parse(defaultFile, "default", nil)
	if err != nil {
		panic("mapping: the embedded default.yaml is wrong: " + err.Error())
	}
	return s
}()

// Mappable lists the entity sets a mapping file maps, in pull order.
var Mappable = []string{SystemUsers, Accounts, Contacts, Leads, Opportunities}

// fixed names, per entity set, the fields the connector sets itself: a mapping file may not
// map them (see the record functions in records.go).
var fixed = map[string][]string{
	SystemUsers:   {"externalSalesPersonId"},
	Accounts:      {"externalCompanyId", "externalSalesPersonId", "company"},
	Contacts:      {"externalPersonId", "externalSalesPersonId", "externalCompanyId", "company"},
	Leads:         {"externalPersonId", "externalSalesPersonId"},
	Opportunities: {"externalOpportunityId", "externalSalesPersonId", "name", "externalCompanyId", "isClosed", "isWon", "amount", "closeDate", "stage"},
}

// Load reads the mapping file at path (YAML, or JSON, which is YAML too); "" is Default.
func Load(path string) (*Spec, error) {
	if strings.TrimSpace(path) == "" {
		return Default, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("MSISYNC_DYNAMICS_MAPPING: %w", err)
	}
	s, err := Parse(b, path)
	if err != nil {
		return nil, fmt.Errorf("MSISYNC_DYNAMICS_MAPPING %s: %w", path, err)
	}
	return s, nil
}

// Parse reads a mapping file and checks what can be checked without the org: an object
// (for leads, an entity set) the file leaves out keeps the built-in entries, one it names
// gets exactly those listed (an empty list: none); every entry
// has a column and a field, a known "as", no field twice, no field the connector sets. It
// reports every wrong entry at once.
func Parse(b []byte, source string) (*Spec, error) { return parse(b, source, Default) }

// parse is Parse with base's entries for the sets the file leaves out (none when nil).
func parse(b []byte, source string, base *Spec) (*Spec, error) {
	var f File
	d := yaml.NewDecoder(bytes.NewReader(b))
	d.KnownFields(true)
	if err := d.Decode(&f); err != nil {
		return nil, fmt.Errorf("not a mapping file: %w", err)
	}
	s := &Spec{Source: source, entries: map[string][]Entry{
		SystemUsers: f.SalesPersons, Accounts: f.Companies, Contacts: f.Leads.Contacts, Leads: f.Leads.Leads, Opportunities: f.Opportunities,
	}}
	var errs []error
	for _, set := range Mappable {
		if s.entries[set] == nil && base != nil {
			s.entries[set] = slices.Clone(base.entries[set]) // left out: the built-in entries
		}
		seen := map[string]bool{}
		for i := range s.entries[set] {
			e := &s.entries[set][i]
			e.Column, e.Field = strings.ToLower(strings.TrimSpace(e.Column)), strings.TrimSpace(e.Field)
			if e.As == "" {
				e.As = AsValue
			}
			where := fmt.Sprintf("%s %s → %s", set, e.Column, e.Field)
			switch {
			case e.Column == "" || e.Field == "":
				errs = append(errs, fmt.Errorf("%s: an entry needs both a column and a field", where))
			case !slices.Contains(asKinds, e.As):
				errs = append(errs, fmt.Errorf("%s: as is %q; use one of value, number, boolean, label, externalId", where, e.As))
			case e.As == AsExternalID && !dataverse.IsLookupColumn(e.Column):
				errs = append(errs, fmt.Errorf("%s: as externalId needs a lookup column, named _name_value (e.g. _parentaccountid_value)", where))
			case slices.Contains(fixed[set], e.Field):
				errs = append(errs, fmt.Errorf("%s: the connector sets %s itself; remove this entry", where, e.Field))
			case seen[e.Field]:
				errs = append(errs, fmt.Errorf("%s: %s is mapped twice", where, e.Field))
			}
			seen[e.Field] = true
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

// Entries returns the entries of an entity set (none for one a mapping does not cover).
func (s *Spec) Entries(set string) []Entry { return s.entries[set] }

// Columns names the columns read from an entity set: those the connector needs (Select)
// and the mapped ones.
func (s *Spec) Columns(set string) []string {
	out := slices.Clone(Select[set])
	for _, e := range s.entries[set] {
		if !slices.Contains(out, e.Column) {
			out = append(out, e.Column)
		}
	}
	return out
}

// Fingerprint identifies an entity set's entries: when it changes, the set's rows are
// mapped again (and only those whose record changed are sent).
func (s *Spec) Fingerprint(set string) string {
	b, _ := json.Marshal(s.entries[set])
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// Comparable returns what of a record of set a fingerprint should cover: the record
// without the empty values of fields the default mapping does not send. Adding a column to
// the mapping then changes the fingerprint of the rows that have a value in it, and no
// other: msisync holds nothing for the new field, so an empty one needs no sending. A
// value cleared later still changes the fingerprint (a value, then none).
func (s *Spec) Comparable(set string, r Record) Record {
	if r == nil || s == Default {
		return r
	}
	var out Record
	for k, v := range r {
		if v != nil && v != "" || slices.Contains(fixed[set], k) || Default.maps(set, k) {
			continue
		}
		if out == nil {
			out = maps.Clone(r)
		}
		delete(out, k)
	}
	if out == nil {
		return r
	}
	return out
}

// maps reports whether the mapping sends field for set.
func (s *Spec) maps(set, field string) bool {
	return slices.ContainsFunc(s.entries[set], func(e Entry) bool { return e.Field == field })
}

// String renders the mapping for a person: one line per entity set.
func (s *Spec) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mapping %s\n", s.Source)
	for _, set := range Mappable {
		parts := make([]string, len(s.entries[set]))
		for i, e := range s.entries[set] {
			parts[i] = e.Column + "→" + e.Field
			if e.As != AsValue {
				parts[i] += " (" + string(e.As) + ")"
			}
		}
		fmt.Fprintf(&b, "  %s: %s\n", set, strings.Join(parts, ", "))
	}
	return b.String()
}

// apply puts the mapped columns of row into r.
func (s *Spec) apply(set string, dv dataverse.Row, r Record) {
	for _, e := range s.entries[set] {
		switch e.As {
		case AsNumber:
			if n, ok := dv.Int(e.Column); ok && !strings.ContainsAny(dv.String(e.Column), ".eE") {
				r[e.Field] = n
			} else if f, ok := dv.Float(e.Column); ok {
				r[e.Field] = f
			} else {
				r[e.Field] = nil
			}
		case AsBoolean:
			if b, ok := dv.Bool(e.Column); ok {
				r[e.Field] = b
			} else {
				r[e.Field] = nil
			}
		case AsLabel:
			r.put(e.Field, label(dv, e.Column))
		case AsExternalID:
			r.put(e.Field, dv.GUID(e.Column))
		default:
			r.put(e.Field, dv.String(e.Column))
		}
	}
}
