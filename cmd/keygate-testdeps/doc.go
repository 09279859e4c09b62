// Command keygate-testdeps installs, in one apt-get run, the Debian packages
// whose programs Keygate's tests start (redis-server, nginx, Caddy, HAProxy,
// Chromium) when any of them is missing. `task test` runs it before the
// tests, so that test binaries running side by side never race to install;
// a test that still finds a program missing installs it under the same
// machine-wide lock (internal/testenv). It exits 1 when a program is still
// missing afterwards.
package main
