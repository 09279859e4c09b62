// Package testenv starts the real servers that Keygate's tests talk to (redis-server,
// nginx, Caddy, HAProxy, Chromium) on loopback, on free ports, in temporary
// directories.
//
// A missing server is installed from Debian's packages with apt-get (the tests run as
// root on Debian). When that fails the test fails: nothing is ever skipped for a
// missing part, so CI cannot pass without having exercised it.
//
// Only tests import this package. It ends only the processes it started, by PID.
package testenv
