package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/keygate/keygate/config"
)

// The example app runs beside the daemon on the embedded default only, so that
// a person trying Keygate on one machine has something to protect: a page that
// is shown once Keygate's forward-auth check lets the request through, and that
// shows the identity headers an app behind a proxy would receive. It is a tiny
// forward-auth proxy of its own: it asks the daemon over HTTP, exactly as nginx,
// Caddy or Traefik would, and so depends on nothing but the proxy contract.

// demoTimeout bounds the example app's forward-auth question and its own answers.
const demoTimeout = 5 * time.Second

// demoBodyLimit bounds the body of a refusal copied from the daemon.
const demoBodyLimit = 4 << 10

// demoListen opens the example app's listener on the port after the daemon's.
// The embedded default's app is http://localhost:9092/ for a portal at
// http://localhost:9091.
func demoListen(daemonAddr string) (net.Listener, error) {
	host, port, err := net.SplitHostPort(daemonAddr)
	if err != nil {
		return nil, err
	}
	p, err := strconv.Atoi(port)
	if err != nil || p <= 0 || p >= 65535 {
		return nil, fmt.Errorf("no port after %q", port)
	}
	return net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p+1)))
}

// openDemo opens the example app's listener for the embedded default cfg and
// makes the app the place sign-ins without rd land. When the port is taken, the
// daemon runs without the app.
func openDemo(cfg *config.Config, logger *slog.Logger) (net.Listener, string) {
	ln, err := demoListen(cfg.Server.Address)
	if err != nil {
		logger.Warn("running without the example app", "err", err)
		return nil, ""
	}
	u, err := demoURL(cfg.Session.PortalURL, ln)
	if err != nil {
		ln.Close()
		logger.Warn("running without the example app", "err", err)
		return nil, ""
	}
	if cfg.Session.DefaultRedirectURL == "" {
		cfg.Session.DefaultRedirectURL = u
	}
	return ln, u
}

// demoURL is the example app's address as a browser on this machine opens it:
// the portal's host name with the listener's port.
func demoURL(portal string, ln net.Listener) (string, error) {
	u, err := url.Parse(portal)
	if err != nil {
		return "", err
	}
	_, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		return "", err
	}
	return (&url.URL{Scheme: u.Scheme, Host: net.JoinHostPort(u.Hostname(), port), Path: "/"}).String(), nil
}

// demoApp is the example app's handler.
type demoApp struct {
	check  string // the daemon's forward-auth URL, on its listener
	portal string // the portal's URL, for the links on the page
	client *http.Client
	logger *slog.Logger
}

func newDemoApp(daemon net.Addr, portal string, logger *slog.Logger) *demoApp {
	return &demoApp{
		check:  "http://" + daemon.String() + "/api/authz/forward-auth",
		portal: strings.TrimSuffix(portal, "/"),
		client: &http.Client{
			Timeout:       demoTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			Transport:     &http.Transport{MaxIdleConnsPerHost: 16, IdleConnTimeout: time.Minute}, // no proxy: the daemon is local
		},
		logger: logger,
	}
}

// serveDemo serves the example app on ln until ctx is done; stop shuts it down.
func serveDemo(ctx context.Context, ln net.Listener, app *demoApp) (stop func()) {
	srv := &http.Server{
		Handler:           app,
		ReadHeaderTimeout: demoTimeout,
		ReadTimeout:       demoTimeout,
		WriteTimeout:      2 * demoTimeout,
		IdleTimeout:       time.Minute,
		ErrorLog:          slog.NewLogLogger(app.logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			app.logger.Warn("example app stopped", "err", err)
		}
	}()
	return func() {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), demoTimeout)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
		<-done
		app.client.CloseIdleConnections()
	}
}

// ServeHTTP asks the daemon about r and shows the page when it may pass;
// otherwise it passes the daemon's answer on to the browser, as a forward-auth
// proxy does: the redirect to sign in, or the refusal.
func (a *demoApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/favicon.ico" {
		http.NotFound(w, r)
		return
	}
	resp, err := a.ask(r)
	if err != nil {
		a.logger.Error("example app: forward-auth check failed", "err", err)
		http.Error(w, "502 Bad Gateway: Keygate did not answer", http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		a.passOn(w, resp)
		return
	}
	a.page(w, resp.Header)
}

// ask sends r's forward-auth question to the daemon. Only what the contract
// names is sent: the original request's method, scheme, host and URI, the
// client's address, its cookies and what it accepts.
func (a *demoApp) ask(r *http.Request) (*http.Response, error) {
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, a.check, nil)
	if err != nil {
		return nil, err
	}
	h := req.Header
	h.Set("X-Forwarded-Method", r.Method)
	h.Set("X-Forwarded-Proto", "http")
	h.Set("X-Forwarded-Host", r.Host)
	h.Set("X-Forwarded-Uri", r.URL.RequestURI())
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		h.Set("X-Forwarded-For", host)
	}
	for _, c := range r.Header.Values("Cookie") {
		h.Add("Cookie", c)
	}
	if accept := r.Header.Get("Accept"); accept != "" {
		h.Set("Accept", accept)
	}
	return a.client.Do(req)
}

// passOn copies the daemon's refusal to the browser: status, Location and a
// short plain body.
func (a *demoApp) passOn(w http.ResponseWriter, resp *http.Response) {
	if loc := resp.Header.Get("Location"); loc != "" {
		w.Header().Set("Location", loc)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, io.LimitReader(resp.Body, demoBodyLimit))
}

// demoIdentity is what the page shows: the identity headers of the answer.
type demoIdentity struct {
	Style    template.CSS // demoStyle
	Headers  [][2]string
	Name     string
	Settings string
	Logout   string
}

// page shows the identity the daemon's answer carried.
func (a *demoApp) page(w http.ResponseWriter, answer http.Header) {
	id := demoIdentity{Style: template.CSS(demoStyle), Settings: a.portal + "/settings", Logout: a.portal + "/logout"}
	for _, name := range []string{"Remote-User", "Remote-Groups", "Remote-Email", "Remote-Name", "Remote-AMR"} {
		id.Headers = append(id.Headers, [2]string{name, answer.Get(name)})
	}
	id.Name = answer.Get("Remote-Name")
	if id.Name == "" {
		id.Name = answer.Get("Remote-User")
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Content-Security-Policy", demoCSP)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("Cache-Control", "no-store")
	if err := demoPage.Execute(w, id); err != nil {
		a.logger.Warn("example app: writing the page", "err", err)
	}
}

// demoStyle is the page's only style, inline; the CSP allows exactly it, by
// its hash, and nothing else: no script, no other resource.
const demoStyle = `
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; display: grid; place-items: center; min-height: 100vh; }
main { max-width: 36rem; padding: 2rem; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #8884; }
code { font-size: .95em; }
`

var demoCSP = "default-src 'none'; style-src 'sha256-" + sha256Base64(demoStyle) + "'; " +
	"base-uri 'none'; frame-ancestors 'none'; form-action 'none'"

// sha256Base64 is the standard base64 of s's SHA-256, as CSP hash sources want it.
func sha256Base64(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.StdEncoding.EncodeToString(sum[:])
}

var demoPage = template.Must(template.New("demo").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Example app – Keygate</title>
<style>{{.Style}}</style>
</head>
<body>
<main>
<h1>Hello, {{.Name}}</h1>
<p>This is Keygate's example app. It opens only after Keygate answered its forward-auth check with 200,
and it shows the identity headers of that answer: what an app behind nginx, Caddy or Traefik receives.</p>
<table id="identity">
<tr><th scope="col">Header</th><th scope="col">Value</th></tr>
{{range .Headers}}<tr><td><code>{{index . 0}}</code></td><td id="{{index . 0}}">{{index . 1}}</td></tr>
{{end}}</table>
<p><a href="{{.Settings}}">Passkeys and security keys</a> · <a href="{{.Logout}}">Sign out</a></p>
</main>
</body>
</html>
`))
