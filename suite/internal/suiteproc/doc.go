// Package suiteproc holds what the suite's measuring commands (msisync-bench, msisync-load)
// share: starting the all-in-one suite binary on free loopback ports over a data directory
// and stopping it (process.go), a REST client of its gateway with a bearer token, JSON
// calls and Marketo's POST …?_method=GET form queries (client.go, marketo.go), generated
// CRM data (data.go), flags with environment defaults (flags.go) and latency percentiles
// (latency.go).
package suiteproc
