package connector

import (
	"context"
	"errors"
)

// Check checks the connector's configuration against the Dynamics org (its metadata):
// the sync scope (see scope.go) and the field mapping (see mapping.go, CheckMapping). Every
// sync cycle calls it first, so a configuration that does not fit the org stops the
// connector at start with a message that names the setting (the CLI calls it before a sync
// or watch); once it passed, it is not repeated. A check that Dataverse or the orchestrator
// kept from being made returns an *UncheckedError.
func (c *Connector) Check(ctx context.Context) error {
	if err := c.checkScope(ctx); err != nil {
		return err
	}
	if c.mapped.Load() {
		return nil
	}
	if err := c.CheckMapping(ctx); err != nil {
		if me := (*MappingError)(nil); !errors.As(err, &me) {
			return &UncheckedError{What: "the field mapping (MSISYNC_DYNAMICS_MAPPING)", Err: err}
		}
		return err
	}
	c.mapped.Store(true)
	return nil
}
