package ui

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/keygate/keygate/policy"
	"github.com/keygate/keygate/webauthn"
)

// stepUpper runs the sign-in of a step-up with only the qualifying credentials: *webauthn.RP.
type stepUpper interface {
	BeginStepUp(ctx context.Context, user string, need webauthn.StepUp) (webauthn.Options, []byte, error)
	Qualifying(ctx context.Context, user string, need webauthn.StepUp) ([]webauthn.Summary, error)
}

// stepUp serves the step-up a rule's require sends a signed-in user to: the
// options offer only the credentials that meet it, and POST
// /api/login/webauthn finishes it like any second factor (the ceremony is
// bound to the session). Authz then decides the request again: what the
// browser says it needs only chooses what is offered.
type stepUp struct {
	accounts   *accountSessions
	rp         stepUpper
	ceremonies *ceremonies
}

// stepUpRequest is the body of POST /api/login/step-up/options: the require
// of the step-up URL, as authz wrote it.
type stepUpRequest struct {
	Require string `json:"require"`
}

// stepUpAnswer is its answer: the options and the names of the credentials
// they offer.
type stepUpAnswer struct {
	PublicKey   json.RawMessage `json:"publicKey"`
	Credentials []string        `json:"credentials"`
}

// errNoQualifying explains, instead of looping, that the account has no
// credential of the kind required.
var errNoQualifying = &Error{Status: http.StatusConflict, Code: "no_qualifying_credential",
	Message: "None of your security keys or passkeys is of the kind this page requires. Add one in your settings (you will confirm it is you with a one-time code), or ask your administrator for an enrollment link."}

// options starts the step-up for the signed-in user.
func (s *stepUp) options(c echo.Context) error {
	var req stepUpRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	need, err := parseNeed(req.Require)
	if err != nil {
		return err
	}
	cur, err := s.accounts.signedIn(c)
	if err != nil {
		return err
	}
	if _, err := s.accounts.user(cur); err != nil {
		return err
	}
	ctx := c.Request().Context()
	opts, state, err := s.rp.BeginStepUp(ctx, cur.sess.Username, need)
	if err != nil {
		return stepUpError(err)
	}
	offered, err := s.rp.Qualifying(ctx, cur.sess.Username, need)
	if err != nil {
		return internalError(err)
	}
	p := pending{Kind: kindLogin, User: cur.sess.Username, State: state}
	if err := s.ceremonies.put(ctx, sessionKey(kindLogin, cur.id), p); err != nil {
		return internalError(err)
	}
	answer := stepUpAnswer{PublicKey: opts.PublicKey, Credentials: []string{}}
	for _, sum := range offered {
		answer.Credentials = append(answer.Credentials, sum.Description)
	}
	return c.JSON(http.StatusOK, answer)
}

// parseNeed reads the require text into what the relying party filters on.
func parseNeed(text string) (webauthn.StepUp, error) {
	q, err := policy.ParseRequirement(text)
	if err != nil {
		return webauthn.StepUp{}, &Error{Status: http.StatusUnprocessableEntity, Code: codeInvalidRequest,
			Message: "The step-up link is damaged. Open the application again.", Err: err}
	}
	return webauthn.StepUp{UserVerification: q.UserVerification, DeviceBound: q.DeviceBound,
		Attachment: q.Attachment.String(), AAGUIDs: q.AAGUIDs}, nil
}

// stepUpError words the relying party's refusal for the step-up page.
func stepUpError(err error) error {
	if errors.Is(err, webauthn.ErrNoQualifyingCredential) {
		return &Error{Status: errNoQualifying.Status, Code: errNoQualifying.Code, Message: errNoQualifying.Message, Err: err}
	}
	return err
}
