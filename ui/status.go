package ui

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/keygate/keygate/session"
	"github.com/keygate/keygate/webauthn"
)

// status answers what the pages ask before acting: is the portal up, who is signed in.
type status struct {
	sessions sessions
	creds    credentialCounter
}

// credentialCounter tells what the session answer reports of WebAuthn: *webauthn.RP.
type credentialCounter interface {
	Credentials(ctx context.Context, user string) ([]webauthn.Summary, error)
	PasskeyLogin() bool
}

// healthAnswer is the answer to GET /api/health.
type healthAnswer struct {
	Status string `json:"status"`
}

// health reports that the portal is serving.
func (s *status) health(c echo.Context) error {
	return c.JSON(http.StatusOK, healthAnswer{Status: "ok"})
}

// sessionAnswer is the answer to GET /api/session. Lists are never null.
type sessionAnswer struct {
	Authenticated bool     `json:"authenticated"`
	Username      string   `json:"username"`
	DisplayName   string   `json:"display_name"`
	Groups        []string `json:"groups"`
	Level         string   `json:"level"`
	Factors       []string `json:"factors"`
	Credentials   int      `json:"credentials"`
	PasskeyLogin  bool     `json:"passkey_login"`
}

// session describes the browser's session; without one it answers an anonymous session.
func (s *status) session(c echo.Context) error {
	r := c.Request()
	_, sess, err := s.sessions.LoadRequest(r.Context(), r, r.Host)
	if err != nil {
		return internalError(err)
	}
	a := s.describe(sess)
	if a.Authenticated {
		creds, err := s.creds.Credentials(r.Context(), sess.Username)
		if err != nil {
			return internalError(err)
		}
		a.Credentials = len(creds)
	}
	return c.JSON(http.StatusOK, a)
}

func (s *status) describe(sess *session.Session) sessionAnswer {
	a := sessionAnswer{
		Groups:       []string{},
		Level:        sess.Level().String(),
		Factors:      []string{},
		PasskeyLogin: s.creds.PasskeyLogin(),
	}
	if sess == nil || sess.Level() == session.LevelNone {
		return a
	}
	a.Authenticated = true
	a.Username, a.DisplayName = sess.Username, sess.DisplayName
	a.Groups = append(a.Groups, sess.Groups...)
	for _, f := range sess.Factors {
		a.Factors = append(a.Factors, string(f.Method))
	}
	return a
}
