package policy

import (
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"
)

// knownMethods are the HTTP methods a rule may list: RFC 9110, PATCH, and the
// WebDAV and CalDAV methods file and calendar apps use. A rule's method set is a
// bit mask over this list.
var knownMethods = [...]string{
	"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE",
	"PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "REPORT",
	"SEARCH", "MKCALENDAR",
}

// methodBit returns the bit of method m, compared case-insensitively, or 0 when m
// is not a known method.
func methodBit(m string) uint32 {
	for i, k := range knownMethods {
		if strings.EqualFold(m, k) {
			return 1 << i
		}
	}
	return 0
}

// rule is one compiled rule. An empty condition matches everything.
type rule struct {
	hosts     []string // exact hosts, canonical
	suffixes  []string // wildcards as ".example.com"
	resources []resource
	methods   uint32 // bit mask over knownMethods; 0 means any
	networks  []netip.Prefix
	users     []string
	groups    []string
	policy    Policy
	maxAge    time.Duration
	require   *Requirement // nil: no require
	tokens    bool
}

// request is a Request in the form rules compare against, host aside (see
// requestHost).
type request struct {
	path   string
	method uint32
	ip     netip.Addr
	time   time.Time
}

// newRequest canonicalises r's path, method and IP.
func newRequest(r Request) request {
	return request{
		path:   strings.TrimSuffix(r.Path, "?"),
		method: methodBit(r.Method),
		ip:     r.IP.Unmap().WithZone(""),
		time:   r.Time,
	}
}

// anyHost reports whether the rule has no domain condition.
func (r *rule) anyHost() bool {
	return len(r.hosts) == 0 && len(r.suffixes) == 0
}

// matchesHost reports whether host (canonical) satisfies the domain condition.
// The engine's index answers the same question faster; tests compare the two.
func (r *rule) matchesHost(host string) bool {
	if r.anyHost() || slices.Contains(r.hosts, host) {
		return true
	}
	for _, s := range r.suffixes {
		if wildcardMatches(s, host) {
			return true
		}
	}
	return false
}

// wildcardMatches reports whether a wildcard suffix such as ".example.com" matches
// host: a subdomain at any depth, never the suffix's own apex.
func wildcardMatches(suffix, host string) bool {
	return len(host) > len(suffix) && strings.HasSuffix(host, suffix)
}

// matchesMethod reports whether the method condition holds for bit.
func (r *rule) matchesMethod(bit uint32) bool {
	return r.methods == 0 || r.methods&bit != 0
}

// matchesNetwork reports whether the networks condition holds for ip.
func (r *rule) matchesNetwork(ip netip.Addr) bool {
	if len(r.networks) == 0 {
		return true
	}
	for _, p := range r.networks {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// matchesResource reports whether the resources condition holds for target,
// the request's "path?query". A regex holds when it matches the whole target or
// the path alone, so a query string cannot take a request out of a rule written
// for a path: "^/admin(/|$)" covers "/admin?x=1" too.
func (r *rule) matchesResource(target string) bool {
	if len(r.resources) == 0 {
		return true
	}
	path := target
	if i := strings.IndexByte(target, '?'); i >= 0 {
		path = target[:i]
	}
	for _, res := range r.resources {
		if res.matches(target) || (len(path) < len(target) && res.matches(path)) {
			return true
		}
	}
	return false
}

// resource is one compiled resources regex.
type resource struct {
	re *regexp.Regexp
	// literal is a string every match contains (the regex's literal prefix),
	// checked before running the regex; "" when there is none.
	literal string
}

// newResource wraps a compiled regex.
func newResource(re *regexp.Regexp) resource {
	literal, _ := re.LiteralPrefix()
	return resource{re: re, literal: literal}
}

// matches reports whether the regex matches path. Most paths a rule does not
// cover miss its literal, which is far cheaper to find than to run the regex.
func (res resource) matches(path string) bool {
	return strings.Contains(path, res.literal) && res.re.MatchString(path)
}

// hasSubjects reports whether the rule has a subject condition.
func (r *rule) hasSubjects() bool {
	return len(r.users) != 0 || len(r.groups) != 0
}

// matchesSubject reports whether s is one of the rule's users or in one of its
// groups. Callers check for anonymous subjects first.
func (r *rule) matchesSubject(s Subject) bool {
	if slices.Contains(r.users, s.Username) {
		return true
	}
	for _, g := range r.groups {
		if slices.Contains(s.Groups, g) {
			return true
		}
	}
	return false
}

// decide returns the rule's verdict for q made by s, or false when the rule does
// not match q (its domain aside: the caller checks that). A rule with subjects
// whose other conditions match an anonymous subject decides Authenticate.
func (r *rule) decide(q *request, s Subject, anonymous bool) (Verdict, bool) {
	if !r.matchesMethod(q.method) || !r.matchesNetwork(q.ip) {
		return Verdict{}, false
	}
	if r.hasSubjects() && !anonymous && !r.matchesSubject(s) {
		return Verdict{}, false
	}
	if !r.matchesResource(q.path) {
		return Verdict{}, false
	}
	v := Verdict{Decision: Authenticate, Require: r.require, Tokens: r.tokens}
	if r.hasSubjects() && anonymous {
		return v, true
	}
	v.Decision = r.verdict(s, q.time)
	return v, true
}

// verdict applies the rule's policy, max_age, require and tokens to s at now.
func (r *rule) verdict(s Subject, now time.Time) Decision {
	d := verdict(r.policy, r.maxAge, s, now)
	switch {
	case s.Token && d != Deny && r.policy != Bypass:
		return tokenVerdict(r.tokens, s)
	case d == Allow && r.require != nil && !r.require.metBy(s, now):
		return StepUp
	}
	return d
}

// tokenVerdict is the decision for a subject proven by a token on a rule that
// asks to sign in: only tokens: allow lets it through.
func tokenVerdict(allowed bool, s Subject) Decision {
	if allowed && !s.anonymous() {
		return Allow
	}
	return Authenticate
}

// verdict applies policy p, with freshness limit maxAge (0 for none), to s at now.
func verdict(p Policy, maxAge time.Duration, s Subject, now time.Time) Decision {
	var need Level
	switch p {
	case Bypass:
		return Allow
	case OneFactor:
		need = LevelOneFactor
	case TwoFactor:
		need = LevelTwoFactor
	default:
		return Deny
	}
	if s.Token {
		return Authenticate // the rule decides whether a token will do
	}
	if s.anonymous() || s.level() < need {
		return Authenticate
	}
	if maxAge > 0 && !fresh(s.AuthTime, now, maxAge) {
		return Authenticate
	}
	return Allow
}

// fresh reports whether a factor used at authTime is at most maxAge old at now.
// Either time being zero means not fresh.
func fresh(authTime, now time.Time, maxAge time.Duration) bool {
	if authTime.IsZero() || now.IsZero() {
		return false
	}
	return now.Sub(authTime) <= maxAge
}
