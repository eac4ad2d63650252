package orchestrator

import "github.com/msisync/msisync/services/orchestrator/internal/insight"

// Effective returns the configuration as the orchestrator applies it: defaults that depend
// on code rather than on an envDefault tag filled in (the writeback columns), for the
// effective-configuration log.
func (c Config) Effective() Config {
	if len(c.WritebackColumns) == 0 {
		c.WritebackColumns = insight.DefaultColumns
	}
	return c
}
