package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// haproxyStartTimeout bounds how long a started HAProxy may take to listen.
const haproxyStartTimeout = 10 * time.Second

// HAProxy runs haproxy with config, the text of a whole configuration, and waits
// until every address in listen accepts connections. The configuration is checked
// with "haproxy -c" first, so that a mistake or a warning fails the test with
// HAProxy's own words. HAProxy then runs in the foreground ("haproxy -db") in a
// temporary directory that keeps its standard output and error (its log, when the
// configuration logs to stdout). It is stopped by its PID when the test ends, and
// its output is shown if the test failed.
func HAProxy(t testing.TB, config string, listen ...string) {
	t.Helper()
	bin := Require(t, "haproxy", "haproxy")
	dir := t.TempDir()
	conf := filepath.Join(dir, "haproxy.cfg")
	writeFile(t, conf, config)
	args := []string{"-f", conf}

	// -dW: a warning fails the check, so the configurations stay clean.
	if out, err := exec.Command(bin, append([]string{"-c", "-dW"}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("testenv: haproxy -c: %v\n%s", err, tail(out))
	}
	logFile := filepath.Join(dir, "haproxy.log")
	out, err := os.Create(logFile)
	if err != nil {
		t.Fatalf("testenv: creating haproxy log: %v", err)
	}
	defer out.Close()
	cmd := exec.Command(bin, append([]string{"-db"}, args...)...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = out, out
	Start(t, cmd)
	t.Cleanup(func() {
		if t.Failed() {
			text, _ := os.ReadFile(logFile)
			t.Logf("haproxy log (tail):\n%s", tail(text))
		}
	})
	for _, addr := range listen {
		if !waitListening(addr, haproxyStartTimeout) {
			text, _ := os.ReadFile(logFile)
			t.Fatalf("testenv: haproxy not listening on %s after %v\n%s", addr, haproxyStartTimeout, tail(text))
		}
	}
}
