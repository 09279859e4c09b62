package webauthn

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	gowebauthn "github.com/go-webauthn/webauthn/webauthn"
)

// ceremony names what a state was begun for; a state only finishes its own kind.
type ceremony string

const (
	ceremonyRegistration ceremony = "registration"
	ceremonyLogin        ceremony = "login"
	ceremonyPasskey      ceremony = "passkey"
)

// state is what a Begin hands the caller to keep server-side until Finish.
// The caller stores the encoded bytes under its session (PutState) and takes
// them back once (TakeState); it never goes to the browser.
type state struct {
	Ceremony ceremony `json:"ceremony"`
	// User is the username the ceremony was begun for; "" for a passkey sign-in.
	User string `json:"user,omitempty"`
	// Description is the name asked for at BeginRegistration.
	Description string `json:"description,omitempty"`
	// UserVerification is the requirement Keygate enforces itself.
	UserVerification string    `json:"user_verification"`
	Expires          time.Time `json:"expires"`
	// Session is the library's record of the challenge and options.
	Session gowebauthn.SessionData `json:"session"`
}

func (r *RP) newState(c ceremony, user string, s *gowebauthn.SessionData) state {
	expires := r.now().Add(r.cfg.Timeout)
	s.Expires = expires
	return state{
		Ceremony:         c,
		User:             user,
		UserVerification: string(s.UserVerification),
		Expires:          expires,
		Session:          *s,
	}
}

func (st state) encode() ([]byte, error) { return json.Marshal(st) }

// openState decodes raw and checks that it is for ceremony c and user, that it
// has not expired and that its challenge was never offered to Finish before.
// A challenge counts as used from here on, whatever the outcome.
func (r *RP) openState(ctx context.Context, raw []byte, c ceremony, user string) (state, error) {
	var st state
	if err := json.Unmarshal(raw, &st); err != nil || st.Session.Challenge == "" {
		return state{}, ErrChallengeExpired.withf("unreadable ceremony state")
	}
	if st.Ceremony != c || st.User != user {
		return state{}, ErrChallengeMismatch.withf("state for %s of %q used for %s of %q", st.Ceremony, st.User, c, user)
	}
	now := r.now()
	if !now.Before(st.Expires) {
		return state{}, ErrChallengeExpired.withf("state expired at %s", st.Expires.Format(time.RFC3339))
	}
	fresh, err := r.useChallenge(ctx, st.Session.Challenge, st.Expires, now)
	if err != nil {
		return state{}, err
	}
	if !fresh {
		return state{}, ErrChallengeExpired.withf("challenge already used")
	}
	return st, nil
}

// ReplayGuard records keys once across every replica (Redis); see
// RP.ShareReplayGuard.
type ReplayGuard interface {
	// Claim records key for ttl and reports whether it was not recorded yet.
	Claim(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

// ShareReplayGuard makes Finish record the challenges it has seen in g, which
// every replica shares, instead of in this process's memory. Call it before
// the RP serves.
func (r *RP) ShareReplayGuard(g ReplayGuard) {
	r.guard = g
}

// useChallenge records challenge as seen until expires and reports whether
// it was new: in the shared guard when there is one, in memory otherwise.
func (r *RP) useChallenge(ctx context.Context, challenge string, expires, now time.Time) (bool, error) {
	if r.guard == nil {
		return r.spent.use(challenge, expires, now), nil
	}
	fresh, err := r.guard.Claim(ctx, "challenge:"+challenge, expires.Sub(now))
	if err != nil {
		return false, fmt.Errorf("recording the challenge: %w", err)
	}
	return fresh, nil
}

// spentSet remembers the challenges Finish has seen until they expire. The
// caller's TakeState already makes state single-use; this is a second,
// per-process line of defence against a state replayed by a faulty caller.
type spentSet struct {
	mu        sync.Mutex
	seen      map[string]time.Time
	pruneSize int // prune expired entries when the set reaches this size
}

func newSpentSet() *spentSet { return &spentSet{seen: map[string]time.Time{}, pruneSize: 1024} }

// use records challenge and reports whether it was new. Expired entries are
// pruned whenever the set has doubled, so the cost per call stays constant.
func (s *spentSet) use(challenge string, expires, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.seen) >= s.pruneSize {
		for c, exp := range s.seen {
			if !now.Before(exp) {
				delete(s.seen, c)
			}
		}
		s.pruneSize = max(1024, 2*len(s.seen))
	}
	if _, ok := s.seen[challenge]; ok {
		return false
	}
	s.seen[challenge] = expires
	return true
}
