// Package e2e runs Keygate, built from this module, behind real nginx and real
// Caddy that load the configurations in deploy/ as they are (only addresses and a
// throwaway certificate change), in front of a small upstream that echoes the
// headers it receives. Every check is plain HTTP from a client that resolves every
// host name to the proxy under test.
package e2e

import (
	"os"
	"testing"

	"github.com/keygate/keygate/internal/testenv"
)

// keygateBuild is the keygate binary, built once for every test of this package.
var keygateBuild testenv.KeygateBuild

func TestMain(m *testing.M) {
	code := m.Run()
	keygateBuild.Remove()
	os.Exit(code)
}
