package main

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestVersionPrintsTheStampedVersion builds keygate as `task build` does,
// stamping a version, and runs `keygate version`.
func TestVersionPrintsTheStampedVersion(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "keygate")
	const stamped = "v9.8.7-3-gabcdef0-dirty"
	build := exec.Command("go", "build", "-ldflags", "-X main.version="+stamped, "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("keygate version: %v\n%s", err, out)
	}
	lines := strings.Split(string(out), "\n")
	if lines[0] != "keygate "+stamped {
		t.Errorf("first line = %q, want %q", lines[0], "keygate "+stamped)
	}
	if !strings.Contains(string(out), runtime.Version()) {
		t.Errorf("output names no Go version %s:\n%s", runtime.Version(), out)
	}
}

func TestVersionWithoutStampFallsBack(t *testing.T) {
	var out strings.Builder
	if err := printVersion(nil, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "keygate ") || strings.HasPrefix(out.String(), "keygate \n") {
		t.Errorf("got %q, want a version on the first line", out.String())
	}
}
