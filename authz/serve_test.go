package authz

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/keygate/keygate/policy"
	"github.com/keygate/keygate/session"
)

// newTestPair returns a handler and an echo router it is registered on.
func newTestPair(t *testing.T, s sessions, d decider) (*Handler, *echo.Echo, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	h, err := newHandler(Config{TrustedProxies: []string{"192.0.2.0/24"}}, s, d, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("newHandler: %v", err)
	}
	h.now = func() time.Time { return testNow }
	e := echo.New()
	h.Register(e)
	return h, e, &logs
}

// TestRouteAnswersAsTheRouter checks that a question sent straight to
// the handler (as cmd/keygate does) gets the answer the router gives.
func TestRouteAnswersAsTheRouter(t *testing.T) {
	fs := &fakeSessions{byID: map[string]*session.Session{"c1": alice()}}
	for _, decision := range []policy.Decision{policy.Allow, policy.Authenticate, policy.Deny} {
		for _, d := range dialects {
			for _, cookie := range []string{"", "c1"} {
				h, e, _ := newTestPair(t, fs, &fakeDecider{decision: decision})
				req := func() *http.Request {
					r := checkRequest(d, proxyAddr, d.header(http.MethodGet, "https://app.example.com/x?y=1"), cookie)
					r.Header.Set("Accept", "text/html")
					return r
				}
				direct := httptest.NewRecorder()
				h.Route(http.NotFoundHandler()).ServeHTTP(direct, req())
				routed := serve(e, req())
				name := d.name + " " + decisionName(decision) + " cookie=" + cookie
				if direct.Code != routed.Code || direct.Body.String() != routed.Body.String() {
					t.Errorf("%s: direct %d %q, routed %d %q; want the same", name, direct.Code, direct.Body, routed.Code, routed.Body)
				}
				for _, k := range []string{"Location", "Remote-User", "Remote-Groups", "Remote-AMR", "Cache-Control"} {
					if a, b := direct.Header().Values(k), routed.Header().Values(k); strings.Join(a, "\n") != strings.Join(b, "\n") {
						t.Errorf("%s: %s direct %q, routed %q", name, k, a, b)
					}
				}
			}
		}
	}
}

func TestRouteOtherPath(t *testing.T) {
	h, _, _ := newTestPair(t, &fakeSessions{}, &fakeDecider{decision: policy.Allow})
	w := httptest.NewRecorder()
	h.Route(http.NotFoundHandler()).ServeHTTP(w, checkRequest(dialect{path: "/api/authz/forward-auth/"}, proxyAddr, forwardedHeader("GET", "https://app.example.com/"), ""))
	if w.Code != http.StatusNotFound {
		t.Errorf("status for another path = %d, want 404", w.Code)
	}
}

// panickingSessions panics in every load.
type panickingSessions struct{ fakeSessions }

func (p *panickingSessions) LoadRequest(context.Context, *http.Request, string) (string, *session.Session, error) {
	panic("a bug")
}

// TestRoutePanicFailsClosed checks that a check that panics is answered
// 500, never passed, and logged.
func TestRoutePanicFailsClosed(t *testing.T) {
	h, _, logs := newTestPair(t, &panickingSessions{}, &fakeDecider{decision: policy.Allow})
	w := httptest.NewRecorder()
	h.Route(http.NotFoundHandler()).ServeHTTP(w, checkRequest(forwardAuthDialect, proxyAddr, forwardedHeader("GET", "https://app.example.com/"), "c1"))
	if w.Code != http.StatusInternalServerError || w.Header().Get("Remote-User") != "" {
		t.Errorf("answer to a panicking check = %d with Remote-User %q; want 500 and no identity", w.Code, w.Header().Get("Remote-User"))
	}
	if !strings.Contains(logs.String(), "panicked") {
		t.Errorf("log = %q, want the panic logged", logs)
	}
}

// TestRoute checks that exactly the two check paths, as sent, are answered as
// checks and every other request goes to the router: a path spelled with
// escapes the router would not match (a proxy that blocks /api/authz/ by its
// raw path lets it through) is not a check either.
func TestRoute(t *testing.T) {
	h, _, _ := newTestPair(t, &fakeSessions{}, &fakeDecider{decision: policy.Allow})
	router := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Header().Set("Served-By", "router") })
	route := h.Route(router)
	for target, want := range map[string]string{
		ForwardAuthPath:               "checks",
		AuthRequestPath:               "checks",
		ForwardAuthPath + "/":         "router",
		"/api/authz/forward-auth/../": "router",
		"/":                           "router",
		"/api/login/password":         "router",
		"/api/%61uthz/forward-auth":   "router",
		"/api/authz/forward%2Dauth":   "router",
		"/api%2Fauthz/auth-request":   "router",
	} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, "http://auth.example.com"+target, nil)
		r.RemoteAddr = proxyAddr
		route.ServeHTTP(w, r)
		got := "checks"
		if w.Header().Get("Served-By") == "router" {
			got = "router"
		}
		if got != want {
			t.Errorf("%s served by %s, want %s", target, got, want)
		}
	}
}
