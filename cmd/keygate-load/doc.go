// Command keygate-load measures Keygate's forward-auth hot path on loopback and
// compares it, in one run, with the cheapest answer a proxy could get.
//
//	keygate-load [-duration 10s] [-connections 32] [-unauth-requests 1000000]
//	             [-signins 100] [-keygate PATH] [-skip a,b]
//
// It starts every server it measures itself, each in its own process, on free
// loopback ports and in one temporary directory, and runs these scenarios one
// after the other (-skip takes their names):
//
//	baseline  a trivial Go handler: the cookie looked up in a map of 10,001
//	          sessions, 200 with the four identity headers (this binary re-run
//	          with the hidden first argument baseline-server)
//	embedded  Keygate forward-auth with a valid session in the embedded store
//	nginx     nginx auth_request in front of that Keygate, the protected location
//	          answering 200 from nginx itself
//	redis     Keygate forward-auth with a valid session in Redis
//	unauth    the same Keygate asked without a cookie: the 302 to the sign-in
//	          page, -unauth-requests times in all (or for -duration when 0);
//	          Redis DBSIZE is read before and after
//	signins   a fresh Keygate on the embedded store, signed in -signins times at
//	          once with the right password (argon2id, 64 MiB each); every one
//	          must answer 200 with a cookie, and RSS is sampled meanwhile and
//	          read again 2 s after the last answer
//
// Keygate runs with a generated config: cookie domain localhost (the one domain
// whose portal may be plain http), the app app.localhost under a one_factor rule,
// and a users file with one password user, hashed with `keygate hash-password`.
// The tool signs in through POST /api/login/password and sends the session cookie
// it gets. Without -keygate it builds the binary with go build, so it must run
// inside the module. redis-server and nginx are installed with apt-get when
// missing.
//
// Every scenario first sends its request once and checks the status and
// Remote-User (and that the same request without the cookie is refused), so a
// misconfigured run fails instead of measuring the wrong answer. The load comes
// from -connections workers, each sending one request at a time over its own
// keep-alive connection with net/http, for a warm-up (a fifth of -duration, at
// most 1 s) and then -duration. Latencies inside the window go into a log-linear
// histogram (1/128 relative precision, no allocation per request); a request
// counts when it started and ended inside the window. RSS (VmRSS from
// /proc/PID/status) is read once before each run and sampled every 100 ms during
// it. Each Keygate is left idle for 2 s after its sign-in, since it returns a
// password hash's memory to the system once it has hashed nothing for a second.
//
// It prints the machine, a table (requests/s, p50, p99, the ratios of Keygate's
// requests/s and p99 to the baseline's, RSS before and peak), the store's key
// count around the unauthenticated run, the sign-ins' outcome and RSS, and the
// targets of the performance issue, met or not. It exits 1 when a scenario
// failed, got any unexpected answer, the unauthenticated run changed the key
// count, or a sign-in failed; a missed target alone is no failure, since figures
// from a shared machine are noisy.
//
// # Caveats
//
// The generator shares the CPUs with the servers it measures, and its own cost
// per request is in every figure: a cheaper server gains less than it would
// against an external generator, which pulls the ratios toward 1. Compare
// figures from the same run only.
//
// It ends only processes it started, by PID (SIGTERM, then SIGKILL after 5 s),
// also on error and on Ctrl-C. Children run in their own process group and, on
// Linux, receive SIGTERM from the kernel should the tool die without cleaning up.
//
// Nothing imports this package; it imports none of Keygate's and talks to the
// daemon only over HTTP and its command line.
package main
