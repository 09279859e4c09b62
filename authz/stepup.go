package authz

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/keygate/keygate/policy"
	"github.com/keygate/keygate/session"
)

// stepUpPath is the portal's page where a signed-in user proves the factor a
// rule requires.
const stepUpPath = "/step-up"

// hdrWWWAuthenticate carries the RFC 9470 challenge of an API client's step-up.
const hdrWWWAuthenticate = "Www-Authenticate" // canonical form of WWW-Authenticate

// The bodies of the step-up answers.
const (
	bodyStepUpFound    = "302 Found: step up at the Location\n"
	bodyStepUpSeeOther = "303 See Other: step up at the Location\n"
	bodyStepUp401      = "401 Unauthorized: insufficient user authentication; step up at the Location\n"
)

// stepUp answers a signed-in request whose factors fall short of the rule's
// require: not a refusal. A browser (forward-auth, Accept allowing HTML) is
// redirected to the portal's step-up page with rd and what is required; an API
// client gets 401 with an RFC 9470 challenge naming the need and the max_age,
// and the same Location. Auth-request always answers 401 with the Location
// (nginx turns it into the redirect) and, for API clients, the challenge.
func (h *Handler) stepUp(w http.ResponseWriter, r *http.Request, o *original, ep endpoint, need *policy.Requirement) {
	d, ok := h.sessions.DomainFor(o.name)
	if !ok || d.PortalURL == nil || need == nil {
		h.logger.DebugContext(r.Context(), "denied: no portal can take the step-up", "host", o.name)
		h.plain(w, http.StatusForbidden, bodyForbidden)
		return
	}
	hdr := w.Header()
	hdr["Location"] = []string{stepUpURL(d.PortalURL, o.URL(), need)}
	browser := acceptsHTML(r.Header["Accept"])
	if !browser {
		hdr[hdrWWWAuthenticate] = []string{bearerChallenge(need)}
	}
	status, body := http.StatusUnauthorized, bodyStepUp401
	if ep == forwardAuth && browser {
		status, body = http.StatusSeeOther, bodyStepUpSeeOther
		if o.method == http.MethodGet || o.method == http.MethodHead {
			status, body = http.StatusFound, bodyStepUpFound
		}
	}
	h.plain(w, status, body)
}

// stepUpURL is "<portal>/step-up?rd=<target>&require=<need>".
func stepUpURL(portal *url.URL, target string, need *policy.Requirement) string {
	u := *portal
	u.Path = strings.TrimSuffix(u.Path, "/") + stepUpPath
	u.RawPath, u.Fragment, u.RawFragment = "", "", ""
	q := "rd=" + url.QueryEscape(target) + "&require=" + url.QueryEscape(need.String())
	if u.RawQuery != "" {
		q = u.RawQuery + "&" + q
	}
	u.RawQuery = q
	return u.String()
}

// bearerChallenge is the RFC 9470 challenge: error, a description of the
// factor needed and, when the rule bounds its age, max_age in seconds.
func bearerChallenge(need *policy.Requirement) string {
	v := `Bearer error="insufficient_user_authentication", error_description="` + describeNeed(need) + `"`
	if need.MaxAge > 0 {
		v += ", max_age=" + strconv.FormatInt(int64(need.MaxAge.Seconds()), 10)
	}
	return v
}

// describeNeed says in words what factor the rule requires, without quotes or
// backslashes so that it sits in a quoted-string as it is.
func describeNeed(need *policy.Requirement) string {
	var parts []string
	switch need.Attachment {
	case policy.CrossPlatform:
		parts = append(parts, "a security key")
	case policy.Platform:
		parts = append(parts, "a platform authenticator")
	default:
		parts = append(parts, "a credential")
	}
	if need.DeviceBound {
		parts = append(parts, "that is device-bound (not synced)")
	}
	if need.UserVerification {
		parts = append(parts, "with user verification")
	}
	if len(need.AAGUIDs) > 0 {
		parts = append(parts, "of an allowed model")
	}
	if need.MaxAge > 0 {
		parts = append(parts, "used within "+need.MaxAge.String())
	}
	return "sign in with " + strings.Join(parts, " ")
}

// keys are the session's WebAuthn factors as a rule's require judges them.
func keys(s *session.Session) []policy.Factor {
	if s == nil {
		return nil
	}
	var out []policy.Factor
	for _, f := range s.Factors {
		if f.Method != session.MethodWebAuthn && f.Method != session.MethodPasskey {
			continue
		}
		out = append(out, policy.Factor{UserVerified: f.UserVerified, DeviceBound: f.DeviceBound,
			Attachment: f.Attachment, AAGUID: f.AAGUID, At: f.At})
	}
	return out
}
