// Command dynamics is the Dynamics 365 connector on its own, for running it apart from the
// suite (a container of its own, say): `dynamics sync --once|--watch`, `dynamics check`.
// It is the same command line as `msisync dynamics …`; see `dynamics --help` and the README.
package main

import (
	"os"

	"github.com/msisync/msisync/connectors/dynamics/cli"
)

func main() { os.Exit(cli.Main("dynamics", os.Args[1:])) }
