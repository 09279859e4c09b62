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
