package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/keygate/keygate/internal/testenv"
)

// TestBackupWithoutDaemon copies the file directly when no daemon runs, and
// refuses to overwrite a file.
func TestBackupWithoutDaemon(t *testing.T) {
	env := newWarningEnv(t) // a stopped daemon's file holding three credentials
	want := exportOf(t, env.cfgPath)
	target := filepath.Join(t.TempDir(), "copy.db")
	runCommand(t, "backup", target, "--config", env.cfgPath)
	fi, err := os.Stat(target)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v, want 0600", fi.Mode().Perm())
	}
	if diff := cmp.Diff(want, exportOf(t, backupConfig(t, target))); diff != "" {
		t.Errorf("backup differs (-file +backup):\n%s", diff)
	}
	err = run(context.Background(), []string{"backup", target, "--config", env.cfgPath}, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("backup onto an existing file: got %v, want a refusal", err)
	}
	if diff := cmp.Diff(want, exportOf(t, backupConfig(t, target))); diff != "" {
		t.Errorf("a refused backup changed the earlier one:\n%s", diff)
	}
}

// TestBackupRefusesPostgres points at pg_dump instead of writing anything.
func TestBackupRefusesPostgres(t *testing.T) {
	pg := testenv.StartPostgres(t)
	_, cfg := storageConfig(t, postgresStorage(t, pg), fmt.Sprintf(", redis: {address: %q}", "127.0.0.1:1"))
	target := filepath.Join(t.TempDir(), "copy.db")
	err := run(context.Background(), []string{"backup", target, "--config", cfg}, nil, io.Discard, io.Discard)
	if !errors.Is(err, errNoBackupFile) {
		t.Errorf("backup of PostgreSQL storage: got %v, want errNoBackupFile", err)
	}
	if _, err := os.Stat(target); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("backup of PostgreSQL storage left %s (%v)", target, err)
	}
}
