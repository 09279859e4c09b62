package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/testenv"
	"github.com/keygate/keygate/session"
)

// keygateCmd runs one command line of keygate and returns its stdout.
func keygateCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, nil, &stdout, &stderr)
	if err != nil {
		err = fmt.Errorf("%w\n%s", err, stderr.String())
	}
	return stdout.String(), err
}

// listed runs `sessions list [user] --json` and decodes its output.
func listed(t *testing.T, cfg string, user ...string) []session.Info {
	t.Helper()
	out, err := keygateCmd(t, append(append([]string{"sessions", "list"}, user...), "--json", "--config", cfg)...)
	if err != nil {
		t.Fatalf("sessions list: %v", err)
	}
	var rows []session.Info
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("sessions list --json printed %q: %v", out, err)
	}
	return rows
}

// TestSessionsCommands lists and ends sessions through a running daemon, then
// lists them on the stopped daemon's file.
func TestSessionsCommands(t *testing.T) {
	addr, cfg := serveConfig(t)
	writeFile(t, filepath.Join(filepath.Dir(cfg), "users.yml"), fmt.Sprintf(
		"users:\n  admin: {groups: [admins]}\n  bob: {password: %q}\n  carol: {password: %q}\n",
		cheapHash(t, "bob-pw"), cheapHash(t, "carol-pw")))
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve", "--config", cfg}, nil, &out, &errOut) }()
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve ended with %v\n%s", err, errOut.String())
		}
	}
	testenv.WaitTCP(t, addr, 10*time.Second)

	first := signInPassword(t, addr, "bob", "bob-pw")
	second := signInPassword(t, addr, "bob", "bob-pw")
	carol := signInPassword(t, addr, "carol", "carol-pw")
	rows := listed(t, cfg, "bob")
	if len(rows) != 2 {
		t.Fatalf("sessions list bob = %d rows, want 2", len(rows))
	}
	for _, r := range rows {
		if r.Username != "bob" || r.IP != "127.0.0.1" || !strings.HasPrefix(r.UserAgent, "Go-http-client") ||
			r.Level != "one_factor" || len(r.Factors) != 1 || r.Factors[0] != "password" || r.CreatedAt.IsZero() {
			t.Errorf("listed session = %+v, want bob's from 127.0.0.1 by Go-http-client, one_factor, [password]", r)
		}
	}
	if all := listed(t, cfg); len(all) != 3 {
		t.Errorf("sessions list (everyone) = %d rows, want 3", len(all))
	}

	firstHash := hashOf(t, first.Value)
	if _, err := keygateCmd(t, "sessions", "revoke", "bob", "--id", firstHash[:12], "--config", cfg); err != nil {
		t.Fatalf("sessions revoke bob --id: %v", err)
	}
	if got := forwardAuth(t, addr, first); got == http.StatusOK {
		t.Errorf("forward-auth with the revoked session = %d, want it refused", got)
	}
	if got := forwardAuth(t, addr, second); got != http.StatusOK {
		t.Errorf("forward-auth with bob's other session = %d, want 200", got)
	}
	if _, err := keygateCmd(t, "credentials", "reset", "bob", "--config", cfg); err != nil {
		t.Fatalf("credentials reset bob: %v", err)
	}
	if got := forwardAuth(t, addr, second); got == http.StatusOK {
		t.Errorf("forward-auth with bob's session after credentials reset = %d, want it refused", got)
	}
	if got := forwardAuth(t, addr, carol); got != http.StatusOK {
		t.Errorf("forward-auth with carol's session = %d, want 200", got)
	}
	stop()

	if rows := listed(t, cfg, "carol"); len(rows) != 1 {
		t.Errorf("sessions list carol on the stopped daemon's file = %d rows, want 1", len(rows))
	}
	if out, err := keygateCmd(t, "sessions", "revoke", "--all", "--config", cfg); err != nil || !strings.Contains(out, "ended 1 session") {
		t.Errorf("sessions revoke --all = %q, %v; want 1 ended", out, err)
	}
	if rows := listed(t, cfg); len(rows) != 0 {
		t.Errorf("sessions after revoke --all = %d, want 0", len(rows))
	}
}

// hashOf is the handle `sessions list` shows for the session ID id: the hex
// SHA-256 of the ID's 32 bytes.
func hashOf(t *testing.T, id string) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil {
		t.Fatalf("session ID %q: %v", id, err)
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// TestSessionsRefuseWithoutData refuses, and creates nothing, when neither a
// daemon nor the data file is there.
func TestSessionsRefuseWithoutData(t *testing.T) {
	_, cfg := serveConfig(t)
	data := filepath.Join(filepath.Dir(cfg), "data")
	for _, args := range [][]string{
		{"sessions", "list"},
		{"sessions", "revoke", "bob"},
		{"credentials", "list", "bob"},
	} {
		_, err := keygateCmd(t, append(args, "--config", cfg)...)
		if !errors.Is(err, errNoDaemon) {
			t.Errorf("%s without daemon or data: got %v, want errNoDaemon", strings.Join(args, " "), err)
		}
	}
	if _, err := os.Stat(data); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused commands created %s (%v)", data, err)
	}
}

func TestSessionsUsage(t *testing.T) {
	for _, args := range [][]string{
		{"sessions"},
		{"sessions", "revoke"},
		{"sessions", "revoke", "bob", "--all"},
		{"sessions", "revoke", "--all", "--id", "abcdef12"},
		{"sessions", "list", "--all"},
		{"sessions", "list", "bob", "carol"},
		{"sessions", "drop", "bob"},
	} {
		if _, err := keygateCmd(t, args...); !errors.Is(err, errUsage) {
			t.Errorf("%q: got %v, want errUsage", args, err)
		}
	}
}
