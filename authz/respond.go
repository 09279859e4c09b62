package authz

import (
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/keygate/keygate/session"
)

// The identity headers of an allowed answer, in canonical form.
const (
	hdrRemoteUser   = "Remote-User"
	hdrRemoteGroups = "Remote-Groups"
	hdrRemoteEmail  = "Remote-Email"
	hdrRemoteName   = "Remote-Name"
)

// The bodies of the answers: short plain text that never repeats request input.
const (
	bodyFound     = "302 Found: sign in at the Location\n"
	bodySeeOther  = "303 See Other: sign in at the Location\n"
	body401       = "401 Unauthorized: sign in at the Location\n"
	bodyForbidden = "403 Forbidden\n"
	bodyInternal  = "500 Internal Server Error\n"
)

// fixedHeaders are header values every plain answer carries, allocated once.
// They are shared by all responses and never modified.
type fixedHeaders struct {
	contentType, noSniff, noStore []string
	tokenChallenge                []string
}

// newFixedHeaders allocates the shared header values.
func newFixedHeaders() fixedHeaders {
	return fixedHeaders{
		contentType:    []string{"text/plain; charset=utf-8"},
		noSniff:        []string{"nosniff"},
		noStore:        []string{"no-store"},
		tokenChallenge: []string{`Bearer realm="Keygate", Basic realm="Keygate", charset="UTF-8"`},
	}
}

// allow answers 200 with the four identity headers and Remote-AMR (the methods
// in amr), all present, empty for an anonymous request (a bypass rule) so that
// no proxy invents or forwards a value.
func (h *Handler) allow(w http.ResponseWriter, s *session.Session, amr int) {
	v := make([]string, 4) // one allocation for the four header values
	if s != nil {
		v[0], v[1], v[2], v[3] = s.Username, strings.Join(s.Groups, ","), s.Email, s.DisplayName
	}
	hdr := w.Header()
	hdr[hdrRemoteUser] = v[0:1:1]
	hdr[hdrRemoteGroups] = v[1:2:2]
	hdr[hdrRemoteEmail] = v[2:3:3]
	hdr[hdrRemoteName] = v[3:4:4]
	hdr[hdrRemoteAMR] = h.amr[amr&amrAll] // shared, never modified
	w.WriteHeader(http.StatusOK)
}

// authenticate sends the request to sign in at the portal of the host's cookie
// domain, with the original URL in rd. Forward-auth redirects a browser itself
// (302 for GET and HEAD, 303 otherwise, so that the portal is fetched with GET);
// anything else, and every auth-request answer, is 401 with the same Location.
// A host under no cookie domain can never hold a session, so it is denied.
// Where the rule accepts tokens, a client whose Accept does not allow HTML is
// also challenged for one (Bearer, and Basic for clients such as Git that send
// a password only when asked), in one WWW-Authenticate value, which nginx can
// pass on.
func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request, o *original, ep endpoint, tokens bool) {
	d, ok := h.sessions.DomainFor(o.name)
	if !ok || d.PortalURL == nil {
		h.logger.DebugContext(r.Context(), "denied: no cookie domain covers the host, so no sign-in can help", "host", o.name)
		h.plain(w, http.StatusForbidden, bodyForbidden)
		return
	}
	w.Header()["Location"] = []string{loginURL(d.PortalURL, o.URL())}
	status, body := http.StatusUnauthorized, body401
	if ep == forwardAuth && acceptsHTML(r.Header["Accept"]) {
		status, body = http.StatusSeeOther, bodySeeOther
		if o.method == http.MethodGet || o.method == http.MethodHead {
			status, body = http.StatusFound, bodyFound
		}
	}
	if tokens && status == http.StatusUnauthorized && !acceptsHTML(r.Header["Accept"]) {
		w.Header()[hdrWWWAuthenticate] = h.headers.tokenChallenge
	}
	h.plain(w, status, body)
}

// loginURL is the portal's sign-in page with target as rd: "<portal>/?rd=<target>".
func loginURL(portal *url.URL, target string) string {
	u := *portal
	u.Path = strings.TrimSuffix(u.Path, "/") + "/"
	u.RawPath = ""
	u.Fragment, u.RawFragment = "", ""
	rd := "rd=" + url.QueryEscape(target)
	if u.RawQuery != "" {
		rd = u.RawQuery + "&" + rd
	}
	u.RawQuery = rd
	return u.String()
}

// plain writes a short plain-text answer that no one caches or sniffs.
func (h *Handler) plain(w http.ResponseWriter, status int, body string) {
	hdr := w.Header()
	hdr["Content-Type"] = h.headers.contentType
	hdr["X-Content-Type-Options"] = h.headers.noSniff
	hdr["Cache-Control"] = h.headers.noStore
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}
