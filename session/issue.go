package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Issue stores s under a fresh random 256-bit ID, records it among the
// sessions of s.Username (see EndUser), deletes oldID (if not "" and well
// formed) and drops it from this Manager's cache, and sets the cookie for
// s.Domain on w. Callers use it at every sign-in, level change and elevation, so
// each of them rotates the ID; other instances stop accepting oldID within CacheTTL.
//
// Issue sets s.CreatedAt and s.LastActivity when zero, lower-cases s.Domain, and
// clears s.RememberMe when remember-me is disabled. It returns ErrUnknownDomain
// when s.Domain is not configured and ErrExpired when the lifetime of s, counted
// from s.CreatedAt, is over. The cookie has a Max-Age only for remember-me sessions.
func (m *Manager) Issue(ctx context.Context, w http.ResponseWriter, oldID string, s *Session) error {
	if s == nil {
		return errors.New("session: issuing a nil session")
	}
	d, ok := m.domainNamed(s.Domain)
	if !ok {
		return fmt.Errorf("issuing session: %w %q", ErrUnknownDomain, s.Domain)
	}
	s.Domain = d.Name
	now := m.now()
	if s.CreatedAt.IsZero() {
		s.CreatedAt = now
	}
	if s.LastActivity.IsZero() {
		s.LastActivity = now
	}
	s.RememberMe = m.remembered(s)
	ttl := m.expiresAt(s).Sub(now)
	if ttl <= 0 {
		return fmt.Errorf("issuing session: %w", ErrExpired)
	}
	data, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encoding session: %w", err)
	}
	id := newID()
	h, _ := hashID(id)
	// Indexed first: a session that EndUser could not find must not exist.
	if err := m.index(ctx, s.Username, h, s); err != nil {
		return err
	}
	if err := m.store.Set(ctx, h.key(sessionPrefix), data, ttl); err != nil {
		return fmt.Errorf("storing session: %w", err)
	}
	if old, ok := hashID(oldID); ok {
		if err := m.delete(ctx, old); err != nil {
			return fmt.Errorf("rotating session: %w", err)
		}
	}
	http.SetCookie(w, m.cookie(d, id, m.maxAge(s, ttl)))
	return nil
}

// maxAge is the cookie's Max-Age in seconds: the remaining lifetime for
// remember-me sessions, 0 (a browser-session cookie) for others.
func (m *Manager) maxAge(s *Session, ttl time.Duration) int {
	if !s.RememberMe {
		return 0
	}
	return max(1, int(ttl/time.Second))
}

// Destroy deletes the session id (nothing when id is empty or malformed), drops
// it from this Manager's cache at once (other instances within CacheTTL), and
// expires the session cookie for the cookie domain domain on w. It returns
// ErrUnknownDomain, after deleting, when domain is not configured.
func (m *Manager) Destroy(ctx context.Context, w http.ResponseWriter, id, domain string) error {
	if h, ok := hashID(id); ok {
		if err := m.delete(ctx, h); err != nil {
			return fmt.Errorf("destroying session: %w", err)
		}
	}
	d, ok := m.domainNamed(domain)
	if !ok {
		return fmt.Errorf("destroying session: %w %q", ErrUnknownDomain, domain)
	}
	http.SetCookie(w, m.cookie(d, "", -1))
	return nil
}

// delete removes the session with hash h and its activity record, and drops it
// from the cache, even when the store failed: the next Load asks the store again.
func (m *Manager) delete(ctx context.Context, h hashedID) error {
	defer m.cache.invalidate(h)
	if err := m.store.Delete(ctx, h.key(sessionPrefix)); err != nil {
		return err
	}
	return m.store.Delete(ctx, h.key(activityPrefix))
}

// cookie returns the session cookie for d. maxAge 0 makes a browser-session
// cookie; a negative one expires the cookie.
func (m *Manager) cookie(d Domain, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     m.name,
		Value:    value,
		Path:     "/",
		Domain:   d.Name,
		MaxAge:   maxAge,
		Secure:   d.secure(),
		HttpOnly: true,
		SameSite: m.sameSite,
	}
}

// PutState stores single-use ceremony state (a WebAuthn challenge, an identity
// code) under key for ttl, in a namespace apart from sessions. The store holds a
// hash of key, not key itself.
func (m *Manager) PutState(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if key == "" {
		return errors.New("session: empty state key")
	}
	if err := m.store.Set(ctx, stateKey(key), value, ttl); err != nil {
		return fmt.Errorf("storing state: %w", err)
	}
	return nil
}

// TakeState returns and removes the state under key. It returns ErrNotFound when
// the state is absent, expired or already taken: of concurrent takers, one wins.
func (m *Manager) TakeState(ctx context.Context, key string) ([]byte, error) {
	v, err := m.store.Take(ctx, stateKey(key))
	if errors.Is(err, ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("taking state: %w", err)
	}
	return v, nil
}

// Close writes the activity records still queued (for at most a few seconds:
// see activityWriter.close) and closes the store.
func (m *Manager) Close() error {
	m.activity.close()
	return m.store.Close()
}
