package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// TestHostileRequests sends crafted requests through nginx, Caddy and HAProxy as
// deploy/ ships them: raw HTTP/1.1 heads over TLS, and HTTP/2 header blocks
// where the proxy speaks it. Each vector names a host (absolute form against
// Host, repeated and joined Host, :authority against host, ports, trailing dots,
// case), a path (encodings, dot segments, double slashes, ";", backslashes,
// overlong) and a method, and is sent without a session and with alice's
// one_factor session. The upstream records what it receives; the test fails
// when a request reached it whose path an application could read as a deny or
// two_factor path (see leniently), or one the session may not see, and when a
// plain request that the policy allows did not reach it.
func TestHostileRequests(t *testing.T) {
	s := newStack(t, stackOptions{})
	c := s.signedIn(t, s.proxies[0], alice)
	sessions := []hostileSession{{name: "anonymous"}, {name: "alice", user: &alice, cookie: "keygate_session=" + jarSession(t, c)}}
	var serial atomic.Int64
	for _, p := range s.proxies {
		t.Run(p.name, func(t *testing.T) {
			vectors := hostileVectors(p)
			for _, sess := range sessions {
				for _, v := range vectors {
					id := p.name + "-" + strconv.FormatInt(serial.Add(1), 10)
					t.Run(sess.name+"/"+v.name, func(t *testing.T) { s.sendVector(t, p, sess, v, id) })
				}
			}
			t.Logf("%s: %d hostile vectors (%d requests, each without and with a session)", p.name, len(vectors), len(vectors)*len(sessions))
		})
	}
}

// hostileSession is who sends a vector: nobody, or a signed-in account.
type hostileSession struct {
	name   string
	user   *account // nil: anonymous
	cookie string   // the Cookie header's value
}

// vector is one hostile request. Either head (HTTP/1.1) or fields (HTTP/2).
type vector struct {
	name   string
	head   func(cookie, id string) string
	fields func(cookie, id string) []field
	// target is the request target the vector asks for, as the policy of the
	// routed host should judge it.
	target string
	// plain marks a request that a browser sends: when the policy lets the
	// session see target, it must reach the upstream.
	plain bool
}

func (s *stack) sendVector(t *testing.T, p proxy, sess hostileSession, v vector, id string) {
	var status int
	var err error
	if v.fields != nil {
		status, err = sendHTTP2(p, s.pki, v.fields(sess.cookie, id))
	} else {
		status, err = sendHTTP1(p, s.pki, v.head(sess.cookie, id))
	}
	if err != nil {
		t.Fatalf("sending: %v", err)
	}
	e, reached := s.upstream.reached(id)
	if reached {
		if seen := leniently(e.URI); !mayReach(sess.user, seen) {
			t.Errorf("reached the upstream as %s %q (an application may read %q), status %d: the policy refuses that to %s",
				e.Method, e.URI, seen, status, sess.name)
		}
		return
	}
	if v.plain && mayReach(sess.user, leniently(v.target)) {
		t.Errorf("got status %d and the upstream never saw it; want it passed", status)
	}
}

// mayReach is the access policy of keygateConfig for app.example.com, for a
// path already read leniently.
func mayReach(user *account, path string) bool {
	under := func(prefix string) bool { return path == prefix || strings.HasPrefix(path, prefix+"/") }
	switch {
	case under("/public"):
		return true
	case under("/secret"), under("/mfa"):
		return false // deny; two_factor, which no one here has
	case under("/admin"):
		return user != nil && strings.Contains(user.groups, "admins")
	}
	return user != nil
}

// leniently is the path of target as the most forgiving application reads it:
// query dropped, "\" read as "/", ";params" dropped from each segment, then
// percent-escapes decoded (once), "\" and "/" (also decoded ones) read as
// separators, empty and "." segments dropped and ".." resolved. Case is kept:
// the policy's rules are case-sensitive, and an application that folds case
// needs rules that say so.
func leniently(target string) string {
	if u, err := url.Parse(target); err == nil && u.IsAbs() {
		target = u.RequestURI()
	}
	path, _, _ := strings.Cut(target, "?")
	segs := strings.Split(strings.ReplaceAll(path, `\`, "/"), "/")
	for i, seg := range segs {
		segs[i], _, _ = strings.Cut(seg, ";")
	}
	path = strings.Join(segs, "/")
	if d, err := url.PathUnescape(path); err == nil {
		path = d
	}
	var out []string
	for _, seg := range strings.Split(strings.ReplaceAll(path, `\`, "/"), "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
		}
	}
	return "/" + strings.Join(out, "/")
}

// http1Head builds a raw request head: the request line, then each header line
// as given, the session cookie and the marker.
func http1Head(method, target string, headers ...string) func(cookie, id string) string {
	return func(cookie, id string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s HTTP/1.1\r\n", method, target)
		for _, h := range headers {
			b.WriteString(h + "\r\n")
		}
		if cookie != "" {
			b.WriteString("Cookie: " + cookie + "\r\n")
		}
		b.WriteString("Accept: " + browserAccept + "\r\nX-Vector: " + id + "\r\nConnection: close\r\n")
		if method == http.MethodPost || method == http.MethodPut {
			b.WriteString("Content-Length: 0\r\n")
		}
		return b.String()
	}
}

// http2Fields builds an HTTP/2 header block: the pseudo-headers and headers as
// given ("name: value"), the session cookie and the marker.
func http2Fields(fields ...string) func(cookie, id string) []field {
	return func(cookie, id string) []field {
		var out []field
		for _, f := range fields {
			name, value, _ := strings.Cut(f, ": ")
			out = append(out, field{name, value})
		}
		if cookie != "" {
			out = append(out, field{"cookie", cookie})
		}
		return append(out, field{"accept", browserAccept}, field{"x-vector", id})
	}
}
