package grpcserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"google.golang.org/grpc"

	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/mtls"
)

// Store is what a storage-backed internal service's store offers its hosting: persisted
// keys, and Close.
type Store interface {
	// Secret returns the named persisted key (see sqldb.DB.Secret).
	Secret(ctx context.Context, name string) ([]byte, error)
	io.Closer
}

// CheckHosting reports the settings that a storage-backed internal service cannot work
// with: its listen address (addrVar names its variable), its storage (with the service's
// own database URL applied) and its mutual TLS.
func CheckHosting(addrVar, addr string, st config.Store, tls mtls.Config) error {
	return errors.Join(config.CheckAddr(addrVar, addr), st.Validate(), tls.Validate(st.DataDir))
}

// Host builds a storage-backed internal service that listens on addr: it loads the mutual
// TLS credentials, opens and migrates the service's store with open, reads its persisted
// page-token key and builds the gRPC server, on which register registers the service's APIs
// with the store and the key. The store is closed with the service; on error nothing stays
// open.
func Host[S Store](ctx context.Context, name, addr string, tls mtls.Config, st config.Store, log *slog.Logger,
	open func(context.Context, config.Store, *slog.Logger) (S, error),
	register func(g *grpc.Server, store S, pageTokenKey []byte),
) (*Hosted, S, error) {
	var none S
	creds, err := mtls.Load(tls, st.DataDir, mtls.Server, log)
	if err != nil {
		return nil, none, err
	}
	store, err := open(ctx, st, log.With("service", name))
	if err != nil {
		return nil, none, fmt.Errorf("%s store: %w", name, err)
	}
	key, err := store.Secret(ctx, "page-token")
	if err != nil {
		store.Close()
		return nil, none, err
	}
	srv := NewInternal(name, log, creds.Transport())
	register(srv.GRPC, store, key)
	return &Hosted{Addr: addr, Server: srv, Owned: store}, store, nil
}
