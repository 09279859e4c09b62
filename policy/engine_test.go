package policy

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestDecideFirstMatchWins(t *testing.T) {
	deny := Rule{Domain: []string{"app.example.com"}, Policy: "deny"}
	bypass := Rule{Domain: []string{"*.example.com"}, Policy: "bypass"}
	tests := []struct {
		name  string
		rules []Rule
		want  Decision
	}{
		{"deny first", []Rule{deny, bypass}, Deny},
		{"bypass first", []Rule{bypass, deny}, Allow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mustNew(t, Config{Rules: tt.rules})
			got := e.Decide(Subject{}, newTestRequest("GET", "app.example.com/", "192.0.2.1"))
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDecideDefaultPolicy(t *testing.T) {
	alice := signedIn("alice", LevelOneFactor, time.Minute)
	tests := []struct {
		policy  string
		subject Subject
		want    Decision
	}{
		{"", Subject{}, Deny},
		{"", alice, Deny},
		{"deny", alice, Deny},
		{"bypass", Subject{}, Allow},
		{"one_factor", Subject{}, Authenticate},
		{"one_factor", alice, Allow},
		{"two_factor", alice, Authenticate},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q/%s", tt.policy, tt.subject.Username), func(t *testing.T) {
			e := mustNew(t, Config{DefaultPolicy: tt.policy})
			got := e.Decide(tt.subject, newTestRequest("GET", "app.example.com/", "192.0.2.1"))
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDecideSubjectRuleSendsAnonymousToSignIn(t *testing.T) {
	e := mustNew(t, Config{
		DefaultPolicy: "bypass",
		Rules: []Rule{
			{Domain: []string{"app.example.com"}, Resources: []string{"^/admin"}, Subject: []string{"group:admins"}, Policy: "deny"},
		},
	})
	tests := []struct {
		name    string
		subject Subject
		path    string
		want    Decision
	}{
		{"anonymous, rule's other conditions match", Subject{}, "/admin", Authenticate},
		{"anonymous, resource does not match", Subject{}, "/home", Allow},
		{"username at LevelNone is anonymous", Subject{Username: "alice", Groups: []string{"admins"}}, "/admin", Authenticate},
		{"member", signedIn("alice", LevelOneFactor, 0, "admins"), "/admin", Deny},
		{"not a member falls through", signedIn("bob", LevelOneFactor, 0, "dev"), "/admin", Allow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := e.Decide(tt.subject, newTestRequest("GET", "app.example.com"+tt.path, "192.0.2.1"))
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDecideMaxAge(t *testing.T) {
	e := mustNew(t, Config{Rules: []Rule{
		{Domain: []string{"app.example.com"}, Policy: "two_factor", MaxAge: 15 * time.Minute},
	}})
	tests := []struct {
		name    string
		subject Subject
		time    time.Time
		want    Decision
	}{
		{"fresh", signedIn("alice", LevelTwoFactor, time.Minute), testNow, Allow},
		{"exactly max_age old", signedIn("alice", LevelTwoFactor, 15*time.Minute), testNow, Allow},
		{"one nanosecond too old", signedIn("alice", LevelTwoFactor, 15*time.Minute+1), testNow, Authenticate},
		{"level too low", signedIn("alice", LevelOneFactor, time.Minute), testNow, Authenticate},
		{"zero AuthTime", Subject{Username: "alice", Level: LevelTwoFactor}, testNow, Authenticate},
		{"zero request time", signedIn("alice", LevelTwoFactor, time.Minute), time.Time{}, Authenticate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRequest("GET", "app.example.com/", "192.0.2.1")
			r.Time = tt.time
			if got := e.Decide(tt.subject, r); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDecideFailsClosed(t *testing.T) {
	e := mustNew(t, Config{
		DefaultPolicy: "deny",
		Rules: []Rule{
			{Methods: []string{"GET"}, Policy: "bypass"},
			{Networks: []string{"0.0.0.0/0", "::/0"}, Policy: "bypass"},
			{Domain: []string{"app.example.com"}, Policy: "one_factor"},
		},
	})
	long := strings.Repeat("a.", 127) + "app.example.com"
	tests := []struct {
		name    string
		subject Subject
		request Request
		want    Decision
	}{
		{"unknown method matches no method rule", Subject{}, Request{Host: "other.org", Method: "FETCH"}, Deny},
		{"empty method matches no method rule", Subject{}, Request{Host: "other.org"}, Deny},
		{"zero IP matches no network rule", Subject{}, Request{Host: "other.org", Method: "POST"}, Deny},
		{"unknown level counts as none", Subject{Username: "alice", Level: 7}, Request{Host: "app.example.com", Method: "POST"}, Authenticate},
		{"host longer than a name matches no domain rule", signedIn("alice", LevelTwoFactor, 0), Request{Host: long, Method: "POST"}, Deny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := e.Decide(tt.subject, tt.request); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	var d Decision
	var p Policy
	if d != Deny || p != Forbid {
		t.Errorf("got zero Decision %v and zero Policy %v, want deny and deny", d, p)
	}
}

func TestDecideDoesNotAllocate(t *testing.T) {
	e := mustNew(t, benchConfig(100))
	_, alice, target := benchTarget(100)
	requests := []Request{
		target,
		newTestRequest("GET", "APP4.Example.COM:8443/api/v1/items?page=2", "10.6.1.1"),
		newTestRequest("post", "x.y.team5.example.com/api/v5/z", "2001:db8::7"),
		newTestRequest("GET", "shared1.example.com/g7/x", "::ffff:10.1.2.3"),
		newTestRequest("DELETE", "unknown.example.org/", ""),
		newTestRequest("GET", strings.Repeat("b", 300)+".example.com/", "192.0.2.1"),
	}
	for _, r := range requests {
		for _, s := range []Subject{{}, alice} {
			e.Decide(s, r) // warm the regexp machine caches
			if got := testing.AllocsPerRun(100, func() { e.Decide(s, r) }); got != 0 {
				t.Errorf("Decide(%q, %s %s%s): got %v allocations, want 0", s.Username, r.Method, r.Host, r.Path, got)
			}
		}
	}
}

// TestDecideIndexAgreesWithLinearScan checks that the host index never changes a
// decision: random configs over a small alphabet of names, every host shape.
func TestDecideIndexAgreesWithLinearScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	labels := []string{"a", "b", "app", "example", "com"}
	randomHost := func() string {
		parts := make([]string, 1+rng.IntN(4))
		for i := range parts {
			parts[i] = labels[rng.IntN(len(labels))]
		}
		return strings.Join(parts, ".")
	}
	policies := []string{"bypass", "one_factor", "two_factor", "deny"}
	subjects := []Subject{{}, signedIn("alice", LevelOneFactor, 0, "dev"), signedIn("bob", LevelTwoFactor, 0)}
	for round := range 200 {
		var cfg Config
		for range 1 + rng.IntN(8) {
			var r Rule
			for range rng.IntN(3) {
				if rng.IntN(2) == 0 {
					r.Domain = append(r.Domain, "*."+randomHost())
				} else {
					r.Domain = append(r.Domain, randomHost())
				}
			}
			if rng.IntN(3) == 0 {
				r.Subject = []string{"group:dev"}
			}
			r.Policy = policies[rng.IntN(len(policies))]
			cfg.Rules = append(cfg.Rules, r)
		}
		e := mustNew(t, cfg)
		for range 50 {
			host := randomHost()
			if rng.IntN(4) == 0 {
				host = strings.ToUpper(host) + ":443"
			}
			r := Request{Host: host, Path: "/", Method: "GET", Time: testNow}
			for _, s := range subjects {
				if got, want := e.Decide(s, r), decideLinear(e, s, r); got != want {
					t.Fatalf("round %d, rules %+v, host %q, subject %q: got %v, want %v (linear scan)", round, cfg.Rules, host, s.Username, got, want)
				}
			}
		}
	}
}

func TestRequestHost(t *testing.T) {
	tests := []struct {
		host string
		want string
	}{
		{"app.example.com", "app.example.com"},
		{"App.Example.COM", "app.example.com"},
		{"app.example.com:8443", "app.example.com"},
		{"app.example.com.", "app.example.com"},
		{"app.example.com.:443", "app.example.com"},
		{"[2001:DB8::1]:443", "2001:db8::1"},
		{"[::1]", "::1"},
		{"::1", "::1"},
		{"[::1", "[::1"},
		{"", ""},
		{strings.Repeat("a", 254), ""},
	}
	for _, tt := range tests {
		var buf [maxHostLen]byte
		if got := string(requestHost(&buf, tt.host)); got != tt.want {
			t.Errorf("requestHost(%q): got %q, want %q", tt.host, got, tt.want)
		}
	}
}

func TestParseNetwork(t *testing.T) {
	tests := []struct {
		in   string
		want string // prefix, or "error"
	}{
		{"10.0.0.0/8", "10.0.0.0/8"},
		{"10.1.2.3/8", "10.0.0.0/8"},
		{"192.0.2.7", "192.0.2.7/32"},
		{"2001:db8::/32", "2001:db8::/32"},
		{"2001:db8::1", "2001:db8::1/128"},
		{"::ffff:10.0.0.0/104", "10.0.0.0/8"},
		{"::ffff:192.0.2.7", "192.0.2.7/32"},
		{"::ffff:0:0/95", "error"},
		{"fe80::1%eth0", "error"},
		{"10.0.0.0/33", "error"},
		{"10.0.0", "error"},
		{"", "error"},
	}
	for _, tt := range tests {
		p, problem := parseNetwork(tt.in)
		got := p.String()
		if problem != "" {
			got = "error"
		}
		if got != tt.want {
			t.Errorf("parseNetwork(%q): got %s (%s), want %s", tt.in, got, problem, tt.want)
		}
	}
}

func TestNetworkMatchesMappedRequest(t *testing.T) {
	e := mustNew(t, Config{Rules: []Rule{{Networks: []string{"10.0.0.0/8"}, Policy: "bypass"}}})
	for _, ip := range []string{"10.1.2.3", "::ffff:10.1.2.3"} {
		r := Request{Host: "app.example.com", IP: netip.MustParseAddr(ip)}
		if got := e.Decide(Subject{}, r); got != Allow {
			t.Errorf("IP %s: got %v, want allow", ip, got)
		}
	}
}

func TestStrings(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{Forbid.String(), "deny"},
		{Bypass.String(), "bypass"},
		{OneFactor.String(), "one_factor"},
		{TwoFactor.String(), "two_factor"},
		{Policy(9).String(), "Policy(9)"},
		{LevelNone.String(), "none"},
		{LevelOneFactor.String(), "one_factor"},
		{LevelTwoFactor.String(), "two_factor"},
		{Level(9).String(), "Level(9)"},
		{Allow.String(), "allow"},
		{Authenticate.String(), "authenticate"},
		{Deny.String(), "deny"},
		{Decision(9).String(), "Decision(9)"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
