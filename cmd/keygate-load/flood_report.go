package main

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"
)

// Targets of issue 10 for the flood scenario.
const (
	targetFloodP99Ratio = 2.0
	targetLegitP99      = time.Second
)

// printFlood writes the flood scenario's figures.
func (rep *report) printFlood(w io.Writer, o options) {
	fc := rep.flood
	if fc == nil {
		return
	}
	if fc.err != nil {
		fmt.Fprintf(w, "\nsign-in flood FAILED: %v\n", fc.err)
		return
	}
	fmt.Fprintf(w, "\nsign-in flood (embedded store): forward-auth paced at %d requests/s from %d connections, latency from each\n",
		floodAuthRate, floodAuthWorkers)
	fmt.Fprintf(w, "request's planned start; %d rounds of %v idle, then %v while %d wrong-password sign-ins/s for unknown\n",
		floodRounds, o.floodDuration/floodRounds, o.floodDuration/floodRounds, o.junkRate)
	fmt.Fprintf(w, "users arrive from %d addresses (after %v of them unmeasured), the load user signing in every %v from a fresh address\n",
		o.junkAddresses, floodWarmup, legitEvery)
	fmt.Fprintf(w, "  forward-auth idle:    %d answers, p50 %s, p99 %s, max %s, %d wrong\n", fc.idle.total,
		ms(fc.idle.quantile(0.5)), ms(fc.idle.quantile(0.99)), ms(fc.idle.quantile(1)), fc.idleBad)
	fmt.Fprintf(w, "  forward-auth flooded: %d answers, p50 %s, p99 %s, max %s, %d wrong\n", fc.flooded.total,
		ms(fc.flooded.quantile(0.5)), ms(fc.flooded.quantile(0.99)), ms(fc.flooded.quantile(1)), fc.floodedBad)
	fmt.Fprintf(w, "  junk sign-ins: %s; wrong passwords checked (hashed) meanwhile: %d\n", fc.junk.String(), fc.junkChecked)
	p50, p99, worst := fc.legitQuantiles()
	fmt.Fprintf(w, "  legitimate sign-ins: %d of %d ok, p50 %.0f ms, p99 %.0f ms, max %.0f ms\n", fc.legitOK, len(fc.legit),
		ms64(p50), ms64(p99), ms64(worst))
	if fc.legitProblem != "" {
		fmt.Fprintf(w, "  first failed legitimate sign-in: %s\n", fc.legitProblem)
	}
	fmt.Fprintf(w, "  %d wrong passwords at once for the load user: %s; checked: %d; the right password after them: %d\n",
		guessBurst, fc.burstAnswers.String(), fc.burstChecked, fc.rightDuringBan)
}

// legitQuantiles returns the p50, p99 and maximum of the legitimate sign-ins.
func (fc *floodCheck) legitQuantiles() (p50, p99, worst time.Duration) {
	if len(fc.legit) == 0 {
		return 0, 0, 0
	}
	s := slices.Sorted(slices.Values(fc.legit))
	at := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return at(0.5), at(0.99), s[len(s)-1]
}

func ms64(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func (rep *report) floodTargets() []check {
	fc := rep.flood
	if fc == nil || fc.err != nil {
		return nil
	}
	ratio := float64(fc.flooded.quantile(0.99)) / float64(max(1, fc.idle.quantile(0.99)))
	_, p99, _ := fc.legitQuantiles()
	return []check{
		{fmt.Sprintf("flood: forward-auth p99 flooded <= %.0f x idle", targetFloodP99Ratio), fmt.Sprintf("%.2f", ratio), verdict(ratio <= targetFloodP99Ratio)},
		{fmt.Sprintf("flood: legitimate sign-in p99 < %v", targetLegitP99), fmt.Sprintf("%.0f ms", ms64(p99)), verdict(len(fc.legit) > 0 && p99 < targetLegitP99)},
		{"flood: every legitimate sign-in succeeds", fmt.Sprintf("%d of %d", fc.legitOK, len(fc.legit)), verdict(len(fc.legit) > 0 && fc.legitOK == len(fc.legit))},
		{fmt.Sprintf("flood: of %d wrong passwords at once for one user, at most max_failures (5) checked", guessBurst),
			fmt.Sprint(fc.burstChecked), verdict(fc.burstChecked >= 0 && fc.burstChecked <= 5)},
		{"flood: the right password refused during the ban", fmt.Sprint(fc.rightDuringBan), verdict(fc.rightDuringBan == http.StatusUnauthorized)},
	}
}

// failed reports whether the scenario could not run, or a guarantee (not a
// latency target) was broken: more guesses checked than the limit, the right
// password accepted during a ban, or a forward-auth answer wrong.
func (fc *floodCheck) failed() bool {
	return fc.err != nil || fc.burstChecked < 0 || fc.burstChecked > 5 ||
		fc.rightDuringBan != http.StatusUnauthorized || fc.idleBad > 0 || fc.floodedBad > 0
}
