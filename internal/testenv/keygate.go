package testenv

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// keygateStartTimeout bounds how long a started keygate may take to answer /api/health.
const keygateStartTimeout = 15 * time.Second

// KeygateBuild builds the keygate command once for all the tests of a test binary
// that ask for it. The zero value is ready to use; Remove deletes the binary, and is
// meant for TestMain after m.Run.
type KeygateBuild struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// Binary returns the path of a keygate binary built with "go build ./cmd/keygate"
// at the root of the module that holds the working directory. The first call
// builds it; a failed build fails this test and every later one that asks.
func (b *KeygateBuild) Binary(t testing.TB) string {
	t.Helper()
	b.once.Do(b.build)
	if b.err != nil {
		t.Fatalf("testenv: %v", b.err)
	}
	return b.path
}

func (b *KeygateBuild) build() {
	root, err := moduleRoot()
	if err != nil {
		b.err = err
		return
	}
	if b.dir, err = os.MkdirTemp("", "keygate-build-"); err != nil {
		b.err = fmt.Errorf("creating build directory: %w", err)
		return
	}
	path := filepath.Join(b.dir, "keygate")
	cmd := exec.Command("go", "build", "-o", path, "./cmd/keygate")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		b.err = fmt.Errorf("go build ./cmd/keygate in %s: %w\n%s", root, err, tail(out))
		return
	}
	b.path = path
}

// Remove deletes the built binary, if any.
func (b *KeygateBuild) Remove() {
	if b.dir != "" {
		_ = os.RemoveAll(b.dir)
	}
}

// moduleRoot is the directory of the go.mod that governs the working directory.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("the working directory is in no Go module")
	}
	return filepath.Dir(gomod), nil
}

// Keygate is a keygate daemon started by StartKeygate.
type Keygate struct {
	// Addr is the host:port the daemon listens on.
	Addr string

	cmd      *exec.Cmd
	logFile  string
	exited   chan struct{} // closed when the process has exited
	waitErr  error         // its exit status, set before exited closes
	stopOnce sync.Once
}

// StartKeygate runs "bin serve --config config", where the config file makes the
// daemon listen on addr, and waits until GET /api/health answers 200. Its output
// goes to a file whose tail is logged if the test fails. The daemon is stopped
// when the test ends, or earlier by Stop.
func StartKeygate(t testing.TB, bin, config, addr string) *Keygate {
	t.Helper()
	logFile := filepath.Join(t.TempDir(), "keygate.log")
	out, err := os.Create(logFile)
	if err != nil {
		t.Fatalf("testenv: creating keygate log: %v", err)
	}
	defer out.Close()
	cmd := exec.Command(bin, "serve", "--config", config)
	cmd.Dir = filepath.Dir(config)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("testenv: starting keygate: %v", err)
	}
	k := &Keygate{Addr: addr, cmd: cmd, logFile: logFile, exited: make(chan struct{})}
	go func() { k.waitErr = cmd.Wait(); close(k.exited) }()
	t.Cleanup(func() {
		k.Stop(t)
		if t.Failed() {
			t.Logf("keygate log (tail):\n%s", k.Log())
		}
	})
	if err := waitHealthy("http://"+addr+"/api/health", keygateStartTimeout, k.exited); err != nil {
		t.Fatalf("testenv: keygate on %s: %v\n%s", addr, err, k.Log())
	}
	return k
}

// Stop ends the daemon with SIGINT, waits for it to exit (killing it after 5 s) and
// fails the test if it exited with an error. Calling it again does nothing.
func (k *Keygate) Stop(t testing.TB) {
	t.Helper()
	k.stopOnce.Do(func() {
		_ = k.cmd.Process.Signal(os.Interrupt)
		select {
		case <-k.exited:
			if k.waitErr != nil {
				t.Errorf("testenv: keygate exited with %v", k.waitErr)
			}
		case <-time.After(5 * time.Second):
			// SIGQUIT makes the Go runtime write every goroutine's stack to the
			// log before it exits: what held the shutdown up.
			_ = k.cmd.Process.Signal(syscall.SIGQUIT)
			select {
			case <-k.exited:
			case <-time.After(2 * time.Second):
				_ = k.cmd.Process.Kill()
				<-k.exited
			}
			out, _ := os.ReadFile(k.logFile)
			if i := bytes.Index(out, []byte("SIGQUIT")); i >= 0 {
				out = out[i:min(len(out), i+32<<10)]
			}
			t.Errorf("testenv: keygate did not stop within 5s of SIGINT; its goroutines then:\n%s", out)
		}
	})
}

// Log returns the tail of what the daemon has written so far.
func (k *Keygate) Log() string {
	out, _ := os.ReadFile(k.logFile)
	return tail(out)
}

// waitHealthy polls url until it answers 200, timeout passes or exited closes.
func waitHealthy(url string, timeout time.Duration, exited <-chan struct{}) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("GET %s: no 200 within %v: %w", url, timeout, err)
		}
		select {
		case <-exited:
			return fmt.Errorf("exited before answering %s", url)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
