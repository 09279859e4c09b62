package authz

import (
	"strings"

	"github.com/keygate/keygate/session"
)

// hdrRemoteAMR carries the authentication methods of an allowed answer: the
// header Remote-AMR, in the canonical form Go's header map looks it up by.
const hdrRemoteAMR = "Remote-Amr"

// The RFC 8176 methods Remote-AMR names, as bits in the order written.
const (
	amrPwd  = 1 << iota // a password
	amrHwk              // a device-bound credential: the key never leaves its authenticator
	amrSwk              // a backup-eligible (synced) credential
	amrUser             // the authenticator verified the user (PIN or biometrics)
	amrMFA              // the session is two_factor
	amrAll  = amrMFA<<1 - 1
)

// amrNames are the values of the bits above, in the same order.
var amrNames = [...]string{"pwd", "hwk", "swk", "user", "mfa"}

// amrTable holds the header value of every combination of bits, built once so
// that an allowed answer never builds one.
type amrTable [amrAll + 1][]string

// newAMRTable renders every combination: "pwd,hwk,mfa" and so on.
func newAMRTable() *amrTable {
	var t amrTable
	for bits := range t {
		var names []string
		for i, name := range amrNames {
			if bits&(1<<i) != 0 {
				names = append(names, name)
			}
		}
		t[bits] = []string{strings.Join(names, ",")}
	}
	return &t
}

// amrBits are the methods session s was proven with; 0 for no session (a
// bypass rule). A token subject shows none: it proved no method now.
func amrBits(s *session.Session, level session.Level) int {
	if s == nil {
		return 0
	}
	bits := 0
	for _, f := range s.Factors {
		bits |= factorBits(f)
	}
	if level == session.LevelTwoFactor {
		bits |= amrMFA
	}
	return bits
}

// factorBits are the methods one factor shows.
func factorBits(f session.Factor) int {
	switch f.Method {
	case session.MethodPassword:
		return amrPwd
	case session.MethodWebAuthn, session.MethodPasskey:
		bits := amrSwk
		if f.DeviceBound {
			bits = amrHwk
		}
		if f.UserVerified {
			bits |= amrUser
		}
		return bits
	}
	return 0
}
