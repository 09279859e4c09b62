package session

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Errors of the Manager, besides ErrNotFound.
var (
	// ErrUnknownDomain is returned by Issue and Destroy for a cookie domain that is not configured.
	ErrUnknownDomain = errors.New("session: unknown cookie domain")
	// ErrExpired is returned by Issue for a session whose lifetime, counted from
	// its CreatedAt, is already over.
	ErrExpired = errors.New("session: lifetime over")
)

// Manager issues, loads and destroys login sessions, sets their cookies, and keeps
// single-use ceremony state, all in one Store. It is safe for concurrent use.
type Manager struct {
	name       string
	sameSite   http.SameSite
	expiration time.Duration
	inactivity time.Duration
	rememberMe time.Duration
	domains    []Domain
	store      Store
	logger     *slog.Logger
	gate       *activityGate
	activity   *activityWriter
	cache      *sessionCache
	voucher    cacheVoucher     // nil: the store cannot vouch for the cache
	vouchOnce  sync.Once        // the voucher starts at the first Load, not for admin commands
	ephemeral  States           // see EphemeralStates
	now        func() time.Time // time.Now; tests replace it
}

// NewManager validates cfg, applies its defaults, and returns a Manager that keeps
// sessions in store. The Manager owns store: Close closes it.
func NewManager(cfg Config, store Store, logger *slog.Logger) (*Manager, error) {
	if store == nil {
		return nil, errors.New("session: no store")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid session config: %w", err)
	}
	inactivity := orDefault(cfg.Inactivity, DefaultInactivity)
	gate := newActivityGate(min(inactivity/10, time.Minute))
	logger = logger.With("component", "session")
	m := &Manager{
		name:       cmp.Or(cfg.Name, DefaultCookieName),
		sameSite:   sameSite(cfg.SameSite),
		expiration: orDefault(cfg.Expiration, DefaultExpiration),
		inactivity: inactivity,
		rememberMe: cfg.RememberMe,
		domains:    resolveDomains(cfg),
		store:      store,
		logger:     logger,
		gate:       gate,
		activity:   newActivityWriter(store, gate, logger),
		cache:      newSessionCache(CacheTTL, cacheEntries),
		now:        time.Now,
	}
	if v, ok := store.(cacheVoucher); ok {
		m.voucher = v
	}
	m.ephemeral = ephemeralStates(m, store)
	return m, nil
}

func sameSite(s string) http.SameSite {
	switch s {
	case "strict":
		return http.SameSiteStrictMode
	case "none":
		return http.SameSiteNoneMode
	default:
		return http.SameSiteLaxMode
	}
}

// Domains returns the configured cookie domains, the primary one first.
func (m *Manager) Domains() []Domain {
	out := make([]Domain, len(m.domains))
	for i, d := range m.domains {
		out[i] = d.clone()
	}
	return out
}

// DomainFor returns the cookie domain that host (port stripped, case-insensitive)
// equals or is under, the longest when several match, on label boundaries:
// example.com covers a.example.com but not badexample.com.
func (m *Manager) DomainFor(host string) (Domain, bool) {
	d, ok := domainFor(m.domains, host)
	if !ok {
		return Domain{}, false
	}
	return d.clone(), true
}

// domainNamed returns the configured cookie domain name, compared case-insensitively.
func (m *Manager) domainNamed(name string) (Domain, bool) {
	name = strings.ToLower(name)
	for _, d := range m.domains {
		if d.Name == name {
			return d, true
		}
	}
	return Domain{}, false
}

// CookieName returns the name of the session cookie.
func (m *Manager) CookieName() string {
	return m.name
}

// Load returns the session whose ID is id, valid for a request to host, or
// (nil, nil) when id is empty, malformed, unknown, expired (by expiration,
// remember-me lifetime or inactivity), or issued for a cookie domain other than
// the one that covers host. An error means the store failed: callers fail closed.
// The session is the caller's own copy, to change and Issue at will.
//
// Load answers from the Manager's cache a session it read from the store less
// than CacheTTL ago; otherwise it reads the store, and caches the session only
// when it returns it. It records activity for sessions subject to the inactivity
// limit, at most one write per session per min(inactivity/10, 1 min). It writes
// nothing, and caches nothing, for a session it does not return.
func (m *Manager) Load(ctx context.Context, id, host string) (*Session, error) {
	h, ok := hashID(id)
	if !ok {
		return nil, nil
	}
	d, ok := domainFor(m.domains, host)
	if !ok {
		return nil, nil
	}
	if m.voucher != nil {
		m.vouchOnce.Do(m.startVouching)
	}
	now := m.now()
	if e := m.cache.get(h, now); e != nil {
		if e.session.Domain != d.Name || !now.Before(m.expiresAt(e.session)) {
			return nil, nil
		}
		if !m.idle(e, now) {
			return m.answer(h, e, now), nil
		}
		// Idle as far as this process knows: another instance may have recorded
		// activity since, so ask the store.
	}
	return m.loadStored(ctx, h, d, now)
}

// startVouching asks the store to vouch for the cache from now on.
func (m *Manager) startVouching() {
	if f := m.voucher.vouch(m.cache); f != nil {
		m.cache.vouched.Store(&f)
	}
}

// loadStored is Load on a cache miss: it reads the session and its activity from
// the store and caches the session when it returns it.
func (m *Manager) loadStored(ctx context.Context, h hashedID, d Domain, now time.Time) (*Session, error) {
	ctx, cancel := context.WithTimeout(ctx, StoreDeadline)
	defer cancel()
	epoch := m.cache.epoch(h)
	s, activity, fetched, err := m.readBoth(ctx, h)
	if err != nil || s == nil || s.Domain != d.Name || !now.Before(m.expiresAt(s)) {
		return nil, err
	}
	e := newCached(s, now)
	if m.tracksActivity(s) {
		if fetched {
			if t, ok := decodeTime(activity); ok {
				e.noteActivity(t)
			}
		} else if err := m.readActivity(ctx, h, e); err != nil {
			return nil, err
		}
		if m.idle(e, now) {
			return nil, nil
		}
	}
	m.cache.put(h, e, epoch, now)
	return m.answer(h, e, now), nil
}

// answer has activity recorded for the valid session e when due and returns a copy of it.
// A record handed over counts as known activity in the copy already.
func (m *Manager) answer(h hashedID, e *cached, now time.Time) *Session {
	s := e.copy()
	if m.tracksActivity(e.session) && m.touch(h, e, now) {
		s.LastActivity = now
	}
	return s
}

// read returns the stored session with hash h, or nil when absent or unreadable.
func (m *Manager) read(ctx context.Context, h hashedID) (*Session, error) {
	data, err := m.store.Get(ctx, h.key(sessionPrefix))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("loading session: %w", err)
	}
	return m.decode(data), nil
}

// decode returns the stored session data, or nil when it is unreadable.
func (m *Manager) decode(data []byte) *Session {
	var s Session
	if err := json.Unmarshal(data, &s); err != nil {
		m.logger.Warn("ignoring unreadable stored session", "error", err)
		return nil
	}
	return &s
}

// remembered reports whether s lives under the remember-me rules: it asked for
// them and remember-me is enabled. Disabling remember-me subjects existing
// remember-me sessions to the ordinary limits.
func (m *Manager) remembered(s *Session) bool {
	return s.RememberMe && m.rememberMe > 0
}

// expiresAt is the end of the lifetime of s, counted from its creation.
func (m *Manager) expiresAt(s *Session) time.Time {
	if m.remembered(s) {
		return s.CreatedAt.Add(m.rememberMe)
	}
	return s.CreatedAt.Add(m.expiration)
}

// tracksActivity reports whether the inactivity limit applies to s.
func (m *Manager) tracksActivity(s *Session) bool {
	return !m.remembered(s)
}

// idle reports whether the session of e is subject to the inactivity limit and,
// by the latest activity known, has been inactive for it at now.
func (m *Manager) idle(e *cached, now time.Time) bool {
	return m.tracksActivity(e.session) && now.Sub(e.lastActivity()) >= m.inactivity
}

// touch hands the activity record of the session of e to the activity writer
// when its latest known activity is older than the coalescing interval and no
// other request of this process just did. The request does not wait for the
// write (see activityWriter); a record the writer cannot take now is left for
// the session's next request. It reports whether it handed a record over.
func (m *Manager) touch(h hashedID, e *cached, now time.Time) bool {
	if now.Sub(e.lastActivity()) < m.gate.every || !m.gate.claim(h, now) {
		return false
	}
	ttl := min(m.inactivity+m.gate.every, m.expiresAt(e.session).Sub(now))
	if !m.activity.enqueue(activityWrite{h: h, e: e, at: now, ttl: ttl}) {
		m.gate.release(h, now)
		return false
	}
	return true
}

// readActivity moves the known activity of e forward to the latest recorded one.
func (m *Manager) readActivity(ctx context.Context, h hashedID, e *cached) error {
	b, err := m.store.Get(ctx, h.key(activityPrefix))
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("loading session activity: %w", err)
	}
	if t, ok := decodeTime(b); ok {
		e.noteActivity(t)
	}
	return nil
}
