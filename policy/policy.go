package policy

import (
	"net/netip"
	"strconv"
	"time"
)

// Policy is what a rule requires of the requests it matches. The zero value is
// Forbid, so a Policy nobody set fails closed.
type Policy uint8

// The policies, in config spelling: deny, bypass, one_factor, two_factor.
const (
	// Forbid is the deny policy: the request is refused, whoever makes it.
	Forbid Policy = iota
	// Bypass lets the request through without signing in.
	Bypass
	// OneFactor requires a subject at LevelOneFactor or above.
	OneFactor
	// TwoFactor requires a subject at LevelTwoFactor.
	TwoFactor
)

// String returns the config spelling: bypass, one_factor, two_factor or deny.
func (p Policy) String() string {
	switch p {
	case Forbid:
		return "deny"
	case Bypass:
		return "bypass"
	case OneFactor:
		return "one_factor"
	case TwoFactor:
		return "two_factor"
	}
	return "Policy(" + strconv.Itoa(int(p)) + ")"
}

// parsePolicy maps the config spelling to a Policy.
func parsePolicy(s string) (Policy, bool) {
	switch s {
	case "deny":
		return Forbid, true
	case "bypass":
		return Bypass, true
	case "one_factor":
		return OneFactor, true
	case "two_factor":
		return TwoFactor, true
	}
	return Forbid, false
}

// Level is how strongly a subject has authenticated, in the same order as the
// session's level. Values above LevelTwoFactor are unknown and count as LevelNone.
type Level uint8

// The levels, weakest first.
const (
	// LevelNone is a subject that has not signed in.
	LevelNone Level = iota
	// LevelOneFactor is a subject signed in with one factor.
	LevelOneFactor
	// LevelTwoFactor is a subject signed in with two factors.
	LevelTwoFactor
)

// String returns none, one_factor or two_factor.
func (l Level) String() string {
	switch l {
	case LevelNone:
		return "none"
	case LevelOneFactor:
		return "one_factor"
	case LevelTwoFactor:
		return "two_factor"
	}
	return "Level(" + strconv.Itoa(int(l)) + ")"
}

// Subject is who makes a request, as the session knows them.
type Subject struct {
	// Username is the signed-in user. Empty means anonymous.
	Username string
	// Groups are the user's groups. Nil means none.
	Groups []string
	// Level is how strongly the user has authenticated. LevelNone means anonymous,
	// whatever Username says.
	Level Level
	// AuthTime is when the factor that reached Level was last used. The zero time
	// never satisfies a rule's max_age.
	AuthTime time.Time
	// Keys are the session's WebAuthn factors, which a rule's require judges. Nil
	// meets no require.
	Keys []Factor
	// Token reports a subject proven by an API token rather than a session: only
	// rules with tokens: allow let it through (their level, max_age and require
	// count as met: the token was minted after a fresh step-up), and every
	// other rule that would allow or ask to sign in asks again (Authenticate).
	Token bool
}

// anonymous reports whether the subject has no proven identity.
func (s Subject) anonymous() bool {
	return s.Username == "" || s.level() == LevelNone
}

// level returns the subject's level, with unknown values counted as LevelNone.
func (s Subject) level() Level {
	if s.Username == "" || s.Level > LevelTwoFactor {
		return LevelNone
	}
	return s.Level
}

// Request is the original request the proxy asks about.
type Request struct {
	// Host is the requested host, possibly with a port. Empty matches only rules
	// without domain.
	Host string
	// Path is the request target: the path, then "?" and the query when the query is
	// not empty. A lone trailing "?" is ignored.
	Path string
	// Method is the HTTP method, compared case-insensitively. Empty or unknown
	// matches only rules without methods.
	Method string
	// IP is the client's address. The zero Addr matches only rules without networks.
	IP netip.Addr
	// Time is when the request is decided, for max_age. The zero time never
	// satisfies a rule's max_age.
	Time time.Time
}

// Decision is the engine's answer for one request. The zero value is Deny.
type Decision uint8

// The decisions.
const (
	// Deny refuses the request.
	Deny Decision = iota
	// Allow lets the request through.
	Allow
	// Authenticate sends the user to sign in: not signed in, level too low, or the
	// factor older than the rule's max_age.
	Authenticate
	// StepUp sends a signed-in user at the right level to prove a factor that
	// meets the rule's require (Verdict.Require says what): not a refusal.
	StepUp
)

// String returns allow, authenticate, step_up or deny.
func (d Decision) String() string {
	switch d {
	case Deny:
		return "deny"
	case Allow:
		return "allow"
	case Authenticate:
		return "authenticate"
	case StepUp:
		return "step_up"
	}
	return "Decision(" + strconv.Itoa(int(d)) + ")"
}
