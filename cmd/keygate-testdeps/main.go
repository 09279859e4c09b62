// Command keygate-testdeps installs, in one apt-get run, the Debian packages
// whose programs Keygate's tests start (redis-server, nginx, Caddy, HAProxy,
// Chromium) when any of them is missing. `task test` runs it before the
// tests, so that test binaries running side by side never race to install.
// It exits 1 when a program is still missing afterwards.
package main

import (
	"fmt"
	"os"

	"github.com/keygate/keygate/internal/testenv"
)

func main() {
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	if err := testenv.InstallMissing(testenv.Programs, logf); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
