package policy

import (
	"slices"
	"strconv"
	"time"
)

// Attachment is how the authenticator that gave a factor is attached to the
// client, in config spelling. The zero value is AnyAttachment.
type Attachment uint8

// The attachments a rule may require.
const (
	// AnyAttachment sets no condition.
	AnyAttachment Attachment = iota
	// Platform is an authenticator built into the device (Touch ID, Windows Hello).
	Platform
	// CrossPlatform is a roaming authenticator: a security key over USB, NFC or BLE.
	CrossPlatform
)

// String returns "", platform or cross-platform.
func (a Attachment) String() string {
	switch a {
	case AnyAttachment:
		return ""
	case Platform:
		return "platform"
	case CrossPlatform:
		return "cross-platform"
	}
	return "Attachment(" + strconv.Itoa(int(a)) + ")"
}

// Requirement is what a rule's require asks of the WebAuthn factor a session
// used: one factor of the session must meet every condition set. The zero
// Requirement sets none.
type Requirement struct {
	// UserVerification requires the authenticator's UV flag (PIN or biometrics).
	UserVerification bool
	// DeviceBound requires a credential that cannot leave its authenticator: not
	// backup eligible, so never synced.
	DeviceBound bool
	// Attachment requires the credential's registered attachment; AnyAttachment
	// sets no condition.
	Attachment Attachment
	// AAGUIDs, when not empty, list the authenticator models allowed, as
	// canonical lower-case UUIDs.
	AAGUIDs []string
	// MaxAge, when set, requires the qualifying factor to be at most this old.
	MaxAge time.Duration
}

// IsZero reports whether the requirement sets no condition.
func (q *Requirement) IsZero() bool {
	return !q.UserVerification && !q.DeviceBound && q.Attachment == AnyAttachment &&
		len(q.AAGUIDs) == 0 && q.MaxAge == 0
}

// Factor is one WebAuthn factor of a subject's session, as require judges it.
type Factor struct {
	// UserVerified is the UV flag of the assertion.
	UserVerified bool
	// DeviceBound reports a credential that is not backup eligible. False when
	// unknown, which never satisfies device_bound.
	DeviceBound bool
	// Attachment is the credential's registered attachment: "platform",
	// "cross-platform" or "" when unknown.
	Attachment string
	// AAGUID is the authenticator model as a canonical lower-case UUID; "" when
	// unknown.
	AAGUID string
	// At is when the factor was given. The zero time never satisfies a max_age.
	At time.Time
}

// Meets reports whether factor f satisfies q at now.
func (q *Requirement) Meets(f Factor, now time.Time) bool {
	switch {
	case q.UserVerification && !f.UserVerified:
		return false
	case q.DeviceBound && !f.DeviceBound:
		return false
	case q.Attachment != AnyAttachment && f.Attachment != q.Attachment.String():
		return false
	case len(q.AAGUIDs) > 0 && !slices.Contains(q.AAGUIDs, f.AAGUID):
		return false
	case q.MaxAge > 0 && !fresh(f.At, now, q.MaxAge):
		return false
	}
	return true
}

// metBy reports whether any of the subject's factors satisfies q at now. A
// rule without require is met by every subject.
func (q *Requirement) metBy(s Subject, now time.Time) bool {
	if q.IsZero() {
		return true
	}
	for _, f := range s.Keys {
		if q.Meets(f, now) {
			return true
		}
	}
	return false
}

// Verdict is the engine's full answer for one request: the decision, and what
// the rule that decided asks for. The zero value is Deny by no rule.
type Verdict struct {
	// Decision is what to do with the request.
	Decision Decision
	// Require is the deciding rule's require; nil when no rule decided or the
	// rule sets none. When Decision is StepUp it says what the factor lacks.
	Require *Requirement
	// Tokens reports that the deciding rule accepts API tokens (tokens: allow).
	// The default policy never does.
	Tokens bool
	// Rule is the index of the deciding rule in the order of
	// access_control.rules, or DefaultRule when default_policy decided.
	Rule int
}
