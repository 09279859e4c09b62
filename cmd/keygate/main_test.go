package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keygate/keygate/directory"
	"github.com/keygate/keygate/internal/testenv"
)

func TestCheckConfigReportsEveryMistake(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"check-config", "--config", "../../config/testdata/invalid.yml"}, nil, &stdout, &stderr)
	if !errors.Is(err, errReported) {
		t.Fatalf("check-config on a bad file: got error %v, want errReported (exit 1)", err)
	}
	for _, want := range []string{
		`server.trusted_proxies[1]: "10.0.0.0/33"`,
		`session.expiration: "12x" is not a duration`,
		`session.remeber_me: unknown key`,
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("check-config output lacks %q; got:\n%s", want, stderr.String())
		}
	}
	if stdout.Len() != 0 {
		t.Errorf("check-config printed %q on stdout for a bad file, want nothing", stdout.String())
	}
}

func TestCheckConfigEmbeddedDefault(t *testing.T) {
	t.Chdir(t.TempDir())
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"check-config"}, nil, &stdout, &stderr); err != nil {
		t.Fatalf("check-config on the embedded default: %v\n%s", err, stderr.String())
	}
	if got := stdout.String(); !strings.Contains(got, "configuration OK") {
		t.Errorf("check-config said %q, want it to report OK", got)
	}
	if entries, _ := os.ReadDir("."); len(entries) != 0 {
		t.Errorf("check-config created %d files, want none (validation has no side effects)", len(entries))
	}
}

func TestHashPasswordFromStdin(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"hash-password"}, strings.NewReader("correct horse\n"), &stdout, &stderr); err != nil {
		t.Fatalf("hash-password: %v", err)
	}
	hash := strings.TrimSpace(stdout.String())
	if !strings.HasPrefix(hash, "$argon2id$v=19$") {
		t.Fatalf("hash-password printed %q, want an argon2id PHC string", hash)
	}
	users := filepath.Join(t.TempDir(), "users.yml")
	body := fmt.Sprintf("users:\n  alice:\n    password: %q\n", hash)
	if err := os.WriteFile(users, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := directory.New(directory.Config{File: users}, nil)
	if err != nil {
		t.Fatalf("loading a users file with the printed hash: %v", err)
	}
	if _, err := d.Authenticate(context.Background(), "alice", "correct horse"); err != nil {
		t.Errorf("the printed hash does not verify its password: %v", err)
	}
	if _, err := d.Authenticate(context.Background(), "alice", "correct horse "); err == nil {
		t.Error("the printed hash verifies a different password")
	}
}

func TestHashPasswordRefusesEmpty(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"hash-password"}, strings.NewReader("\n"), &stdout, &stderr); err == nil {
		t.Fatalf("hash-password of an empty line succeeded, printing %q", stdout.String())
	}
}

func TestUnknownCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"frobnicate"}, nil, &stdout, &stderr); !errors.Is(err, errUsage) {
		t.Errorf("unknown command: got %v, want errUsage", err)
	}
}

// TestAdminCommandsWhileServing runs the daemon and uses invite and credentials
// through its admin socket: bbolt allows one process, so this is the path an
// operator takes on a live system.
func TestAdminCommandsWhileServing(t *testing.T) {
	addr, cfg := serveConfig(t)

	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve", "--config", cfg}, nil, &out, &errOut) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve ended with %v\n%s", err, errOut.String())
		}
	})
	testenv.WaitTCP(t, addr, 10*time.Second)
	if !strings.Contains(out.String(), "/enroll?token=") {
		t.Errorf("first start printed no enrollment link for admin; stdout:\n%s", out.String())
	}

	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"invite", "admin", "--config", cfg}, nil, &stdout, &stderr); err != nil {
		t.Fatalf("invite while serving: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	link := lines[len(lines)-1]
	if !strings.HasPrefix(link, "http://localhost:9091/enroll?token=") {
		t.Errorf("invite's last line = %q, want the enrollment URL", link)
	}

	stdout.Reset()
	if err := run(context.Background(), []string{"invite", "nobody", "--config", cfg}, nil, &stdout, &stderr); err == nil {
		t.Errorf("invite for a user absent from the users file succeeded: %q", stdout.String())
	}

	stdout.Reset()
	if err := run(context.Background(), []string{"credentials", "list", "admin", "--config", cfg}, nil, &stdout, &stderr); err != nil {
		t.Fatalf("credentials list while serving: %v\n%s", err, stderr.String())
	}
	if got := strings.Count(strings.TrimSpace(stdout.String()), "\n"); got != 0 {
		t.Errorf("credentials list for a new admin printed %d rows, want the header only:\n%s", got, stdout.String())
	}
	resp, err := http.Get("http://" + addr + "/api/health")
	if err != nil {
		t.Fatalf("health while serving: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /api/health = %d, want 200", resp.StatusCode)
	}
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// serveConfig writes a config for a daemon on a free loopback port with its
// data in a temporary directory, and returns the address and the file.
func serveConfig(t *testing.T) (addr, file string) {
	t.Helper()
	dir := t.TempDir()
	addr = fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	file = filepath.Join(dir, "keygate.yml")
	writeFile(t, file, fmt.Sprintf(`server: {address: %q}
storage: {path: %q}
users: {file: %q}
session: {domain: localhost, portal_url: "http://localhost:9091"}
notifier: {file: %q}
access_control: {default_policy: one_factor}
`, addr, filepath.Join(dir, "data", "keygate.db"), filepath.Join(dir, "users.yml"), filepath.Join(dir, "notes.log")))
	return addr, file
}
