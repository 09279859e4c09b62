// Package testenv starts the real servers that Keygate's tests talk to (redis-server,
// PostgreSQL, nginx, Caddy, HAProxy, Chromium) on loopback, on free ports, in temporary
// directories. PostgreSQL refuses to run as root, so it runs as the postgres OS user
// in a directory that user owns.
//
// A missing server is installed from Debian's packages with apt-get (the tests run as
// root on Debian). `task test` installs every missing one first, in one apt-get run
// (cmd/keygate-testdeps); a test that still finds one missing installs it itself.
// Installs take a machine-wide file lock, so test binaries running side by side
// never collide on apt's own lock. When an install fails the test fails: nothing is
// ever skipped for a missing part, so CI cannot pass without having exercised it.
//
// Only tests and cmd/keygate-testdeps import this package. It ends only the processes it started, by PID.
package testenv
