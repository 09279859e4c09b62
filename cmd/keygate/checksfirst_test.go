package main

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/keygate/keygate/authz"
)

// TestChecksFirst checks that exactly the two check paths bypass the router.
func TestChecksFirst(t *testing.T) {
	mark := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Header().Set("Served-By", name) })
	}
	h := checksFirst{checks: mark("checks"), next: mark("router")}
	for path, want := range map[string]string{
		authz.ForwardAuthPath:         "checks",
		authz.AuthRequestPath:         "checks",
		authz.ForwardAuthPath + "/":   "router",
		"/api/authz/forward-auth/../": "router",
		"/":                           "router",
		"/api/login/password":         "router",
	} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, "http://auth.example.com/", nil)
		r.URL.Path = path
		h.ServeHTTP(w, r)
		if got := w.Header().Get("Served-By"); got != want {
			t.Errorf("%s served by %s, want %s", path, got, want)
		}
	}
}
