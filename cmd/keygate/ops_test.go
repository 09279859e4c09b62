package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keygate/keygate/directory"
	"github.com/keygate/keygate/internal/testenv"
)

// opsEnv is a daemon with metrics on and its sessions in a real redis-server
// that the test may stop and start.
type opsEnv struct {
	addr, metrics, config string
	redis                 *testenv.RedisProcess
}

// startOps writes the config, with alice's password "correct horse", and serves it.
func startOps(t *testing.T) opsEnv {
	t.Helper()
	dir := t.TempDir()
	e := opsEnv{
		addr:    fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t)),
		metrics: fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t)),
		config:  filepath.Join(dir, "keygate.yml"),
		redis:   testenv.RestartableRedis(t),
	}
	hash, err := directory.HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	users := filepath.Join(dir, "users.yml")
	writeFile(t, users, fmt.Sprintf("users:\n  alice:\n    display_name: Alice\n    password: %q\n", hash))
	writeFile(t, e.config, fmt.Sprintf(`server: {address: %q, metrics_address: %q}
storage: {path: %q}
users: {file: %q}
session: {domain: localhost, portal_url: "http://localhost:9091", redis: {address: %q}}
notifier: {file: %q}
access_control: {default_policy: one_factor}
`, e.addr, e.metrics, filepath.Join(dir, "data", "keygate.db"), users, e.redis.Addr, filepath.Join(dir, "notes.log")))
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve", "--config", e.config}, nil, &out, &errOut) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve ended with %v\n%s", err, errOut.String())
		}
		if t.Failed() {
			t.Logf("daemon log:\n%s", errOut.String())
		}
	})
	testenv.WaitTCP(t, e.addr, 10*time.Second)
	testenv.WaitTCP(t, e.metrics, 10*time.Second)
	return e
}

// scrape returns the value of the series named exactly by series, 0 when absent.
func (e opsEnv) scrape(t *testing.T, series string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + e.metrics + "/metrics")
	if err != nil {
		t.Fatalf("scraping: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile("(?m)^" + regexp.QuoteMeta(series) + ` (\S+)$`).FindSubmatch(body)
	if m == nil {
		return 0
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatalf("series %s: %v", series, err)
	}
	return v
}

// forwardAuth asks the forward-auth endpoint about a page of app.localhost as nginx would.
func (e opsEnv) forwardAuth(t *testing.T) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+e.addr+"/api/authz/forward-auth", nil)
	req.Header.Set("X-Forwarded-Method", "GET")
	req.Header.Set("X-Forwarded-Proto", "https")
	req.Header.Set("X-Forwarded-Host", "app.localhost")
	req.Header.Set("X-Forwarded-Uri", "/")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("forward-auth: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// ready returns the status and body of GET /api/ready.
func (e opsEnv) ready(t *testing.T) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + e.addr + "/api/ready")
	if err != nil {
		t.Fatalf("GET /api/ready: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(body))
}

// TestMetricsAndAuditRecordASignIn: a password sign-in moves the sign-in
// counter, a forward-auth question the authz counter and histogram, the
// active-session gauge counts the session, and `keygate audit --user alice
// --json` shows the sign-in with its method, result, address and browser.
func TestMetricsAndAuditRecordASignIn(t *testing.T) {
	e := startOps(t)
	signIns := `keygate_sign_ins_total{method="password",result="success"}`
	answers := `keygate_authz_answers_total{endpoint="forward-auth",result="authenticate",rule="default"}`
	// The first scrape comes after the sign-in: the active-session gauge
	// keeps a count for 30s.
	if status := e.forwardAuth(t); status != http.StatusUnauthorized && status != http.StatusFound {
		t.Fatalf("forward-auth without a session = %d, want 401 or 302", status)
	}
	c := newPortalClient(t, map[string]string{"localhost:9091": e.addr})
	status, body := c.do(t, http.MethodPost, "/api/login/password", map[string]any{"username": "alice", "password": "correct horse"})
	if status != http.StatusOK {
		t.Fatalf("password sign-in = %d %s, want 200", status, body)
	}
	if got := e.scrape(t, signIns); got != 1 {
		t.Errorf("got %v successful password sign-ins after one, want 1", got)
	}
	if got := e.scrape(t, answers); got != 1 {
		t.Errorf("got %v anonymous forward-auth answers after one, want 1", got)
	}
	if got := e.scrape(t, `keygate_authz_duration_seconds_count{endpoint="forward-auth"}`); got != 1 {
		t.Errorf("got %v forward-auth durations observed, want 1", got)
	}
	if got := e.scrape(t, "keygate_active_sessions"); got != 1 {
		t.Errorf("got %v active sessions, want 1", got)
	}

	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"audit", "--user", "alice", "--json", "--config", e.config}, nil, &stdout, &stderr); err != nil {
		t.Fatalf("keygate audit: %v\n%s", err, stderr.String())
	}
	var rows []auditRow
	if err := json.Unmarshal(stdout.Bytes(), &rows); err != nil {
		t.Fatalf("keygate audit --json printed %q: %v", stdout.String(), err)
	}
	found := false
	for _, r := range rows {
		if r.Action == "sign_in" && r.User == "alice" && r.Method == "password" && r.Result == "success" &&
			r.IP == "127.0.0.1" && strings.HasPrefix(r.UserAgent, "Go-http-client") {
			found = true
		}
	}
	if !found {
		t.Errorf("keygate audit --user alice --json = %s, want alice's password sign-in from 127.0.0.1 with its user agent", stdout.String())
	}
}

// TestReadinessFollowsRedis: /api/ready turns 503 naming the session store
// when redis-server stops and 200 when it is back, while /api/health stays
// 200 throughout; `keygate healthcheck --ready` follows readiness.
func TestReadinessFollowsRedis(t *testing.T) {
	e := startOps(t)
	if status, body := e.ready(t); status != http.StatusOK || body != `{"status":"ready"}` {
		t.Fatalf("ready with redis up = %d %s, want 200 ready", status, body)
	}
	if err := run(context.Background(), []string{"healthcheck", "--ready", "--config", e.config}, nil, io.Discard, io.Discard); err != nil {
		t.Errorf("healthcheck --ready with redis up: %v", err)
	}

	e.redis.Stop(t)
	if status, body := e.ready(t); status != http.StatusServiceUnavailable || body != `{"status":"unready","failed":["sessions"]}` {
		t.Errorf("ready with redis down = %d %s, want 503 naming sessions", status, body)
	}
	if err := run(context.Background(), []string{"healthcheck", "--ready", "--config", e.config}, nil, io.Discard, io.Discard); err == nil {
		t.Error("healthcheck --ready with redis down succeeded, want an error")
	}
	if err := run(context.Background(), []string{"healthcheck", "--config", e.config}, nil, io.Discard, io.Discard); err != nil {
		t.Errorf("healthcheck (liveness) with redis down: %v, want success", err)
	}

	e.redis.Start(t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, body := e.ready(t)
		if status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ready after redis came back = %d %s, want 200 within 10s", status, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestAdminCommandsRefuseWithoutDatabase: an admin command run where no
// daemon answers and no database exists fails, names the path it looked at,
// and creates nothing.
func TestAdminCommandsRefuseWithoutDatabase(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeFile(t, "users.yml", "users:\n  alice:\n    display_name: Alice\n")
	writeFile(t, "other.yml", `storage: {path: ./elsewhere/keygate.db}
users: {file: ./users.yml}
session: {domain: localhost, portal_url: "http://localhost:9091"}
notifier: {file: ./notes.log}
access_control: {default_policy: one_factor}
`)
	for _, args := range [][]string{
		{"invite", "alice", "--config", "other.yml"},
		{"credentials", "list", "alice", "--config", "other.yml"},
		{"audit", "--config", "other.yml"},
	} {
		t.Run(args[0], func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), args, nil, &stdout, &stderr)
			want := filepath.Join(dir, "elsewhere", "keygate.db")
			if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "no keygate daemon answers") {
				t.Errorf("got %v (stdout %q), want a refusal naming %s", err, stdout.String(), want)
			}
			if _, err := os.Stat(filepath.Join(dir, "elsewhere")); !os.IsNotExist(err) {
				t.Errorf("the command created %s: %v", filepath.Join(dir, "elsewhere"), err)
			}
		})
	}
}
