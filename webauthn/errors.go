package webauthn

import (
	"fmt"
	"net/http"
)

// Error is a refusal the user should hear about: a stable Code for the API's
// "error" field, a public Message for its "message" field and the HTTP Status to
// answer with. The cause, for the log only, is reachable with errors.Unwrap.
//
// The exported Err* values are the kinds; a returned error is a copy of one of
// them carrying its cause, and errors.Is(err, ErrCloneWarning) matches by Code.
// Any error from this package that is not an *Error is an internal failure
// (store down, broken state): answer 500 and log it.
type Error struct {
	Code    string
	Message string
	Status  int
	cause   error
}

// Error returns the code, the message and the cause.
func (e *Error) Error() string {
	if e.cause == nil {
		return "webauthn: " + e.Code + ": " + e.Message
	}
	return "webauthn: " + e.Code + ": " + e.Message + ": " + e.cause.Error()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.cause }

// Is reports whether target is an *Error of the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// with returns a copy of e carrying cause.
func (e *Error) with(cause error) *Error {
	c := *e
	c.cause = cause
	return &c
}

// withf returns a copy of e carrying a formatted cause.
func (e *Error) withf(format string, args ...any) *Error {
	return e.with(fmt.Errorf(format, args...))
}

// withStatus returns a copy of e answered with another status (a registration
// refusal is 422 where the same check on a sign-in is 401).
func (e *Error) withStatus(status int) *Error {
	c := *e
	c.Status = status
	return &c
}

func newError(status int, code, message string) *Error {
	return &Error{Code: code, Message: message, Status: status}
}

// The kinds of refusal. Sign-in failures are 401, policy refusals 403,
// conflicts 409, malformed input 400, invalid content 422.
var (
	ErrMalformedCredential = newError(http.StatusBadRequest, "malformed_credential",
		"The browser sent a credential that could not be read.")
	ErrChallengeExpired = newError(http.StatusBadRequest, "challenge_expired",
		"This request has expired or was already used. Please start again.")
	ErrChallengeMismatch = newError(http.StatusBadRequest, "challenge_mismatch",
		"This response does not belong to the request that was started. Please start again.")
	ErrInvalidCredential = newError(http.StatusUnauthorized, "invalid_credential",
		"The security key's response could not be verified.")
	ErrUnknownCredential = newError(http.StatusUnauthorized, "unknown_credential",
		"This security key or passkey is not registered for this account.")
	ErrUserVerificationRequired = newError(http.StatusUnauthorized, "user_verification_required",
		"Your authenticator must verify you (PIN or biometrics). Please try again.")
	ErrBackupEligibleChanged = newError(http.StatusUnauthorized, "backup_eligible_changed",
		"This authenticator does not behave as it did when it was registered.")
	ErrCloneWarning = newError(http.StatusForbidden, "clone_warning",
		"This security key may have been cloned and is blocked. Use another one or contact an administrator.")
	ErrAAGUIDDenied = newError(http.StatusForbidden, "aaguid_denied",
		"This model of authenticator is not allowed here.")
	ErrBackupEligibleRefused = newError(http.StatusForbidden, "backup_eligible_refused",
		"Synced passkeys are not allowed here. Use a security key or a device-bound passkey.")
	ErrAuthenticatorRefused = newError(http.StatusForbidden, "authenticator_refused",
		"This authenticator is not trusted here.")
	ErrPasskeyLoginDisabled = newError(http.StatusForbidden, "passkey_login_disabled",
		"Signing in with a passkey is disabled.")
	ErrCredentialExcluded = newError(http.StatusConflict, "credential_excluded",
		"This authenticator is already registered.")
	ErrDescriptionTaken = newError(http.StatusConflict, "description_taken",
		"You already have a credential with this name.")
	ErrNoCredentials = newError(http.StatusConflict, "no_credentials",
		"No security key or passkey is registered for this account.")
	ErrInvalidDescription = newError(http.StatusUnprocessableEntity, "invalid_description",
		"The name must be 1 to 64 characters without control characters.")
	ErrCredentialNotFound = newError(http.StatusNotFound, "credential_not_found",
		"No such credential.")
)
