package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/testenv"
)

// daemon is a keygate process a fault test starts, signals and waits for itself.
type daemon struct {
	addr   string
	dir    string
	cmd    *exec.Cmd
	log    *bytes.Buffer
	exited chan struct{}
	err    error // exit status, set before exited closes
}

// writeDaemonConfig writes the users file and config of a daemon in dir.
func writeDaemonConfig(t *testing.T, dir, redisAddr string) (config, addr string) {
	t.Helper()
	writeFile(t, filepath.Join(dir, "users.yml"), usersFile(t, alice, bob))
	var extra string
	if redisAddr != "" {
		extra = fmt.Sprintf("  redis: {address: %q}\n", redisAddr)
	}
	addr = loopback(t)
	config = filepath.Join(dir, "keygate.yml")
	writeFile(t, config, fmt.Sprintf(keygateConfig, addr, dir, extra))
	return config, addr
}

// launch starts keygate serve on config without waiting for it.
func launch(t *testing.T, dir, config, addr string) *daemon {
	t.Helper()
	d := &daemon{addr: addr, dir: dir, log: &bytes.Buffer{}, exited: make(chan struct{})}
	d.cmd = exec.Command(keygateBuild.Binary(t), "serve", "--config", config)
	d.cmd.Dir = dir
	d.cmd.Stdout, d.cmd.Stderr = d.log, d.log
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("starting keygate: %v", err)
	}
	go func() { d.err = d.cmd.Wait(); close(d.exited) }()
	t.Cleanup(func() {
		_ = d.cmd.Process.Kill()
		<-d.exited
	})
	return d
}

// startDaemon launches keygate and waits until it answers /api/health.
func startDaemon(t *testing.T, dir, config, addr string) *daemon {
	t.Helper()
	d := launch(t, dir, config, addr)
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/api/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return d
			}
		}
		select {
		case <-d.exited:
			t.Fatalf("keygate exited before answering: %v\n%s", d.err, d.log)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("keygate on %s not healthy within 15 s\n%s", addr, d.log)
		}
	}
}

// wait returns the exit status within timeout, failing the test otherwise.
func (d *daemon) wait(t *testing.T, timeout time.Duration) error {
	t.Helper()
	select {
	case <-d.exited:
		return d.err
	case <-time.After(timeout):
		_ = d.cmd.Process.Signal(syscall.SIGQUIT)
		<-d.exited
		t.Fatalf("keygate still running %v after the signal\n%s", timeout, d.log)
		return nil
	}
}

// directLogin signs a in on the daemon itself, as a proxy would pass it, and
// returns the session cookie's value.
func directLogin(t *testing.T, addr string, a account) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"username": a.username, "password": a.password})
	status, header, err := postLogin(addr, body)
	if err != nil || status != http.StatusOK {
		t.Fatalf("signing in %s: status %d, %v", a.username, status, err)
	}
	for _, c := range (&http.Response{Header: header}).Cookies() {
		if c.Name == "keygate_session" {
			return c.Value
		}
	}
	t.Fatalf("signing in %s: no session cookie", a.username)
	return ""
}

// postLogin sends one password sign-in to the daemon at addr.
func postLogin(addr string, body []byte) (int, http.Header, error) {
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/api/login/password", bytes.NewReader(body))
	req.Host = "auth.example.com"
	req.Header.Set("Origin", portalURL)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-Proto", "https")
	resp, err := faultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header, nil
}

// faultClient never waits longer than any bound the tests check, several times over.
var faultClient = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// authCheck asks the daemon at addr whether the cookie may reach /private, as nginx's
// auth_request does, and returns the status (0 for a transport error).
func authCheck(addr, cookie string) (int, error) {
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/api/authz/auth-request", nil)
	req.Header.Set("X-Original-URL", appURL+"/private")
	req.Header.Set("X-Original-Method", "GET")
	req.AddCookie(&http.Cookie{Name: "keygate_session", Value: cookie})
	resp, err := faultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// wantRefusedAtStart starts keygate on dir's config and wants it to exit 1 at
// once with every want in its output, and the data file as it was.
func wantRefusedAtStart(t *testing.T, dir, config, addr string, want ...string) {
	t.Helper()
	db := filepath.Join(dir, "keygate.db")
	before, _ := os.ReadFile(db)
	d := launch(t, dir, config, addr)
	err := d.wait(t, 15*time.Second)
	out := d.log.String()
	if err == nil {
		t.Fatalf("keygate started, want it refused with %q\n%s", want, out)
	}
	if strings.Contains(out, "panic") || strings.Contains(out, "SIGSEGV") || strings.Contains(out, "goroutine ") {
		t.Errorf("keygate crashed instead of refusing:\n%s", out)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("keygate's output lacks %q:\n%s", w, out)
		}
	}
	after, _ := os.ReadFile(db)
	if !bytes.Equal(before, after) {
		t.Errorf("the refused start changed the data file: %d bytes before, %d after", len(before), len(after))
	}
	t.Logf("refused at start (%v): %s", err, strings.TrimSpace(lastLine(out)))
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

var _ = testenv.FreePort

func containsString(s, sub string) bool { return strings.Contains(s, sub) }

func replaceString(s, old, new string) string { return strings.Replace(s, old, new, 1) }
