package runner

import "fmt"

// usage is the --help text of a binary named name: what it runs and where its settings are.
func usage(name string) string {
	what := "the msisync " + name + " service"
	extra := ""
	if name == "msisync" {
		what = "the whole msisync suite in one process (the six services on their gRPC\nports and the REST gateway)"
		extra = "       msisync dynamics --help    (the Dynamics 365 connector's commands)\n" +
			"       msisync marketo --help     (the preflight check of your Marketo instance)\n" +
			"       msisync certs -help        (writes the internal services' development certificates)\n"
	}
	return fmt.Sprintf(`usage: %[1]s [--help | --version]
%[3]s
Runs %[2]s until SIGINT or SIGTERM.

It takes no arguments: every setting is an MSISYNC_* environment variable, listed in the
README's sections on configuration (for example MSISYNC_DATA_DIR, MSISYNC_DATABASE_URL,
MSISYNC_LOG_LEVEL and the MSISYNC_*_ADDR of each service). Start-up errors name the
variable or path to fix.
`, name, what, extra)
}
