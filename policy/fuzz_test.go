package policy

import (
	"net/netip"
	"regexp"
	"testing"
	"time"
)

// FuzzDecide builds a config from arbitrary values and decides an arbitrary
// request: New and Validate must agree, nothing may panic, and the host index
// must agree with a linear scan of the rules.
func FuzzDecide(f *testing.F) {
	f.Add("app.example.com", "*.example.com", "^/admin(/|$)", "GET", "10.0.0.0/8", "group:admins", "two_factor", int64(time.Minute),
		"App.Example.com:443", "/admin?x=1", "get", "10.1.2.3", "alice", "admins", uint8(2), int64(time.Second))
	f.Add("", "*", "(", "get", "10.0.0.0/33", "admins", "allow", int64(-1),
		"[::1]:80", "", "", "", "", "", uint8(9), int64(0))
	f.Add("x.internal.example.com", "*.internal.example.com", "[?&]token=", "PROPFIND", "::ffff:10.0.0.0/104", "user:alice", "one_factor", int64(0),
		"a.b.internal.example.com.", "/dav?token=1", "propfind", "::ffff:10.9.9.9", "alice", "dev", uint8(1), int64(time.Hour))
	fixed := []*Engine{mustNew(f, requestsConfig()), mustNew(f, domainsConfig())}
	f.Fuzz(func(t *testing.T, domain, wildcard, resource, method, network, subject, pol string, maxAge int64,
		host, path, reqMethod, ip, username, group string, level uint8, age int64) {
		cfg := Config{DefaultPolicy: pol, Rules: []Rule{
			{Domain: []string{domain, wildcard}, Resources: []string{resource}, Methods: []string{method},
				Networks: []string{network}, Subject: []string{subject}, Policy: pol, MaxAge: time.Duration(maxAge)},
			{Domain: []string{wildcard}, Subject: []string{subject}, Policy: "one_factor"},
			{Domain: []string{domain}, Policy: "bypass"},
			{Networks: []string{network}, Policy: "deny"},
		}}
		engines := fixed
		e, err := New(cfg)
		if verr := cfg.Validate(); (err == nil) != (verr == nil) {
			t.Fatalf("New: %v, but Validate: %v", err, verr)
		}
		if err == nil {
			engines = append(engines[:len(fixed):len(fixed)], e)
		}
		addr, _ := netip.ParseAddr(ip)
		s := Subject{Username: username, Groups: []string{group}, Level: Level(level), AuthTime: testNow.Add(-time.Duration(age))}
		r := Request{Host: host, Path: path, Method: reqMethod, IP: addr, Time: testNow}
		for _, e := range engines {
			if got, want := e.Decide(s, r), decideLinear(e, s, r); got != want {
				t.Fatalf("Decide: got %v, linear scan gives %v", got, want)
			}
		}
	})
}

// FuzzResourceMatches checks that the literal checked before a resources regex
// never changes whether it matches.
func FuzzResourceMatches(f *testing.F) {
	for _, seed := range [][2]string{
		{"^/admin(/|$)", "/admin/users"},
		{"^/admin(/|$)", "/Admin"},
		{"(?i)^/admin", "/ADMIN"},
		{"^/a|^/b", "/b/x"},
		{"token=", "/x?a=1&token=2"},
		{"(?m)^/x", "/y\n/x"},
		{"^$", ""},
		{"(^/api/|/static/)", "/assets/static/app.js"},
		{`\.php$`, "/index.php?x=1"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, expr, path string) {
		re, err := regexp.Compile(expr)
		if err != nil {
			return
		}
		if got, want := newResource(re).matches(path), re.MatchString(path); got != want {
			t.Errorf("regex %q on %q: got %v, want %v (literal %q)", expr, path, got, want, newResource(re).literal)
		}
	})
}
