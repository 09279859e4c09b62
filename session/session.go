package session

import (
	"slices"
	"strings"
	"time"
)

// Level is how strongly a session's user has proven who they are.
type Level uint8

// The levels, weakest first.
const (
	LevelNone Level = iota
	LevelOneFactor
	LevelTwoFactor
)

// String returns the level's name in the API: none, one_factor or two_factor.
func (l Level) String() string {
	switch l {
	case LevelOneFactor:
		return "one_factor"
	case LevelTwoFactor:
		return "two_factor"
	default:
		return "none"
	}
}

// Method names how a factor was proven.
type Method string

// The factor methods.
const (
	// MethodPassword is a password checked against the users file.
	MethodPassword Method = "password"
	// MethodWebAuthn is a WebAuthn assertion for a known user (security key as a second factor).
	MethodWebAuthn Method = "webauthn"
	// MethodPasskey is a WebAuthn assertion with a discoverable credential that named the user.
	MethodPasskey Method = "passkey"
)

// Factor is one proof the user gave in this session.
type Factor struct {
	Method Method    `json:"method"`
	At     time.Time `json:"at"`
	// CredentialID is the WebAuthn credential used, for WebAuthn and passkey factors.
	CredentialID []byte `json:"credential_id,omitempty"`
	// UserVerified reports the authenticator's UV flag for WebAuthn and passkey factors.
	UserVerified bool `json:"user_verified,omitempty"`
	// Attachment is the authenticator attachment reported at registration ("platform", "cross-platform" or "").
	Attachment string `json:"attachment,omitempty"`
	// DeviceBound reports a WebAuthn credential that is not backup eligible, so
	// never synced off its authenticator. False when unknown (sessions issued
	// before it was recorded), which never satisfies a rule's device_bound.
	DeviceBound bool `json:"device_bound,omitempty"`
	// AAGUID is the authenticator model of a WebAuthn factor as a lower-case
	// UUID; "" when unknown. Unattested registrations report it unchecked.
	AAGUID string `json:"aaguid,omitempty"`
	// MultiFactor is set by the relying party when this factor alone is worth two
	// (a passkey with user verification under passkey_uv_two_factor).
	MultiFactor bool `json:"multi_factor,omitempty"`
}

// Session is what a signed-in browser holds. It is stored under a hash of its ID;
// the ID itself lives only in the cookie.
type Session struct {
	Username    string   `json:"username"`
	DisplayName string   `json:"display_name,omitempty"`
	Email       string   `json:"email,omitempty"`
	Groups      []string `json:"groups,omitempty"`
	// Domain is the cookie domain the session was issued for.
	Domain  string   `json:"domain"`
	Factors []Factor `json:"factors,omitempty"`
	// RememberMe extends the lifetime to Config.RememberMe and disables the inactivity limit.
	RememberMe bool `json:"remember_me,omitempty"`
	// ElevatedUntil is when an identity check (one-time code or invite) stops
	// allowing credential changes. Zero means not elevated.
	ElevatedUntil time.Time `json:"elevated_until,omitzero"`
	CreatedAt     time.Time `json:"created_at"`
	LastActivity  time.Time `json:"last_activity"`
	// ClientIP and UserAgent are the client's address and User-Agent at the
	// latest issue, for the admin's list of sessions; "" when unknown.
	ClientIP  string `json:"ip,omitempty"`
	UserAgent string `json:"user_agent,omitempty"`
}

// maxUserAgent bounds the User-Agent a session keeps, in bytes.
const maxUserAgent = 256

// SetClient records the client's address and User-Agent (cut to 256 bytes,
// control characters dropped), as the admin's list of sessions shows them.
func (s *Session) SetClient(ip, userAgent string) {
	s.ClientIP = ip
	ua := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, userAgent)
	if len(ua) > maxUserAgent {
		ua = strings.ToValidUTF8(ua[:maxUserAgent], "")
	}
	s.UserAgent = ua
}

// Level derives the session's level from its factors: no factor is none; a
// password and a WebAuthn factor together, or one MultiFactor factor, are
// two_factor; anything else is one_factor.
func (s *Session) Level() Level {
	if s == nil || s.Username == "" || len(s.Factors) == 0 {
		return LevelNone
	}
	var knows, has bool
	for _, f := range s.Factors {
		if f.MultiFactor {
			return LevelTwoFactor
		}
		switch f.Method {
		case MethodPassword:
			knows = true
		case MethodWebAuthn, MethodPasskey:
			has = true
		}
	}
	if knows && has {
		return LevelTwoFactor
	}
	return LevelOneFactor
}

// AuthTime is when the most recent factor was given: the freshness that step-up
// rules (max_age) check. It is zero for a session without factors.
func (s *Session) AuthTime() time.Time {
	var t time.Time
	for _, f := range s.Factors {
		if f.At.After(t) {
			t = f.At
		}
	}
	return t
}

// HasMethod reports whether the session holds a factor of method m.
func (s *Session) HasMethod(m Method) bool {
	return slices.ContainsFunc(s.Factors, func(f Factor) bool { return f.Method == m })
}

// Elevated reports whether an identity check still allows credential changes at now.
func (s *Session) Elevated(now time.Time) bool {
	return now.Before(s.ElevatedUntil)
}

// sessionCopy is a Session with room for the groups, factors and credential IDs
// of a typical one, so that a copy costs one allocation.
type sessionCopy struct {
	s       Session
	groups  [4]string
	factors [3]Factor
	ids     [128]byte
}

// clone returns a deep copy of s: the caller may change any of it, slices
// included, without touching s. Nil slices stay nil.
func (s *Session) clone() *Session {
	c := new(sessionCopy)
	c.s = *s
	c.s.Groups = cloneInto(c.groups[:], s.Groups)
	c.s.Factors = cloneInto(c.factors[:], s.Factors)
	ids := c.ids[:]
	for i := range c.s.Factors {
		f := &c.s.Factors[i]
		fits := len(f.CredentialID) <= len(ids)
		f.CredentialID = cloneInto(ids, f.CredentialID)
		if fits {
			ids = ids[len(f.CredentialID):]
		}
	}
	return &c.s
}

// cloneInto copies src into the start of room when it fits there and into a new
// array otherwise. The copy's capacity is its length, so that appending to it
// never writes into room. A nil src gives nil.
func cloneInto[T any](room, src []T) []T {
	if src == nil {
		return nil
	}
	if len(src) > len(room) {
		return slices.Clone(src)
	}
	n := copy(room, src)
	return room[:n:n]
}
