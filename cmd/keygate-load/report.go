package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// Targets of the performance issues (5 and 14), checked against the figures of one run.
const (
	targetRatio       = 0.95 // forward-auth requests/s over its baseline's
	targetNginxRatio  = 0.98 // nginx -> keygate over nginx -> baseline
	targetP99Ratio    = 1.1
	targetIdleRSS     = 15 << 20
	targetManyRSS     = 30 << 20 // during the many-sessions runs
	targetLoadRSS     = 40 << 20 // during the unauthenticated run
	targetSigninRSS   = 300 << 20
	targetAttackedP99 = time.Second
)

// print writes the machine, the table, the store check and the targets to w.
func (rep *report) print(w io.Writer, o options) {
	fmt.Fprintf(w, "\nmachine: %s, %d CPUs, load average %s, %s, %s\n", cpuModel(), runtime.NumCPU(), loadAverage(), kernel(), runtime.Version())
	fmt.Fprintf(w, "servers pinned to CPU %s, the generator (wrk, %s, %d keep-alive connections) to CPU %s;\n",
		o.serverCPUs, count(o.loadThreads, "thread"), o.connections, o.loadCPUs)
	fmt.Fprintf(w, "%v per scenario per round, %s interleaved (%s in turn, each run after a %v warm-up),\n",
		o.duration, count(o.rounds, "round"), strings.Join(o.wanted(throughputScenarios), ", "), warmup)
	fmt.Fprint(w, "figures pooled over the rounds")
	if once := o.wanted(onceScenarios); len(once) > 0 {
		fmt.Fprintf(w, "; %s once after them", strings.Join(once, ", "))
	}
	fmt.Fprint(w, "\n\n")
	rep.printTable(w)
	rep.printIdle(w)
	rep.printStore(w)
	rep.printAttack(w)
	rep.printSignins(w)
	rep.printFlood(w, o)
	rep.printTargets(w, o.rounds)
}

func (rep *report) printTable(w io.Writer) {
	if len(rep.rows) == 0 {
		return
	}
	width := len("scenario")
	for _, r := range rep.rows {
		width = max(width, len(r.label))
	}
	// Numbers align right; the label is padded to one width so that it stays left.
	label := func(s string) string { return fmt.Sprintf("%-*s", width, s) }
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, label("scenario")+"\trequests/s\tp50\tp99\treq/s x base\tin each round\tp99 x base\tserver CPU\tRSS before\tRSS peak\tanswers\t")
	for _, r := range rep.rows {
		base := rep.row(baseOf[r.name])
		if r.res == nil || r.err != nil {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\t-\t-\t-\t-\tFAILED\t\n", label(r.label))
			continue
		}
		ratio, perRound, p99Ratio := "-", "-", "-"
		if base != nil && base.err == nil && base.res != nil && base.res.rate() > 0 {
			ratio = fmt.Sprintf("%.2f", r.res.rate()/base.res.rate())
			p99Ratio = fmt.Sprintf("%.2f", float64(r.res.hist.quantile(0.99))/float64(base.res.hist.quantile(0.99)))
			if rs := r.roundRatios(base); len(rs) > 0 {
				perRound = figures(rs, "%.2f")
			}
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", label(r.label), r.res.rate(),
			ms(r.res.hist.quantile(0.50)), ms(r.res.hist.quantile(0.99)), ratio, perRound, p99Ratio,
			busy(&r), mib(r.rssIdle), mib(r.rssPeak), answers(&r))
	}
	tw.Flush()
	fmt.Fprintln(w, "\nA throughput scenario's figures pool its rounds: requests/s is every expected answer over every")
	fmt.Fprintln(w, "measured window, p50 and p99 are of every latency (as wrk measures them), and \"in each round\" is its")
	fmt.Fprintln(w, "requests/s over its baseline's in the same round. Each Keygate row is compared with the baseline row")
	fmt.Fprintln(w, "above it: one session, 10,000 sessions, or nginx in front.")
	if base := rep.row(scBaseline); base != nil && base.err == nil && len(base.rounds) > 0 {
		rates := make([]float64, len(base.rounds))
		for i, f := range base.rounds {
			rates[i] = f.res.rate()
		}
		fmt.Fprintf(w, "The baseline's requests/s in each round (the machine's drift): %s.\n", figures(rates, "%.0f"))
	}
	fmt.Fprintln(w, "RSS is the VmRSS of the server answering (the baseline's own process, or Keygate's, also behind nginx): \"before\" just")
	fmt.Fprintf(w, "before the first run (for Keygate, at least %v after its password sign-in), \"peak\" the largest\n", idleSettle)
	fmt.Fprintln(w, "sampled every 100 ms during any run. Server CPU is the CPU time that process used over the measured")
	fmt.Fprintln(w, "windows, as a share of one CPU (/proc/PID/stat): near 100% the server is the bottleneck; well below,")
	fmt.Fprintln(w, "something else is (nginx, Redis or the machine), for the baseline as much as for Keygate.")
	for _, r := range rep.rows {
		if r.err != nil {
			fmt.Fprintf(w, "\n%s FAILED: %v\n", r.label, r.err)
		} else if !r.res.clean() {
			fmt.Fprintf(w, "\n%s: %d unexpected answers, %d errors; first: %s\n", r.label, r.res.unexpected, r.res.errors, r.res.problem)
		}
	}
}

// count returns n and noun, plural unless n is 1.
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// figures formats numbers with format, separated by spaces.
func figures(xs []float64, format string) string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = fmt.Sprintf(format, x)
	}
	return strings.Join(out, " ")
}

// answers summarises whether every answer was the expected one.
func answers(r *row) string {
	switch {
	case r.err != nil:
		return "FAILED"
	case !r.res.clean():
		return fmt.Sprintf("%d WRONG", r.res.unexpected+r.res.errors)
	default:
		return "all " + fmt.Sprint(r.res.hist.total) + " ok"
	}
}

func (rep *report) printStore(w io.Writer) {
	sc := rep.store
	if sc == nil {
		return
	}
	if sc.err != nil {
		fmt.Fprintf(w, "\nsession store around the unauthenticated run: could not count keys: %v\n", sc.err)
		return
	}
	verdict := "unchanged"
	if sc.after != sc.before {
		verdict = fmt.Sprintf("CHANGED by %+d", sc.after-sc.before)
	}
	fmt.Fprintf(w, "\nsession store (Redis DBSIZE) around %d unauthenticated requests: %d keys before, %d after: %s\n",
		sc.answers, sc.before, sc.after, verdict)
}

func (rep *report) printSignins(w io.Writer) {
	sc := rep.signins
	if sc == nil {
		return
	}
	if sc.err != nil {
		fmt.Fprintf(w, "\nconcurrent password sign-ins FAILED: %v\n", sc.err)
		return
	}
	fmt.Fprintf(w, "\n%d concurrent password sign-ins (embedded store): %d ok (%d of them after a 429 and a retry %v later),\n",
		sc.n, sc.ok, sc.retried, signinRetryPause)
	fmt.Fprintf(w, "the last after %.1f s (median %.1f s);\n", sc.elapsed.Seconds(), sc.p50.Seconds())
	fmt.Fprintf(w, "keygate RSS before %s, peak %s, %v after the last answer %s\n", mib(sc.rssIdle), mib(sc.rssPeak), idleSettle, mib(sc.rssDone))
	if sc.problem != "" {
		fmt.Fprintf(w, "first failure: %s\n", sc.problem)
	}
}

func (rep *report) printTargets(w io.Writer, rounds int) {
	fmt.Fprintf(w, "\ntargets (figures of one run, pooled over %s; MB read as MiB):\n", count(rounds, "round"))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range rep.targets() {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", c.what, c.got, c.verdict)
	}
	tw.Flush()
}

// check is one target and how the run fared against it.
type check struct{ what, got, verdict string }

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT MET"
}

func (rep *report) targets() []check {
	var out []check
	for _, name := range []string{scEmbedded, scRedis, scManyEmbedded, scManyRedis, scNginx} {
		r, base := rep.measured(name), rep.measured(baseOf[name])
		want := targetRatio
		if name == scNginx {
			want = targetNginxRatio
		}
		if r == nil || base == nil {
			out = append(out, check{name + ": requests/s against " + baseOf[name], "-", "not measured"})
			continue
		}
		ratio := r.res.rate() / base.res.rate()
		out = append(out, check{fmt.Sprintf("%s: requests/s >= %.2f x %s", name, want, baseOf[name]), fmt.Sprintf("%.2f", ratio), verdict(ratio >= want)})
		if name != scNginx {
			p99 := float64(r.res.hist.quantile(0.99)) / float64(base.res.hist.quantile(0.99))
			out = append(out, check{fmt.Sprintf("%s: p99 <= %.1f x %s", name, targetP99Ratio, baseOf[name]), fmt.Sprintf("%.2f", p99), verdict(p99 <= targetP99Ratio)})
		}
	}
	out = append(out, rep.memoryTargets()...)
	return append(out, rep.floodTargets()...)
}

func (rep *report) memoryTargets() []check {
	var out []check
	if id := rep.idle; id != nil {
		out = append(out,
			check{"keygate RSS idle < 15 MiB (started, before any request)", withAnon(id.started.rss, id.started.anon), verdict(id.started.rss > 0 && id.started.rss < targetIdleRSS)},
			check{fmt.Sprintf("keygate RSS idle < 15 MiB (%v after one password sign-in)", idleSettle), withAnon(id.signedIn.rss, id.signedIn.anon), verdict(id.signedIn.rss > 0 && id.signedIn.rss < targetIdleRSS)})
	}
	for _, name := range []string{scManyEmbedded, scManyRedis} {
		if r := rep.measured(name); r != nil {
			out = append(out, check{"keygate RSS < 30 MiB during the " + thousands(rep.sessions) + "-session run (" + name + ")", withAnon(r.rssPeak, r.anonPeak), verdict(r.rssPeak > 0 && r.rssPeak < targetManyRSS)})
		}
	}
	if ac := rep.attack; ac != nil && ac.err == nil {
		p99 := ac.p(0.99)
		out = append(out, check{fmt.Sprintf("attack: returning user's sign-in p99 < 1 s under %d wrong sign-ins/s, each from its own address", ac.rate),
			fmt.Sprintf("%.3f s (%d of %d ok)", p99.Seconds(), ac.legitOK, len(ac.legit)), verdict(ac.legitOK == len(ac.legit) && p99 < targetAttackedP99)})
	}
	if r := rep.measured(scUnauth); r != nil {
		out = append(out, check{fmt.Sprintf("keygate RSS < 40 MiB during %d unauthenticated requests", r.res.answers),
			mib(r.rssPeak), verdict(r.rssPeak > 0 && r.rssPeak < targetLoadRSS)})
	}
	if sc := rep.store; sc != nil && sc.err == nil {
		out = append(out, check{"unauthenticated requests leave the session store as it was",
			fmt.Sprintf("%d -> %d keys", sc.before, sc.after), verdict(sc.before == sc.after)})
	}
	if sc := rep.signins; sc != nil && sc.err == nil {
		out = append(out,
			check{fmt.Sprintf("%d concurrent password sign-ins: every one completes", sc.n),
				fmt.Sprintf("%d of %d", sc.ok, sc.n), verdict(sc.ok == sc.n)},
			check{fmt.Sprintf("keygate RSS < 300 MiB during %d concurrent sign-ins", sc.n),
				mib(sc.rssPeak), verdict(sc.rssPeak > 0 && sc.rssPeak < targetSigninRSS)})
	}
	return out
}

func (rep *report) printIdle(w io.Writer) {
	if id := rep.idle; id != nil {
		fmt.Fprintf(w, "\nkeygate RSS idle (embedded store, default argon2id cost): %s once started, %s %v after one password sign-in\n",
			withAnon(id.started.rss, id.started.anon), withAnon(id.signedIn.rss, id.signedIn.anon), idleSettle)
		fmt.Fprintln(w, "(anon: RssAnon, the heap and stacks; the rest is mapped file pages: the executable's, and bbolt's file)")
	}
}

func (rep *report) printAttack(w io.Writer) {
	ac := rep.attack
	if ac == nil {
		return
	}
	if ac.err != nil {
		fmt.Fprintf(w, "\nsign-ins under attack FAILED: %v\n", ac.err)
		return
	}
	fmt.Fprintf(w, "\nlegitimate password sign-ins, one at a time, while %d wrong ones/s arrive from distinct addresses (wrong sign-ins sent %d: %d answered 401, %d otherwise or not within %v):\n",
		ac.rate, ac.sent, ac.refused, ac.otherwise, attackTimeout)
	fmt.Fprintf(w, "  returning user (device cookie from a sign-in before the attack): %d of %d ok (%d after a 429); p50 %.3f s, p99 %.3f s, max %.3f s\n",
		ac.legitOK, len(ac.legit), ac.retried, ac.p(0.5).Seconds(), ac.p(0.99).Seconds(), ac.p(1).Seconds())
	if ac.problem != "" {
		fmt.Fprintf(w, "    first failure: %s\n", ac.problem)
	}
	fc := ac.first
	fmt.Fprintf(w, "  first-time users (no device cookie; not a target), one after the other, each retrying every %v until the attack ended: %d of %d signed in; %d of %d requests answered 429%s\n",
		signinRetryPause, fc.ok, fc.users, fc.busy, fc.tries, fc.verdict())
	if fc.problem != "" {
		fmt.Fprintf(w, "    first failure other than 429: %s\n", fc.problem)
	}
}

// verdict says what the first-time users met, in words.
func (fc *firstTimeCheck) verdict() string {
	switch {
	case fc.users == 0:
		return ""
	case fc.ok == 0:
		return ": REFUSED, as expected: the botnet holds the anonymous share of the hashing capacity"
	default:
		return fmt.Sprintf("; slowest success %.3f s", fc.took[len(fc.took)-1].Seconds())
	}
}

func (rep *report) row(name string) *row {
	for i := range rep.rows {
		if rep.rows[i].name == name {
			return &rep.rows[i]
		}
	}
	return nil
}

// measured returns the row of a scenario that ran cleanly, or nil.
func (rep *report) measured(name string) *row {
	r := rep.row(name)
	if r == nil || r.err != nil || r.res == nil || !r.res.clean() || r.res.requests == 0 {
		return nil
	}
	return r
}

// failed reports whether any scenario failed, got a wrong answer or left keys
// behind, or a sign-in failed.
func (rep *report) failed() bool {
	for _, r := range rep.rows {
		if r.err != nil || r.res == nil || !r.res.clean() {
			return true
		}
	}
	if rep.signins != nil && rep.signins.failed() {
		return true
	}
	if rep.attack != nil && rep.attack.failed() {
		return true
	}
	if rep.flood != nil && rep.flood.failed() {
		return true
	}
	return rep.store != nil && (rep.store.err != nil || rep.store.before != rep.store.after)
}

// withAnon formats an RSS with its anonymous part.
func withAnon(rss, anon uint64) string {
	if anon == 0 {
		return mib(rss)
	}
	return fmt.Sprintf("%s (anon %s)", mib(rss), mib(anon))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond)) }

func mib(b uint64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

func cpuModel() string {
	data, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(data), "\n") {
		if name, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimLeft(name, "\t :"))
		}
	}
	return runtime.GOARCH
}

func loadAverage() string {
	data, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func kernel() string {
	data, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return runtime.GOOS
	}
	return "Linux " + strings.TrimSpace(string(data))
}

// busy is the server's CPU time over r's measured windows as a share of one
// CPU, or "-" when it is unknown.
func busy(r *row) string {
	if r.cpu <= 0 || r.res == nil || r.res.window <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", 100*r.cpu.Seconds()/r.res.window.Seconds())
}
