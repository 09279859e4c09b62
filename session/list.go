package session

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ErrAmbiguous is returned by EndSession for a handle prefix that names more
// than one of the user's sessions.
var ErrAmbiguous = errors.New("session: handle names more than one session")

// minHandle is the shortest handle prefix EndSession accepts.
const minHandle = 8

// Info describes one stored session for the admin commands. It holds no session
// ID: Handle is the hex SHA-256 of the ID, the name the store keeps it under,
// which can end the session but never stands in for its cookie.
type Info struct {
	Handle     string    `json:"id"`
	Username   string    `json:"user"`
	Domain     string    `json:"domain"`
	Level      string    `json:"level"`
	Factors    []string  `json:"factors"`
	RememberMe bool      `json:"remember_me"`
	IP         string    `json:"ip"`
	UserAgent  string    `json:"user_agent"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeen   time.Time `json:"last_seen"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// keyLister is what a Store offers to list every key under a prefix; both
// stores have it. Listing is for admin commands, never for a request.
type keyLister interface {
	// Keys returns the live keys that begin with prefix, in no particular order.
	Keys(ctx context.Context, prefix string) ([]string, error)
}

// UserSessions lists the live sessions of username, oldest first.
func (m *Manager) UserSessions(ctx context.Context, username string) ([]Info, error) {
	members, err := m.store.Members(ctx, userSet(username))
	if err != nil {
		return nil, fmt.Errorf("listing sessions of %s: %w", username, err)
	}
	return m.infos(ctx, members)
}

// AllSessions lists every live session, oldest first.
func (m *Manager) AllSessions(ctx context.Context) ([]Info, error) {
	handles, err := m.handles(ctx)
	if err != nil {
		return nil, err
	}
	return m.infos(ctx, handles)
}

// handles lists the hex hashes of every stored session.
func (m *Manager) handles(ctx context.Context) ([]string, error) {
	kl, ok := m.store.(keyLister)
	if !ok {
		return nil, errors.New("session: this store cannot list its sessions")
	}
	keys, err := kl.Keys(ctx, sessionPrefix)
	if err != nil {
		return nil, fmt.Errorf("listing sessions: %w", err)
	}
	for i, k := range keys {
		keys[i] = strings.TrimPrefix(k, sessionPrefix)
	}
	return keys, nil
}

// infos reads the sessions named by handles, skipping the ones gone or expired.
func (m *Manager) infos(ctx context.Context, handles []string) ([]Info, error) {
	out := make([]Info, 0, len(handles))
	now := m.now()
	for _, handle := range handles {
		h, ok := parseHandle(handle)
		if !ok {
			continue
		}
		s, err := m.read(ctx, h)
		if err != nil {
			return nil, err
		}
		if s == nil || !now.Before(m.expiresAt(s)) {
			continue
		}
		e := newCached(s, now)
		if err := m.readActivity(ctx, h, e); err != nil {
			return nil, err
		}
		if m.idle(e, now) {
			continue
		}
		out = append(out, m.info(handle, s, e.lastActivity()))
	}
	slices.SortFunc(out, func(a, b Info) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

func (m *Manager) info(handle string, s *Session, lastSeen time.Time) Info {
	factors := make([]string, len(s.Factors))
	for i, f := range s.Factors {
		factors[i] = string(f.Method)
	}
	return Info{
		Handle: handle, Username: s.Username, Domain: s.Domain, Level: s.Level().String(),
		Factors: factors, RememberMe: m.remembered(s), IP: s.ClientIP, UserAgent: s.UserAgent,
		CreatedAt: s.CreatedAt, LastSeen: lastSeen, ExpiresAt: m.expiresAt(s),
	}
}

// parseHandle decodes the hex hash of a session ID.
func parseHandle(handle string) (hashedID, bool) {
	var h hashedID
	n, err := hex.Decode(h[:], []byte(handle))
	return h, err == nil && n == len(h)
}

// EndSession ends the session of username whose handle (Info.Handle) is or
// begins with handle (at least 8 hex digits), and returns its full handle. It
// returns ErrNotFound when no live session of username matches, and
// ErrAmbiguous when several do. This instance stops accepting it at once,
// others within CacheTTL.
func (m *Manager) EndSession(ctx context.Context, username, handle string) (string, error) {
	handle = strings.ToLower(handle)
	if len(handle) < minHandle {
		return "", fmt.Errorf("session handle %q: %w (give at least %d hex digits)", handle, ErrNotFound, minHandle)
	}
	set := userSet(username)
	members, err := m.store.Members(ctx, set)
	if err != nil {
		return "", fmt.Errorf("listing sessions of %s: %w", username, err)
	}
	var match []string
	for _, member := range members {
		if strings.HasPrefix(member, handle) {
			match = append(match, member)
		}
	}
	switch {
	case len(match) == 0:
		return "", fmt.Errorf("session %s of %s: %w", handle, username, ErrNotFound)
	case len(match) > 1:
		return "", fmt.Errorf("session %s of %s: %w", handle, username, ErrAmbiguous)
	}
	h, ok := parseHandle(match[0])
	if !ok {
		return "", fmt.Errorf("session %s of %s: %w", handle, username, ErrNotFound)
	}
	if err := m.delete(ctx, h); err != nil {
		return "", fmt.Errorf("ending session: %w", err)
	}
	if err := m.store.RemoveMembers(ctx, set, match[0]); err != nil {
		return "", fmt.Errorf("ending session: %w", err)
	}
	return match[0], nil
}

// EndAll ends every session of every user and returns how many it ended.
// Each user's set is emptied too, so the index holds no dead members.
func (m *Manager) EndAll(ctx context.Context) (int, error) {
	infos, err := m.AllSessions(ctx)
	if err != nil {
		return 0, err
	}
	users := map[string]bool{}
	for _, in := range infos {
		users[strings.ToLower(in.Username)] = true
	}
	var errs []error
	for u := range users {
		if _, err := m.EndUser(ctx, u); err != nil {
			errs = append(errs, err)
		}
	}
	// Sessions issued before the per-user index existed are in no set.
	handles, err := m.handles(ctx)
	if err != nil {
		return 0, errors.Join(append(errs, err)...)
	}
	for _, handle := range handles {
		if h, ok := parseHandle(handle); ok {
			if err := m.delete(ctx, h); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return len(infos), errors.Join(errs...)
}
