package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// TestSessionCookieStripped: an application behind a proxy never receives the
// keygate_session cookie, which it could replay against the other applications,
// and still receives its own cookies, in order, wherever the session cookie sat
// among them, however many times a client sent it, and across Cookie lines.
func TestSessionCookieStripped(t *testing.T) {
	s := newStack(t, stackOptions{})
	session := "keygate_session=" + jarSession(t, s.signedIn(t, s.proxies[0], alice))
	cases := []struct {
		name   string
		cookie []string // the client's Cookie lines
		want   string   // the application's cookies, joined with "; "
	}{
		{"first", []string{session + "; app=1"}, "app=1"},
		{"last", []string{"app=1; " + session}, "app=1"},
		{"middle", []string{"a=1; " + session + "; b=2"}, "a=1; b=2"},
		{"alone", []string{session}, ""},
		{"no spaces", []string{"a=1;" + session + ";b=2"}, "a=1; b=2"},
		{"two lines", []string{"a=1", session + "; b=2"}, "a=1; b=2"},
		{"several", []string{session + "; a=1; keygate_session=planted; b=2; keygate_session=x"}, "a=1; b=2"},
		{"look-alikes", []string{"xkeygate_session=1; keygate_session_v2=2; " + session}, "xkeygate_session=1; keygate_session_v2=2"},
	}
	for _, p := range s.proxies {
		t.Run(p.name, func(t *testing.T) {
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					e := do(t, newClient(t, p, s.pki), request{url: appURL + "/private/page", header: http.Header{"Cookie": tc.cookie}}).upstream(t)
					if e.identity()["Remote-User"][0] != alice.username {
						t.Fatalf("upstream got identity %v, want alice's", e.identity())
					}
					got := appCookies(e.Header.Values("Cookie"))
					if got != tc.want {
						t.Errorf("application received cookies %q, want %q", got, tc.want)
					}
				})
			}
		})
	}
}

// appCookies joins the cookies of Cookie lines with "; ", dropping empty pairs.
func appCookies(lines []string) string {
	var pairs []string
	for _, line := range lines {
		for _, pair := range strings.Split(line, ";") {
			if pair = strings.TrimSpace(pair); pair != "" {
				pairs = append(pairs, pair)
			}
		}
	}
	return strings.Join(pairs, "; ")
}
