package sqlstore

import (
	"context"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/sqldb/pgtest"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// BenchmarkUpstreamAck measures what the forwarder's ack of one full Marketo call costs the
// store: 300 leads delivered, each with two parents, in one AckOutbox. Run it with
//
//	go test -run '^$' -bench UpstreamAck ./services/orchestrator/internal/store/sqlstore/
func BenchmarkUpstreamAck(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			cfg := config.Store{DataDir: b.TempDir(), SQLiteSynchronous: "NORMAL"}
			if engine == "postgres" {
				cfg.DatabaseURL = config.Secret(pgtest.NewDatabase(b))
			}
			s, err := Open(context.Background(), cfg, slog.New(slog.DiscardHandler))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			now := time.Now()
			keys := make([]store.UpstreamKey, 300)
			for i := range keys {
				keys[i] = store.UpstreamKey{Object: store.UpstreamLead, LocalID: strconv.Itoa(i + 1)}
			}
			parents := []store.UpstreamRef{{Object: store.UpstreamCompany, Key: "acme"}, {Object: store.UpstreamSalesPerson, Key: "owner"}}
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				if err := s.EndUpstreamWrite(ctx, 0, keys, now); err != nil {
					b.Fatal(err)
				}
				rows, err := s.ClaimOutbox(ctx, store.UpstreamLead, now, time.Minute, 300)
				if err != nil || len(rows) != 300 {
					b.Fatalf("claimed %d rows, %v", len(rows), err)
				}
				acks := make([]store.OutboxAck, len(rows))
				for i, r := range rows {
					acks[i] = store.OutboxAck{Row: r, Done: true, Deliver: &store.Delivered{
						ExternalKey: "p" + r.Key.LocalID, MarketoID: int64(1000 + i), SentHash: []byte{1, 2, 3}, Parents: parents, Status: "updated",
					}}
				}
				b.StartTimer()
				if err := s.AckOutbox(ctx, acks, now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
