package state

import (
	"context"
	"strconv"
	"testing"

	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/sqldb/pgtest"
)

// backends opens a fresh store on every engine.
func backends(t *testing.T) map[string]func(t *testing.T) *Store {
	open := func(t *testing.T, cfg config.Store) *Store {
		t.Helper()
		s, err := Open(context.Background(), cfg, nil)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	return map[string]func(t *testing.T) *Store{
		"sqlite": func(t *testing.T) *Store {
			return open(t, config.Store{DataDir: t.TempDir(), SQLiteSynchronous: "NORMAL"})
		},
		"postgres": func(t *testing.T) *Store {
			return open(t, config.Store{DatabaseURL: config.Secret(pgtest.NewDatabase(t)), SQLiteSynchronous: "NORMAL"})
		},
	}
}

func TestStoreKeepsCursorsRecordsAndMisses(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t)
			if v, err := s.Cursor(ctx, "delta:accounts"); err != nil || v != "" {
				t.Fatalf("unset cursor = %q, %v; want empty", v, err)
			}
			put := make([]Record, 0, 700)
			for i := range 700 {
				put = append(put, Record{EntitySet: "contacts", CRMID: string(rune('a'+i%26)) + "-" + strconv.Itoa(i), Fingerprint: "f" + strconv.Itoa(i)})
			}
			put = append(put, Record{EntitySet: "connections", CRMID: "c1", Fingerprint: "x", Facts: `{"role":"Champion"}`})
			if err := s.Apply(ctx, Commit{Cursors: map[string]string{"delta:accounts": "link1", "writeback": "7"}, Put: put}); err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if err := s.Apply(ctx, Commit{Cursors: map[string]string{"delta:accounts": "link2"},
				Put:    []Record{{EntitySet: "contacts", CRMID: put[0].CRMID, Fingerprint: "changed"}},
				Delete: []Key{{EntitySet: "contacts", CRMID: put[1].CRMID}}}); err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if v, _ := s.Cursor(ctx, "delta:accounts"); v != "link2" {
				t.Errorf("cursor = %q, want link2", v)
			}
			all, err := s.All(ctx, "contacts")
			if err != nil || len(all) != 699 {
				t.Fatalf("All = %d records, %v; want 699", len(all), err)
			}
			got, err := s.Records(ctx, "contacts", []string{put[0].CRMID, put[1].CRMID, put[2].CRMID, "nope"})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[put[0].CRMID].Fingerprint != "changed" || got[put[2].CRMID].Fingerprint != "f2" {
				t.Errorf("Records = %+v", got)
			}
			conn, _ := s.Records(ctx, "connections", []string{"c1"})
			if conn["c1"].Facts != `{"role":"Champion"}` {
				t.Errorf("facts = %q", conn["c1"].Facts)
			}
			if err := s.RecordMisses(ctx, []Miss{{EntitySet: "leads", CRMID: "l1", Status: 404, Message: "gone"}}); err != nil {
				t.Fatal(err)
			}
			if err := s.RecordMisses(ctx, []Miss{{EntitySet: "leads", CRMID: "l1", Status: 404, Message: "still gone"}}); err != nil {
				t.Fatal(err)
			}
			misses, err := s.Misses(ctx)
			if err != nil || len(misses) != 1 || misses[0].Message != "still gone" {
				t.Errorf("Misses = %+v, %v", misses, err)
			}
		})
	}
}
