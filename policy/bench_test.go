package policy

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"
)

// benchConfig returns n rules in the mix of a large deployment: two rules without
// domain at the top, then in turn an exact host, a wildcard with an API resource
// and methods, an exact host open to an internal network, and a group rule with a
// path on one of twenty shared hosts.
func benchConfig(n int) Config {
	rules := []Rule{
		{Methods: []string{"TRACE", "CONNECT"}, Policy: "deny"},
		{Resources: []string{`^/\.well-known/acme-challenge/`}, Policy: "bypass"},
	}
	for i := len(rules); i < n; i++ {
		var r Rule
		switch i % 4 {
		case 0:
			r = Rule{Domain: []string{fmt.Sprintf("app%d.example.com", i)}, Policy: "one_factor"}
		case 1:
			r = Rule{
				Domain:    []string{fmt.Sprintf("*.team%d.example.com", i)},
				Resources: []string{fmt.Sprintf("^/api/v%d/", i)},
				Methods:   []string{"GET", "POST"},
				Policy:    "two_factor",
			}
		case 2:
			r = Rule{
				Domain:   []string{fmt.Sprintf("app%d.example.com", i-2)},
				Networks: []string{fmt.Sprintf("10.%d.0.0/16", i%256), "2001:db8::/32"},
				Policy:   "bypass",
			}
		case 3:
			r = Rule{
				Domain:    []string{fmt.Sprintf("shared%d.example.com", i/4%20)},
				Subject:   []string{fmt.Sprintf("group:g%d", i), "user:admin"},
				Resources: []string{fmt.Sprintf("^/g%d/", i)},
				Policy:    "one_factor",
				MaxAge:    time.Hour,
			}
		}
		rules = append(rules, r)
	}
	return Config{DefaultPolicy: "deny", Rules: rules}
}

// benchTarget returns the index of the rule near the end of benchConfig(n) that
// decides the request it also returns, and the subject making it.
func benchTarget(n int) (int, Subject, Request) {
	t := n - 2
	for t%4 != 3 {
		t--
	}
	s := signedIn("alice", LevelOneFactor, time.Minute, "dev", "ops", fmt.Sprintf("g%d", t))
	r := Request{
		Host:   fmt.Sprintf("Shared%d.example.com:443", t/4%20),
		Path:   fmt.Sprintf("/g%d/reports?year=2025", t),
		Method: "GET",
		IP:     netip.MustParseAddr("198.51.100.7"),
		Time:   testNow,
	}
	return t, s, r
}

func BenchmarkDecide(b *testing.B) {
	for _, n := range []int{10, 1000} {
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			cfg := benchConfig(n)
			e := mustNew(b, cfg)
			t, s, r := benchTarget(n)
			without := mustNew(b, Config{Rules: slices.Delete(slices.Clone(cfg.Rules), t, t+1)})
			if got, gotWithout := e.Decide(s, r), without.Decide(s, r); got != Allow || gotWithout != Deny {
				b.Fatalf("got %v, and %v without rule %d, want allow decided by that rule", got, gotWithout, t)
			}
			b.ReportAllocs()
			for b.Loop() {
				e.Decide(s, r)
			}
		})
	}
}
