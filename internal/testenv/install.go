package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Programs lists every program the tests start, with the Debian package that
// provides it. InstallMissing installs them all in one apt-get run.
var Programs = []Program{
	{Binary: "redis-server", Package: "redis-server"},
	{Binary: "redis-cli", Package: "redis-tools"},
	{Binary: "nginx", Package: "nginx"},
	{Binary: "wrk", Package: "wrk"},
	{Binary: "caddy", Package: "caddy"},
	{Binary: "haproxy", Package: "haproxy"},
	{Binary: "chromium", Package: "chromium"},
	{Binary: "systemd-analyze", Package: "systemd"},
	{Binary: postgresBinary, Package: "postgresql"},
}

// Program is one program the tests run and the Debian package it comes in.
type Program struct {
	// Binary is a name looked up on PATH, or an absolute path that may hold
	// a glob for a versioned directory (/usr/lib/postgresql/*/bin/postgres).
	Binary  string
	Package string
}

// Missing returns the programs of ps that are not installed.
func Missing(ps []Program) []Program {
	var missing []Program
	for _, p := range ps {
		if _, err := lookPath(p.Binary); err != nil {
			missing = append(missing, p)
		}
	}
	return missing
}

// InstallMissing installs the Debian packages of the programs in ps that are
// not on PATH, in one apt-get run, and reports what it did through logf. It
// holds the machine-wide install lock, so that test binaries running side by
// side never start two installs; a program still missing afterwards is an
// error.
func InstallMissing(ps []Program, logf func(format string, args ...any)) error {
	unlock, err := lockInstalls()
	if err != nil {
		return err
	}
	defer unlock()
	missing := Missing(ps)
	if len(missing) == 0 {
		return nil
	}
	var pkgs []string
	for _, p := range missing {
		pkgs = append(pkgs, p.Package)
	}
	logf("testenv: installing Debian packages %s", strings.Join(pkgs, " "))
	if err := aptInstall(pkgs); err != nil {
		return err
	}
	if still := Missing(missing); len(still) > 0 {
		return fmt.Errorf("testenv: %s still missing after installing its package", still[0].Binary)
	}
	return nil
}

// Require returns the path of binary, installing Debian package pkg when the
// binary is missing. It fails the test when the binary cannot be had: a test
// never skips for a missing part.
func Require(t testing.TB, binary, pkg string) string {
	t.Helper()
	if path, err := lookPath(binary); err == nil {
		return path
	}
	if err := InstallMissing([]Program{{Binary: binary, Package: pkg}}, t.Logf); err != nil {
		t.Fatal(err)
	}
	path, err := lookPath(binary)
	if err != nil {
		t.Fatalf("testenv: %s missing after installing %s: %v", binary, pkg, err)
	}
	return path
}

// lookPath finds binary on PATH or, when it is an absolute path with a glob,
// as the last match in lexical order (the newest of versioned directories).
func lookPath(binary string) (string, error) {
	if !filepath.IsAbs(binary) || !strings.ContainsAny(binary, "*?[") {
		return exec.LookPath(binary)
	}
	matches, err := filepath.Glob(binary)
	if err != nil {
		return "", err
	}
	for i := len(matches) - 1; i >= 0; i-- {
		if path, err := exec.LookPath(matches[i]); err == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("%s: %w", binary, exec.ErrNotFound)
}

// lockInstalls takes an exclusive lock on a file shared by every process on
// the machine, waiting for whoever holds it. apt's own lock fails at once
// instead of waiting, so the tests serialise their installs here first.
func lockInstalls() (unlock func(), err error) {
	path := filepath.Join(os.TempDir(), "keygate-testenv-apt.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("testenv: opening the install lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("testenv: taking the install lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}

// aptInstall installs pkgs, refreshing the package lists once when the first
// attempt fails (a fresh machine may have none). DPkg::Lock::Timeout makes
// apt wait for an install that is not the tests' own (unattended upgrades).
func aptInstall(pkgs []string) error {
	env := append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	run := func(args ...string) ([]byte, error) {
		cmd := exec.Command("apt-get", append([]string{"-q", "-o", "DPkg::Lock::Timeout=600"}, args...)...)
		cmd.Env = env
		return cmd.CombinedOutput()
	}
	install := append([]string{"install", "-y", "--no-install-recommends"}, pkgs...)
	if _, err := run(install...); err == nil {
		return nil
	}
	if out, err := run("update"); err != nil {
		return fmt.Errorf("testenv: apt-get update: %w\n%s", err, tail(out))
	}
	if out, err := run(install...); err != nil {
		return fmt.Errorf("testenv: apt-get install %s: %w\n%s", strings.Join(pkgs, " "), err, tail(out))
	}
	return nil
}
