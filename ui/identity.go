package ui

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/keygate/keygate/notify"
	"github.com/keygate/keygate/session"
)

// maxCodeTries is how many wrong guesses one code survives.
const maxCodeTries = 5

var (
	errNoEmail = &Error{Status: http.StatusConflict, Code: codeNoEmail,
		Message: "Your account has no email address for a code. Ask an administrator for an enrollment link."}
	errTooManyCodes = &Error{Status: http.StatusTooManyRequests, Code: codeTooManyCodes,
		Message: "Too many codes were sent. Please wait a few minutes and try again."}
	errCodeExpired = &Error{Status: http.StatusUnprocessableEntity, Code: codeCodeExpired,
		Message: "This code has expired or was already used. Ask for a new one."}
	errInvalidCode = &Error{Status: http.StatusUnprocessableEntity, Code: codeInvalidCode,
		Message: "This code is not right. Check it and try again."}
	errTooManyTries = &Error{Status: http.StatusTooManyRequests, Code: codeTooManyTries,
		Message: "Too many wrong codes. Ask for a new one."}
)

// identity serves the identity check before credential changes: a one-time
// code sent to the user's address, which elevates the session when entered.
type identity struct {
	accounts *accountSessions
	states   stateStore
	notifier notify.Notifier
	limiter  codeLimit
	cfg      IdentityConfig
	rpName   string
	now      func() time.Time
	rec      *recorder
	logger   *slog.Logger
}

// codeRecord is a pending code, kept under the session that asked for it.
type codeRecord struct {
	User    string    `json:"user"`
	Hash    []byte    `json:"hash"` // SHA-256 of the code
	Expires time.Time `json:"expires"`
	Tries   int       `json:"tries"` // wrong guesses so far
}

// codeAnswer is the answer to POST /api/identity/code.
type codeAnswer struct {
	SentTo string `json:"sent_to"`
}

// verifyRequest is the body of POST /api/identity/verify.
type verifyRequest struct {
	Code string `json:"code"`
}

// verifyAnswer is the answer to POST /api/identity/verify.
type verifyAnswer struct {
	ElevatedUntil time.Time `json:"elevated_until"`
}

// code sends a new one-time code to the signed-in user's address. It replaces
// any code the session asked for before.
func (id *identity) code(c echo.Context) error {
	if err := decodeJSON(c, &struct{}{}, true); err != nil {
		return err
	}
	cur, err := id.accounts.signedIn(c)
	if err != nil {
		return err
	}
	user, err := id.accounts.user(cur)
	if err != nil {
		return err
	}
	if user.Email == "" {
		return errNoEmail
	}
	allowed, err := id.limiter.allow(c.Request().Context(), user.Username)
	if err != nil {
		return internalError(fmt.Errorf("counting codes sent: %w", err))
	}
	if !allowed {
		return errTooManyCodes
	}
	code, err := newCode(id.cfg.CodeLength)
	if err != nil {
		return internalError(err)
	}
	sum := sha256.Sum256([]byte(code))
	rec := codeRecord{User: user.Username, Hash: sum[:], Expires: id.now().Add(id.cfg.CodeLifetime)}
	if err := id.keep(c, cur, rec); err != nil {
		return err
	}
	if err := id.notifier.Send(c.Request().Context(), id.message(user.Username, user.Email, code)); err != nil {
		return internalError(fmt.Errorf("sending identity code: %w", err))
	}
	id.logger.Info("identity code sent", "user", user.Username, "ip", c.RealIP())
	id.rec.event(c, user.Username, actionCodeSent, nil)
	return c.JSON(http.StatusOK, codeAnswer{SentTo: maskEmail(user.Email)})
}

// message is the notification carrying code; the notifier's templates word it.
func (id *identity) message(user, to, code string) notify.Message {
	return notify.Message{
		User: user, To: to, Subject: id.rpName + " verification code",
		Kind: notify.KindIdentityCode, Name: id.rpName, Code: code, Lifetime: max(id.cfg.CodeLifetime, time.Minute),
	}
}

// verify checks a code and elevates the session, under a new ID, for the
// configured time. A code works once, until it expires, for maxCodeTries guesses.
func (id *identity) verify(c echo.Context) error {
	var req verifyRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	code := normalizeCode(req.Code)
	if code == "" {
		return invalidRequest("Enter the code.", nil)
	}
	cur, err := id.accounts.signedIn(c)
	if err != nil {
		return err
	}
	if err := id.check(c, cur, code); err != nil {
		return err
	}
	s := cur.sess
	s.ElevatedUntil = id.now().Add(id.cfg.Elevation)
	if err := id.accounts.issue(c, cur, s); err != nil {
		return err
	}
	id.logger.Info("identity verified", "user", s.Username, "ip", c.RealIP(), "until", s.ElevatedUntil)
	id.rec.event(c, s.Username, actionCodeVerified, nil)
	return c.JSON(http.StatusOK, verifyAnswer{ElevatedUntil: s.ElevatedUntil.UTC()})
}

// check takes the session's code and compares code with it in constant time.
// A wrong guess puts the code back with one try fewer, until none is left.
func (id *identity) check(c echo.Context, cur current, code string) error {
	ctx := c.Request().Context()
	b, err := id.states.TakeState(ctx, sessionKey(kindIdentity, cur.id))
	if errors.Is(err, session.ErrNotFound) {
		return errCodeExpired
	}
	if err != nil {
		return internalError(fmt.Errorf("taking identity code: %w", err))
	}
	var rec codeRecord
	if err := json.Unmarshal(b, &rec); err != nil || rec.User != cur.sess.Username || !id.now().Before(rec.Expires) {
		return errCodeExpired
	}
	sum := sha256.Sum256([]byte(code))
	if subtle.ConstantTimeCompare(sum[:], rec.Hash) == 1 {
		return nil
	}
	rec.Tries++
	id.logger.Warn("wrong identity code", "user", rec.User, "ip", c.RealIP(), "tries", rec.Tries)
	if rec.Tries >= maxCodeTries {
		return errTooManyTries
	}
	if err := id.keep(c, cur, rec); err != nil {
		return err
	}
	return errInvalidCode
}

// keep stores rec under the session until it expires.
func (id *identity) keep(c echo.Context, cur current, rec codeRecord) error {
	ttl := rec.Expires.Sub(id.now())
	if ttl <= 0 {
		return errCodeExpired
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return internalError(err)
	}
	if err := id.states.PutState(c.Request().Context(), sessionKey(kindIdentity, cur.id), b, ttl); err != nil {
		return internalError(fmt.Errorf("keeping identity code: %w", err))
	}
	return nil
}

// normalizeCode is what the user typed, in upper case, without spaces or hyphens.
func normalizeCode(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\t' {
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(s)))
}

// maskEmail hides most of an address: alice@example.com is a***e@e***.com.
func maskEmail(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok {
		return "***"
	}
	host, tld := domain, ""
	if i := strings.LastIndexByte(domain, '.'); i > 0 {
		host, tld = domain[:i], domain[i:]
	}
	return maskPart(local, true) + "@" + maskPart(host, false) + tld
}

// maskPart keeps the first character of s and, when keepLast and s is long
// enough, its last.
func maskPart(s string, keepLast bool) string {
	r := []rune(s)
	if len(r) == 0 {
		return "***"
	}
	if keepLast && len(r) > 2 {
		return string(r[0]) + "***" + string(r[len(r)-1])
	}
	return string(r[0]) + "***"
}
