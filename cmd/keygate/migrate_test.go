package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/keygate/keygate/internal/testenv"
	"github.com/keygate/keygate/store"
)

// TestGrowFromOneNodeToPostgres is the path from one node to several: a
// passkey enrolled on the bbolt file, a live backup through the admin socket,
// the file copied into PostgreSQL, a daemon on PostgreSQL (sessions on Redis)
// signing the same passkey in, and the copy back into a new bbolt file.
func TestGrowFromOneNodeToPostgres(t *testing.T) {
	pg := testenv.StartPostgres(t)
	redis := testenv.Redis(t)
	boltAddr, boltCfg := storageConfig(t, fmt.Sprintf("{path: %q}", filepath.Join(t.TempDir(), "data", "keygate.db")), "")
	pgAddr, pgCfg := storageConfig(t, postgresStorage(t, pg), fmt.Sprintf(", redis: {address: %q}", redis))
	device := newPasskeyDevice()

	stopBolt := startDaemon(t, boltAddr, boltCfg)
	enroll(t, boltAddr, boltCfg, device)
	signIn(t, boltAddr, device)
	backupFile := filepath.Join(t.TempDir(), "backup.db")
	if out := runCommand(t, "backup", backupFile, "--config", boltCfg); !strings.Contains(out, "wrote "+backupFile) {
		t.Errorf("backup printed %q", out)
	}
	stopBolt()
	want := exportOf(t, boltCfg)
	if diff := cmp.Diff(want, exportOf(t, backupConfig(t, backupFile))); diff != "" {
		t.Errorf("the live backup differs from the file (-file +backup):\n%s", diff)
	}

	out := runCommand(t, "migrate-storage", "--from", boltCfg, "--to", pgCfg)
	counts := fmt.Sprintf("1 users with credentials, 1 credentials, 1 user handles, 0 invites, %d audit events, 0 API tokens", len(want.Audit))
	for _, line := range []string{"source (bbolt): " + counts, "target (postgres): " + counts} {
		if !strings.Contains(out, line) {
			t.Errorf("migrate-storage printed:\n%s\nwant a line %q", out, line)
		}
	}
	var errOut syncBuffer
	err := run(context.Background(), []string{"migrate-storage", "--from", boltCfg, "--to", pgCfg}, nil, &errOut, &errOut)
	if !errors.Is(err, store.ErrNotEmpty) || !strings.Contains(err.Error(), "--replace") {
		t.Errorf("a second copy into the same database: got %v, want ErrNotEmpty naming --replace", err)
	}

	startDaemon(t, pgAddr, pgCfg)
	signIn(t, pgAddr, device)
	if got := pg.Exec(t, pgDatabase(t, pgCfg), "SELECT user_name || ':' || sign_count FROM credentials"); got != "alice:2" {
		t.Errorf("the credential in PostgreSQL after a sign-in there: %q, want alice:2", got)
	}

	_, backCfg := storageConfig(t, fmt.Sprintf("{path: %q}", filepath.Join(t.TempDir(), "back.db")), "")
	out = runCommand(t, "migrate-storage", "--from", pgCfg, "--to", backCfg)
	if !sameCounts(out, "source (postgres): ", "target (bbolt): ") || !strings.Contains(out, "target (bbolt): 1 users with credentials, 1 credentials, 1 user handles, 0 invites, ") {
		t.Errorf("migrate-storage back printed:\n%s", out)
	}
	if c := exportOf(t, backCfg).Credentials["alice"]; len(c) != 1 || c[0].SignCount != 2 {
		t.Errorf("alice's credentials copied back: %+v, want one with counter 2", c)
	}
}

// sameCounts reports whether migrate-storage's output has a source and a
// target line with the same counts.
func sameCounts(out, source, target string) bool {
	var from, to string
	for _, line := range strings.Split(out, "\n") {
		if c, ok := strings.CutPrefix(line, source); ok {
			from = c
		}
		if c, ok := strings.CutPrefix(line, target); ok {
			to = c
		}
	}
	return from != "" && from == to
}

// backupConfig writes a config whose storage is the bbolt file at path.
func backupConfig(t *testing.T, path string) string {
	t.Helper()
	_, cfg := storageConfig(t, fmt.Sprintf("{path: %q}", path), "")
	return cfg
}

// pgDatabase is the database named in cfg.
func pgDatabase(t *testing.T, cfg string) string {
	t.Helper()
	c, err := loadConfig(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c.Storage.Postgres.Database
}
