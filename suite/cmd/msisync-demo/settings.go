package main

import (
	"context"
	_ "embed" // the demo's mapping file
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/msisync/msisync/connectors/dynamics/connector"
	"github.com/msisync/msisync/connectors/dynamics/mapping"
	"github.com/msisync/msisync/suite/internal/dynenv"
)

// demoMapping is the demo's field mapping file: the built-in mapping plus one custom field.
//
//go:embed mapping.yaml
var demoMapping []byte

// demoCustomFields declares the custom field the demo's mapping fills.
const demoCustomFields = "MSISYNC_CUSTOM_FIELDS=leads:favouriteColour:string"

// demoColours are the favourite colours given to some contacts in the simulated org.
var demoColours = []string{"teal", "amber", "violet", "crimson"}

// useMapping returns a configuration change that points the connector at the demo's
// mapping file, written into dataDir.
func useMapping(dataDir string) (func(*connector.Config), error) {
	path := filepath.Join(dataDir, "mapping.yaml")
	if err := os.WriteFile(path, demoMapping, 0o644); err != nil {
		return nil, fmt.Errorf("writing the demo's mapping file: %w", err)
	}
	return func(c *connector.Config) { c.Mapping = path }, nil
}

// useScope sets the demo's sync scope: active accounts only
// (MSISYNC_DYNAMICS_FILTER_ACCOUNTS="statecode eq 0"), so the org's inactive accounts stay
// out and their contacts, leads and opportunities come with a finding that says so;
// printSettings shows it.
func useScope(c *connector.Config) { c.FilterAccounts = "statecode eq 0" }

// printSettings prints the connector's field mapping (its custom entries) and sync scope.
func printSettings(out io.Writer, cfg connector.Config) {
	spec, err := mapping.Load(cfg.Mapping)
	if err != nil {
		fmt.Fprintf(out, "   field mapping: %v\n", err)
		return
	}
	fmt.Fprintf(out, "   field mapping (MSISYNC_DYNAMICS_MAPPING=%s):\n", cfg.Mapping)
	for _, set := range mapping.Mappable {
		for _, e := range spec.Entries(set) {
			if !builtIn(set, e) {
				fmt.Fprintf(out, "     %s.%s → %s (%s), a custom field (%s)\n", set, e.Column, e.Field, e.As, strings.TrimPrefix(demoCustomFields, "MSISYNC_CUSTOM_FIELDS="))
			}
		}
	}
	scope := map[string]string{"accounts": cfg.FilterAccounts, "contacts": cfg.FilterContacts, "leads": cfg.FilterLeads, "opportunities": cfg.FilterOpportunities}
	var parts []string
	for _, set := range []string{"accounts", "contacts", "leads", "opportunities"} {
		if f := scope[set]; f != "" {
			parts = append(parts, fmt.Sprintf("%s where %s", set, f))
		}
	}
	if cfg.SyncColumn != "" {
		parts = append(parts, "records whose "+cfg.SyncColumn+" is not No")
	}
	if len(parts) == 0 {
		parts = []string{"the whole org (no filter, no sync column)"}
	}
	fmt.Fprintf(out, "   sync scope: %s\n", strings.Join(parts, "; "))
}

// builtIn reports whether the built-in mapping has the entry.
func builtIn(set string, e mapping.Entry) bool {
	return slices.Contains(mapping.Default.Entries(set), e)
}

// colourContacts sets the custom column new_favouritecolour on every tenth contact of the
// simulated org, as the org's users would have, and returns how many.
func colourContacts(env *dynenv.Env) (int, error) {
	n := 0
	for i, id := range env.Sim.IDs("contacts") {
		if i%10 != 0 {
			continue
		}
		if err := env.Sim.Update("contacts", id, map[string]any{"new_favouritecolour": demoColours[n%len(demoColours)]}); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// changeMapping restarts the connector with the demo's mapping file, which adds the custom
// field, and runs a cycle: the entity sets whose mapping changed are read again in full,
// and only the records whose mapped fields changed are sent. It prints what that cost.
func changeMapping(ctx context.Context, out io.Writer, env *dynenv.Env, dataDir string, coloured int) error {
	fmt.Fprintf(out, "   The admin adds a custom field to the field mapping (MSISYNC_DYNAMICS_MAPPING, suite/cmd/msisync-demo/mapping.yaml):\n"+
		"   contacts.new_favouritecolour → favouriteColour, set on %d contacts in Dynamics\n", coloured)
	configure, err := useMapping(dataDir)
	if err != nil {
		return err
	}
	if err := env.Reconfigure(ctx, configure); err != nil {
		return fmt.Errorf("restarting the connector with the demo's mapping: %w", err)
	}
	rep, err := env.Conn.SyncOnce(ctx)
	if err != nil {
		return fmt.Errorf("sync with the demo's mapping: %w", err)
	}
	read, sent := 0, 0
	var full []string
	for _, s := range rep.Sets {
		if s.Full {
			read += s.Rows
			full = append(full, s.EntitySet)
		}
	}
	for _, o := range rep.Objects {
		sent += o.Sent
	}
	fmt.Fprintf(out, "   changed mapping: %s read again in full (%d rows), %d records re-sent, in %s\n\n",
		strings.Join(full, " and "), read, sent, rep.Finished.Sub(rep.Started).Round(time.Millisecond))
	return nil
}
