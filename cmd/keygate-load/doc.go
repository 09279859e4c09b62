// Command keygate-load measures Keygate's forward-auth hot path on loopback and
// compares it, in one run, with the cheapest answer a proxy could get, with the
// load generator and the servers on separate CPUs.
//
//	keygate-load [-duration 5s] [-rounds 3] [-connections 32]
//	             [-server-cpus 1] [-load-cpus 0] [-sessions 10000]
//	             [-unauth-duration 20s] [-attack-rate 200] [-attack-duration 20s]
//	             [-signins 100] [-flood-duration 30s] [-junk-rate 200]
//	             [-junk-addresses 200] [-keygate PATH] [-profile DIR] [-skip a,b]
//
// It starts every server it measures itself, each in its own process, on free
// loopback ports and in one temporary directory, every one pinned with taskset
// to -server-cpus (the baseline, each Keygate, nginx, redis-server; the
// daemons of the sign-in scenarios attack, signins and flood run on
// -signin-cpus, by default every CPU, since they measure a daemon under
// password hashing rather than a rate against the generator; this tool then
// unpins itself too). The load
// comes from wrk (installed with apt-get when missing), pinned to -load-cpus
// with one thread per CPU there, and this tool pins itself there too, so that
// the generator never takes CPU time from what it measures. A Go server sizes
// GOMAXPROCS from its affinity: on one server CPU, Keygate and the baseline run
// with GOMAXPROCS 1. The two sets must not overlap.
//
// It runs these scenarios (-skip takes their names; a server that only skipped
// scenarios need is not started):
//
//	baseline        a trivial Go handler: the cookie looked up in a map of
//	                10,001 sessions, 200 with the four identity headers (this
//	                binary re-run with the hidden first argument baseline-server)
//	embedded        Keygate forward-auth, one signed-in session, embedded store
//	redis           the same on the Redis store
//	many-baseline   the baseline sent a random one of -sessions cookies each time
//	many-embedded   Keygate sent a random one of -sessions distinct valid
//	                sessions each time (a wrk Lua script picks it from a file),
//	                so that the in-process cache (1 s) misses and the store is
//	                read and its activity records written as in production
//	many-redis      the same on Redis
//	nginx-baseline  nginx auth_request in front of the baseline, the protected
//	                location answering 200 from nginx itself
//	nginx           the same nginx in front of the embedded-store Keygate
//	unauth          the Redis Keygate asked without a cookie (the 302 to sign
//	                in) for -unauth-duration; Redis DBSIZE before and after
//	attack          a fresh Keygate on the embedded store with the default
//	                argon2id cost: a returning user's password sign-in (its
//	                browser signed in once before the attack, so it carries
//	                the device cookie), one at a time from loopback, timed for
//	                -attack-duration while -attack-rate wrong sign-ins per
//	                second arrive, each from an address of its own
//	                (X-Forwarded-For, believed from loopback) and for a
//	                username of its own; meanwhile first-time users (no device
//	                cookie) try to sign in, reported apart
//	signins         a fresh Keygate on the embedded store, signed in -signins
//	                times at once with the right password (argon2id, 64 MiB
//	                each), each answered 429 trying again a second later, all
//	                within 60 s; RSS sampled meanwhile
//	flood           a fresh Keygate on the embedded store, in 3 rounds that
//	                share -flood-duration per phase: forward-auth paced at 500
//	                requests/s by this tool, its latency from each request's
//	                planned start; then -junk-rate wrong passwords a second for
//	                unknown users from -junk-addresses addresses
//	                (X-Forwarded-For), and after 3 s of them forward-auth paced
//	                again and the load user signing in every second from a
//	                fresh address. Last, 50 wrong passwords at once for the
//	                load user and then the right one; wrong passwords checked
//	                are counted in the daemon's log
//
// Each Keygate row is compared with its own baseline: embedded and redis with
// baseline, many-* with many-baseline, nginx with nginx-baseline.
//
// The throughput scenarios (the first eight) run in interleaved rounds: their
// servers all start first, then each of -rounds rounds runs them in turn, each
// for a 1 s warm-up (a wrk run not recorded) and then -duration, while the
// other servers sit idle. On a shared machine whose speed drifts over a minute,
// this lets the drift fall on every scenario alike. A scenario's figures pool
// its rounds: requests and measured windows summed (requests/s is their
// quotient), latency distributions merged, bad answers and errors summed, RSS
// before from its first round and RSS peak the largest of any. unauth, attack
// and signins run once, after the rounds.
//
// wrk reports each run through a Lua done() hook that writes its counts and the
// latency at every 0.1% up to p99 and every 0.01% above into a file; the tool
// rebuilds a histogram from them, so that rounds pool and p99 is exact to
// wrk's microsecond and 1/128 relative precision. wrk counts an answer with a
// status other than 2xx or 3xx as bad; the authenticated requests accept JSON,
// not HTML, so that a lost session gets Keygate's 401 and is counted, not the
// 302 a browser gets (nginx here passes the 401 on). Every throughput scenario
// first sends its request once and checks the status and Remote-User (and that
// the request without its cookie gets 401), and checks it again after every
// round, so a misconfigured run fails instead of measuring the wrong answer.
//
// Keygate runs with a generated config: cookie domain localhost (the one domain
// whose portal may be plain http), the app app.localhost under a one_factor
// rule, and a users file with two password users. The tool signs in through
// POST /api/login/password. Keygate hashes once per class of hash in its users
// file at every sign-in, whatever the user, so the daemons of the throughput
// scenarios hold only the cheapest argon2id hashes it accepts (m=8 KiB, t=1),
// and 10,000 sign-ins take seconds; the attack's and the sign-ins' daemons use
// `keygate hash-password`'s default cost. Without -keygate it builds the
// binary with go build, so it must run inside the module.
//
// RSS (VmRSS from /proc/PID/status, with RssAnon, its heap-and-stacks part) is
// read before each run and sampled every 100 ms during it. The idle figures
// come from the attack's (or else the sign-ins') daemon: once it answers, and
// 2 s after its first password sign-in, since it returns a password hash's
// memory to the system once it has hashed nothing for a second.
//
// With -profile DIR, Keygate is built with net/http/pprof added through go
// build -overlay (no source file changes; the variable KEYGATE_LOAD_PPROF gives
// it a loopback address), and the last round of embedded, redis, many-embedded
// and many-redis writes a CPU profile of the daemon over its measured window to
// DIR/SCENARIO.pprof.
//
// It prints the machine and its load average, the CPU sets, a table
// (requests/s, p50, p99, the ratios of requests/s and p99 to the row's
// baseline, pooled and per round, RSS before and peak, answers), the idle RSS,
// the store's key count around the unauthenticated run, the sign-ins under
// attack, the concurrent sign-ins, and the targets of the performance issues,
// met or not. It exits 1 when a scenario failed, got any bad answer, the
// unauthenticated run changed the key count, or a sign-in failed, or in the
// flood more than max_failures of the 50 wrong passwords were checked or the
// right one was accepted during the ban; a missed target alone is no failure,
// since figures from a shared machine are noisy.
//
// # Caveats
//
// Pinning keeps the generator off the servers' CPU, not other programs: on a
// machine where others work, their processes still run on it, which the
// spread of the per-round ratios shows. The servers share their CPU set with
// one another (redis-server with the Keygate that asks it). Compare figures
// from the same run only.
//
// It ends only processes it started, by PID (SIGTERM, then SIGKILL after 5 s),
// also on error and on Ctrl-C. Children run in their own process group and, on
// Linux, receive SIGTERM from the kernel should the tool die without cleaning up.
//
// Nothing imports this package; it imports none of Keygate's and talks to the
// daemon only over HTTP and its command line.
package main
