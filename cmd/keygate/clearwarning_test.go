package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"maps"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/testenv"
	"github.com/keygate/keygate/store"
)

// The credentials of warningEnv, all flagged as possibly cloned: alice's
// first and second keys and bob's key.
var (
	aliceFirst  = []byte("alice-first-key")
	aliceSecond = []byte("alice-second-key")
	bobKey      = []byte("bob-key")
)

// warningEnv is a daemon configuration whose store holds flagged credentials.
type warningEnv struct {
	addr, cfgPath string
	storage       store.Config
}

func newWarningEnv(t *testing.T) warningEnv {
	t.Helper()
	addr, cfgPath := serveConfig(t)
	writeFile(t, filepath.Join(filepath.Dir(cfgPath), "users.yml"), "users:\n  alice: {display_name: Alice}\n  bob: {display_name: Bob}\n")
	cfg, err := loadConfig(cfgPath, io.Discard)
	if err != nil {
		t.Fatalf("loading the test config: %v", err)
	}
	env := warningEnv{addr: addr, cfgPath: cfgPath, storage: cfg.Storage}
	env.withStore(t, func(st *store.Store) {
		ctx := context.Background()
		for _, c := range []struct {
			user, description string
			id                []byte
		}{{"alice", "First", aliceFirst}, {"alice", "Second", aliceSecond}, {"bob", "Bob's", bobKey}} {
			cred := store.Credential{ID: c.id, Description: c.description, PublicKey: []byte("key"), UserPresent: true}
			if err := st.AddCredential(ctx, c.user, cred); err != nil {
				t.Fatal(err)
			}
			if err := st.MarkCloneWarning(ctx, c.user, c.id); err != nil {
				t.Fatal(err)
			}
		}
	})
	return env
}

// withStore opens the store (the daemon must be stopped) for fn.
func (e warningEnv) withStore(t *testing.T, fn func(*store.Store)) {
	t.Helper()
	st, err := store.Open(context.Background(), e.storage, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fn(st)
}

// serve starts the daemon and returns the function that stops it, which the
// test's cleanup calls too.
func (e warningEnv) serve(t *testing.T) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve", "--config", e.cfgPath}, nil, &out, &errOut) }()
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
	testenv.WaitTCP(t, e.addr, 10*time.Second)
	return stop
}

// keygate runs a command with the test config and returns its stdout.
func (e warningEnv) keygate(args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), append(args, "--config", e.cfgPath), nil, &stdout, &stderr)
	return stdout.String(), err
}

// listedWarnings runs `credentials list user` and returns the CLONE WARNING
// column by credential ID.
func (e warningEnv) listedWarnings(t *testing.T, user string) map[string]string {
	t.Helper()
	out, err := e.keygate("credentials", "list", user)
	if err != nil {
		t.Fatalf("credentials list %s: %v", user, err)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	col := strings.Index(lines[0], "CLONE WARNING")
	if col < 0 {
		t.Fatalf("credentials list %s has no CLONE WARNING column:\n%s", user, out)
	}
	got := map[string]string{}
	for _, row := range lines[1:] {
		id, _, _ := strings.Cut(row, " ")
		got[id], _, _ = strings.Cut(row[col:], " ")
	}
	return got
}

// storedWarnings reads each credential's clone flag from the store.
func (e warningEnv) storedWarnings(t *testing.T) map[string]bool {
	t.Helper()
	got := map[string]bool{}
	e.withStore(t, func(st *store.Store) {
		for _, user := range []string{"alice", "bob"} {
			creds, err := st.Credentials(context.Background(), user)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range creds {
				got[string(c.ID)] = c.CloneWarning
			}
		}
	})
	return got
}

func b64id(id []byte) string { return base64.RawURLEncoding.EncodeToString(id) }

// TestClearWarningCommand clears a clone warning with `keygate credentials
// clear-warning USER ID` through the running daemon's admin socket and, with
// the daemon stopped, on the database directly. Only the named credential of
// the named user is cleared; an ID that is unknown, another user's or not
// base64url is an error that clears nothing.
func TestClearWarningCommand(t *testing.T) {
	refused := []struct{ name, user, id, wantErr string }{
		{"unknown ID", "alice", b64id([]byte("no-such-key")), "not found"},
		{"another user's credential", "bob", b64id(aliceFirst), "not found"},
		{"unknown user", "carol", b64id(aliceFirst), "not found"},
		{"ID not base64url", "alice", "not*base64", "not base64url"},
	}
	for _, mode := range []struct {
		name    string
		running bool
	}{{"daemon running", true}, {"daemon stopped", false}} {
		t.Run(mode.name, func(t *testing.T) {
			env := newWarningEnv(t)
			stop := func() {}
			if mode.running {
				stop = env.serve(t)
			}
			for _, r := range refused {
				out, err := env.keygate("credentials", "clear-warning", r.user, r.id)
				if err == nil || !strings.Contains(err.Error(), r.wantErr) || out != "" {
					t.Errorf("clear-warning %s %s (%s): printed %q, error %v; want nothing printed and an error saying %q",
						r.user, r.id, r.name, out, err, r.wantErr)
				}
			}

			out, err := env.keygate("credentials", "clear-warning", "alice", b64id(aliceFirst))
			if err != nil {
				t.Fatalf("clear-warning alice %s: %v", b64id(aliceFirst), err)
			}
			if want := "cleared the clone warning of credential " + b64id(aliceFirst) + " of alice\n"; out != want {
				t.Errorf("clear-warning printed %q, want %q", out, want)
			}
			want := map[string]string{b64id(aliceFirst): "false", b64id(aliceSecond): "true"}
			if got := env.listedWarnings(t, "alice"); !maps.Equal(got, want) {
				t.Errorf("credentials list alice after clearing: clone warnings %v, want %v", got, want)
			}
			if got := env.listedWarnings(t, "bob"); got[b64id(bobKey)] != "true" {
				t.Errorf("credentials list bob: clone warnings %v, want bob's key still flagged", got)
			}

			stop()
			wantStored := map[string]bool{string(aliceFirst): false, string(aliceSecond): true, string(bobKey): true}
			if got := env.storedWarnings(t); !maps.Equal(got, wantStored) {
				t.Errorf("stored clone warnings %v, want %v", got, wantStored)
			}
		})
	}
}
