package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/testenv"
)

// ingressSnippetSite is an nginx server as the ingress-nginx controller writes
// one for the Ingress "app" (its host, its location, the snippet inside it),
// without the check: %[1]s listen address, %[2]s upstream, %[3]s the snippet.
const ingressSnippetSite = `server {
    listen %[1]s;
    server_name app.example.com;
    location / {
        %[3]s
        proxy_pass http://%[2]s;
        proxy_set_header Host $host;
    }
}
`

// TestIngressNginxSnippet runs the configuration-snippet of the Ingress "app" in
// deploy/kubernetes/ingress-nginx.yaml in real nginx: a Host other than the
// Ingress's host is refused before anything else (the controller's check would
// judge it), and the application receives its cookies without the session
// cookie.
func TestIngressNginxSnippet(t *testing.T) {
	app := mustFind(t, readManifests(t, "ingress-nginx.yaml"), "Ingress", "default", "app")
	snippet := yamlStr(app, "metadata", "annotations", annotationPrefix+"configuration-snippet")
	if snippet == "" {
		t.Fatal("Ingress app has no configuration-snippet")
	}
	upstream := httptest.NewServer(http.HandlerFunc(echoHandler))
	t.Cleanup(upstream.Close)
	listen := loopback(t)
	testenv.Nginx(t, fmt.Sprintf(ingressSnippetSite, listen, strings.TrimPrefix(upstream.URL, "http://"), snippet), listen)
	p := proxy{name: "ingress-nginx snippet", http: listen}
	session := "keygate_session=abc"
	hosts := []struct {
		head string
		want int
	}{
		{"GET /x HTTP/1.1\r\nHost: app.example.com\r\n", http.StatusOK},
		{"GET /x HTTP/1.1\r\nHost: APP.example.com:443\r\n", http.StatusOK},
		{"GET http://app.example.com/x HTTP/1.1\r\nHost: public.example.com\r\n", http.StatusMisdirectedRequest},
		{"GET http://app.example.com/x HTTP/1.1\r\nHost: app.example.com.evil\r\n", http.StatusMisdirectedRequest},
		{"GET http://app.example.com/x HTTP/1.1\r\nHost: app.example.com,public.example.com\r\n", http.StatusMisdirectedRequest},
	}
	for _, tc := range hosts {
		if got := sendPlain(t, p, tc.head); got != tc.want {
			t.Errorf("%q: got status %d, want %d", tc.head, got, tc.want)
		}
	}
	cookies := map[string]string{
		session + "; app=1":         "app=1",
		"a=1; " + session + "; b=2": "a=1; b=2",
		"app=1; " + session:         "app=1",
		session:                     "",
		session + "; a=1; " + session + "; b=2; " + session:             "a=1; b=2",
		session + "; a=1; " + session + "; " + session + "; " + session: "",
		"xkeygate_session=1; " + session:                                "xkeygate_session=1",
	}
	c := newClient(t, p, testenv.PKI{})
	for cookie, want := range cookies {
		e := do(t, c, request{url: "http://app.example.com/x", header: http.Header{"Cookie": {cookie}}}).upstream(t)
		if got := appCookies(e.Header.Values("Cookie")); got != want {
			t.Errorf("Cookie %q: application received %q, want %q", cookie, got, want)
		}
	}
}
