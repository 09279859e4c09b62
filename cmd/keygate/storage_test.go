package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/testenv"
	"github.com/keygate/keygate/store"
)

// newPasskeyDevice is a passkey for the embedded default's relying party.
func newPasskeyDevice() *testenv.Passkey { return testenv.NewPasskey("localhost", embeddedPortal) }

// mustAttest answers registration options with d, failing the test on error.
func mustAttest(t *testing.T, d *testenv.Passkey, options []byte) json.RawMessage {
	t.Helper()
	cred, err := d.Attest(options)
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

// mustAssert answers sign-in options with d, failing the test on error.
func mustAssert(t *testing.T, d *testenv.Passkey, options []byte) json.RawMessage {
	t.Helper()
	cred, err := d.Assert(options)
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

// storageConfig writes a daemon config whose storage section is storage and
// whose session section adds extra (e.g. a Redis address), in its own directory.
func storageConfig(t *testing.T, storage, sessionExtra string) (addr, file string) {
	t.Helper()
	dir := t.TempDir()
	addr = fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	file = filepath.Join(dir, "keygate.yml")
	writeFile(t, filepath.Join(dir, "users.yml"), "users:\n  alice: {display_name: Alice}\n")
	writeFile(t, file, fmt.Sprintf(`server: {address: %q}
storage: %s
users: {file: %q}
session: {domain: localhost, portal_url: "http://localhost:9091"%s}
notifier: {file: %q}
access_control: {default_policy: one_factor}
`, addr, storage, filepath.Join(dir, "users.yml"), sessionExtra, filepath.Join(dir, "notes.log")))
	return addr, file
}

// postgresStorage is a storage section for a fresh database of pg, its
// password in a file.
func postgresStorage(t *testing.T, pg *testenv.Postgres) string {
	t.Helper()
	pwfile := filepath.Join(t.TempDir(), "pg.secret")
	writeFile(t, pwfile, pg.Password+"\n")
	return fmt.Sprintf(`{postgres: {address: %q, database: %q, username: %q, password_file: %q}}`,
		pg.Addr, pg.NewDatabase(t), pg.User, pwfile)
}

// startDaemon runs `keygate serve` on cfg until the returned stop is called
// (or the test ends).
func startDaemon(t *testing.T, addr, cfg string) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve", "--config", cfg}, nil, &out, &errOut) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve ended with %v\n%s", err, errOut.String())
			}
		})
	}
	t.Cleanup(stop)
	waitTCPOrExit(t, addr, done, &errOut)
	return stop
}

// waitTCPOrExit waits for the daemon to listen, failing early when it exits.
func waitTCPOrExit(t *testing.T, addr string, done chan error, errOut *syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			done <- err
			t.Fatalf("serve ended before listening: %v\n%s", err, errOut.String())
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("daemon not listening on %s\n%s", addr, errOut.String())
}

// runCommand runs a keygate command and returns its stdout, failing on an error.
func runCommand(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut syncBuffer
	if err := run(context.Background(), args, nil, &out, &errOut); err != nil {
		t.Fatalf("keygate %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.String()
}

// enroll redeems an invite for alice with d through the daemon at addr.
func enroll(t *testing.T, addr, cfg string, d *testenv.Passkey) {
	t.Helper()
	link := regexp.MustCompile(`http://\S+/enroll\?token=\S+`).FindString(runCommand(t, "invite", "alice", "--config", cfg))
	u, err := url.Parse(link)
	if err != nil || link == "" {
		t.Fatalf("no enrollment link (%v)", err)
	}
	token := u.Query().Get("token")
	c := newPortalClient(t, map[string]string{"localhost:9091": addr})
	status, opts := c.do(t, http.MethodPost, "/api/enroll/options", map[string]any{"token": token, "description": "Laptop"})
	if status != http.StatusOK {
		t.Fatalf("enroll options = %d %s", status, opts)
	}
	if status, body := c.do(t, http.MethodPost, "/api/enroll", map[string]any{"token": token, "credential": mustAttest(t, d, opts)}); status != http.StatusOK {
		t.Fatalf("enroll = %d %s", status, body)
	}
}

// signIn signs in with d's passkey through the daemon at addr, in a fresh
// browser, and checks the portal then reports alice signed in.
func signIn(t *testing.T, addr string, d *testenv.Passkey) {
	t.Helper()
	c := newPortalClient(t, map[string]string{"localhost:9091": addr})
	status, opts := c.do(t, http.MethodPost, "/api/login/passkey/options", map[string]any{})
	if status != http.StatusOK {
		t.Fatalf("passkey options = %d %s", status, opts)
	}
	if status, body := c.do(t, http.MethodPost, "/api/login/passkey", map[string]any{"credential": mustAssert(t, d, opts)}); status != http.StatusOK {
		t.Fatalf("passkey sign-in = %d %s", status, body)
	}
	_, body := c.do(t, http.MethodGet, "/api/session", nil)
	var s struct {
		Authenticated bool
		Username      string
	}
	if err := json.Unmarshal(body, &s); err != nil || !s.Authenticated || s.Username != "alice" {
		t.Errorf("session after the passkey sign-in: %s (%v), want alice signed in", body, err)
	}
}

// exportOf reads everything the store of cfg holds (no daemon may hold a bbolt file).
func exportOf(t *testing.T, cfg string) store.Snapshot {
	t.Helper()
	c, err := loadConfig(cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), c.Storage, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	snap, err := st.Export(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return snap
}
