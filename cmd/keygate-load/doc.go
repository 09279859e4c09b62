// Command keygate-load measures Keygate's forward-auth hot path on loopback and
// compares it, in one run, with the cheapest answer a proxy could get.
//
//	keygate-load [-duration 5s] [-rounds 3] [-connections 32]
//	             [-unauth-requests 1000000] [-signins 100] [-keygate PATH]
//	             [-flood-duration 30s] [-junk-rate 200] [-junk-addresses 200]
//	             [-skip a,b]
//
// It starts every server it measures itself, each in its own process, on free
// loopback ports and in one temporary directory. It runs these scenarios (-skip
// takes their names; a server that only skipped scenarios need is not started):
//
//	baseline  a trivial Go handler: the cookie looked up in a map of 10,001
//	          sessions, 200 with the four identity headers (this binary re-run
//	          with the hidden first argument baseline-server)
//	embedded  Keygate forward-auth with a valid session in the embedded store
//	nginx     nginx auth_request in front of that Keygate, the protected location
//	          answering 200 from nginx itself
//	redis     Keygate forward-auth with a valid session in Redis
//	unauth    the Redis Keygate asked without a cookie: the 302 to the sign-in
//	          page, -unauth-requests times in all (or for -duration when 0);
//	          Redis DBSIZE is read before and after
//	signins   a fresh Keygate on the embedded store, signed in -signins times at
//	          once with the right password (argon2id, 64 MiB each); every one
//	          must answer 200 with a cookie within 60 s (one answered 429, not
//	          checked in time, tries again a second later, as a person would),
//	          and RSS is sampled meanwhile and read again 2 s after the last
//	          answer
//	flood     a fresh Keygate on the embedded store, in 3 rounds that share
//	          -flood-duration per phase: forward-auth paced at 500 requests/s,
//	          its latency taken from each request's planned start (a stall
//	          counts for every request it delays); then -junk-rate wrong
//	          passwords a second for unknown users from -junk-addresses
//	          addresses (X-Forwarded-For from loopback, a trusted proxy), and
//	          after 3 s of them forward-auth paced again and the load user
//	          signing in every second from a fresh address. Last, 50 wrong
//	          passwords at once for the load user and then the right one.
//	          Wrong passwords checked are counted in the daemon's log
//	          ("sign-in failed" lines)
//
// The first four, the throughput scenarios, run in interleaved rounds: the
// servers of all four start first (the baseline, the Keygate on the embedded
// store, nginx in front of it, redis-server and the Keygate on Redis), then each
// of -rounds rounds runs baseline, embedded, nginx and redis in turn, each for
// -duration, while the other servers sit idle. On a shared machine whose speed
// drifts over a minute, this lets the drift fall on every scenario alike rather
// than on whichever ran at a slow moment. A scenario's figures pool its rounds:
// requests and measured windows summed (requests/s is their quotient), latency
// histograms merged, unexpected answers and errors summed, RSS before from its
// first round and RSS peak the largest of any. unauth and signins run once, after
// the rounds; each server is stopped as soon as no scenario left needs it.
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
// misconfigured run fails instead of measuring the wrong answer; the throughput
// scenarios do so once, before the first round. The load comes from -connections
// workers, each sending one request at a time over its own keep-alive connection
// with net/http, for a warm-up (a fifth of -duration, at most 1 s, before every
// run, every round's included) and then -duration. Latencies inside the window go
// into a log-linear histogram (1/128 relative precision, no allocation per
// request); a request counts when it started and ended inside the window. RSS
// (VmRSS from /proc/PID/status) is read once before each run and sampled every
// 100 ms during it. Each Keygate is left idle for 2 s after its sign-in, since it returns a
// password hash's memory to the system once it has hashed nothing for a second.
//
// It prints the machine, a table (requests/s, p50, p99, the ratios of Keygate's
// requests/s and p99 to the baseline's, pooled, and of its requests/s to the
// baseline's in each round, RSS before and peak), the baseline's requests/s in
// each round, the store's key count around the unauthenticated run, the
// sign-ins' outcome and RSS, and the targets of the performance issue, met or
// not, judged on the pooled figures. It exits 1 when a scenario
// failed, got any unexpected answer, the unauthenticated run changed the key
// count, or a sign-in failed, or in the flood more than max_failures of the 50
// wrong passwords were checked or the right one was accepted during the ban; a
// missed target alone is no failure, since figures from a shared machine are
// noisy.
//
// # Caveats
//
// The generator shares the CPUs with the servers it measures, and its own cost
// per request is in every figure: a cheaper server gains less than it would
// against an external generator, which pulls the ratios toward 1. Rounds only
// spread a drift over every scenario; they do not remove noise within a run,
// which the spread of the per-round ratios shows. Compare figures from the same
// run only.
//
// It ends only processes it started, by PID (SIGTERM, then SIGKILL after 5 s),
// also on error and on Ctrl-C. Children run in their own process group and, on
// Linux, receive SIGTERM from the kernel should the tool die without cleaning up.
//
// Nothing imports this package; it imports none of Keygate's and talks to the
// daemon only over HTTP and its command line.
package main
