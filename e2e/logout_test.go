package e2e

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"testing"
)

// crossSiteSignOut: a page of another site sends the browser to the portal's
// /logout. The portal asks instead of signing out: the session still passes
// the app; only pressing the button signs out.
func crossSiteSignOut(t *testing.T, s *browserStack, b *tab) {
	t.Helper()
	target := s.portal() + "/logout"
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>elsewhere</title><a id="go" href="%s">go</a>
<script>document.getElementById('go').click()</script>`, html.EscapeString(target))
	}))
	defer evil.Close()

	b.open(t, evil.URL+"/")
	b.waitURL(t, "^"+target)
	b.waitVisible(t, "confirm-button")
	b.shot(t, "cross-site-logout-asks")
	if got := b.openStatus(t, s.app()+"/"); got != http.StatusOK {
		t.Fatalf("GET app after a cross-site /logout = %d, want 200: still signed in", got)
	}

	b.open(t, evil.URL+"/")
	b.waitVisible(t, "confirm-button")
	b.click(t, "confirm-button")
	b.waitVisible(t, "signed-out")
	b.shot(t, "signed-out")
}
