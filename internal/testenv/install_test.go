package testenv

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestLookPathGlob(t *testing.T) {
	dir := t.TempDir()
	for _, v := range []string{"14", "15"} {
		bin := filepath.Join(dir, v, "bin")
		if err := os.MkdirAll(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(bin, "server"), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	got, err := lookPath(filepath.Join(dir, "*", "bin", "server"))
	if want := filepath.Join(dir, "15", "bin", "server"); got != want || err != nil {
		t.Errorf("lookPath(glob) = %q, %v; want %q", got, err, want)
	}
	if _, err := lookPath(filepath.Join(dir, "*", "bin", "absent")); !errors.Is(err, exec.ErrNotFound) {
		t.Errorf("lookPath of a glob matching nothing: got %v, want exec.ErrNotFound", err)
	}
	if got := Missing([]Program{{Binary: filepath.Join(dir, "*", "bin", "server")}, {Binary: filepath.Join(dir, "*", "bin", "absent")}}); len(got) != 1 || filepath.Base(got[0].Binary) != "absent" {
		t.Errorf("Missing = %+v, want only the absent program", got)
	}
}
