package session

import (
	"context"
	"fmt"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
)

// Limits on the session cookies of one request. A browser sends several
// cookies of one name when they differ in domain or path: one left from an
// older cookie domain, or one planted by a sibling host on a narrower path
// (which the browser sends first).
const (
	// maxLoadCookies bounds the distinct IDs LoadRequest looks at; a request
	// with more is anonymous.
	maxLoadCookies = 4
	// MaxCookieValues bounds the distinct IDs CookieValues returns.
	MaxCookieValues = 32
)

// CookieValue returns the session ID that r carries when it is unambiguous:
// the one well-formed session cookie, or several that all hold the same ID. It
// returns "" when there is none, or when cookies of that name hold different
// IDs: which of them comes first is the sender's choice (a cookie on a narrower
// path comes first), so Keygate honours neither. It never fails and allocates
// nothing. LoadRequest resolves such duplicates by which of them are live.
func (m *Manager) CookieValue(r *http.Request) string {
	var buf [2]string
	ids, more := m.appendCookieValues(buf[:0], r, len(buf))
	if len(ids) != 1 || more {
		return ""
	}
	return ids[0]
}

// CookieValues returns every distinct well-formed session ID in r's cookies,
// in the order sent, at most MaxCookieValues. Logout ends all of them, so that
// a planted cookie cannot make it end one session and leave another.
func (m *Manager) CookieValues(r *http.Request) []string {
	ids, _ := m.appendCookieValues(nil, r, MaxCookieValues)
	return ids
}

// LoadRequest returns the session that r's session cookies carry for host, and
// its ID: Load of the one ID when r carries one. Of several distinct IDs, those
// that name no valid session (made up, expired, ended, another domain's) are
// ignored; when more than one names a valid session, or r carries more than a
// few distinct IDs, the request is anonymous: Keygate never lets the order of
// the cookies, which the sender controls, choose between two sessions. An error
// means the store failed.
func (m *Manager) LoadRequest(ctx context.Context, r *http.Request, host string) (string, *Session, error) {
	var buf [maxLoadCookies]string
	ids, more := m.appendCookieValues(buf[:0], r, len(buf))
	if more {
		m.logger.DebugContext(ctx, "ignoring a request with too many session cookies", "host", host)
		return "", nil, nil
	}
	var id string
	var found *Session
	for _, candidate := range ids {
		s, err := m.Load(ctx, candidate, host)
		if err != nil {
			return "", nil, err
		}
		if s == nil {
			continue
		}
		if found != nil {
			m.logger.InfoContext(ctx, "ignoring a request whose session cookies name two live sessions", "host", host)
			return "", nil, nil
		}
		id, found = candidate, s
	}
	return id, found, nil
}

// appendCookieValues appends to dst the distinct well-formed session IDs of
// r's cookies, up to limit in all; more reports that r carries others beyond it.
func (m *Manager) appendCookieValues(dst []string, r *http.Request, limit int) ([]string, bool) {
	for _, line := range r.Header["Cookie"] {
		for part := range strings.SplitSeq(line, ";") {
			name, value, ok := strings.Cut(textproto.TrimString(part), "=")
			if !ok || name != m.name {
				continue
			}
			if len(value) > 1 && value[0] == '"' && value[len(value)-1] == '"' {
				value = value[1 : len(value)-1]
			}
			if _, ok := hashID(value); !ok || slices.Contains(dst, value) {
				continue
			}
			if len(dst) == limit {
				return dst, true
			}
			dst = append(dst, value)
		}
	}
	return dst, false
}

// DestroyAll deletes every session of ids, as Destroy does one, and expires
// the session cookie for the cookie domain domain on w once.
func (m *Manager) DestroyAll(ctx context.Context, w http.ResponseWriter, ids []string, domain string) error {
	for _, id := range ids {
		if h, ok := hashID(id); ok {
			if err := m.delete(ctx, h); err != nil {
				return fmt.Errorf("destroying session: %w", err)
			}
		}
	}
	return m.Destroy(ctx, w, "", domain)
}
