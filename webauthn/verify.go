package webauthn

import (
	"crypto/subtle"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	gowebauthn "github.com/go-webauthn/webauthn/webauthn"
)

// checkChallenge compares the challenge the browser signed with the one in the
// state, so that an answer to another ceremony is named as such.
func checkChallenge(st state, got string) error {
	if subtle.ConstantTimeCompare([]byte(st.Session.Challenge), []byte(got)) != 1 {
		return ErrChallengeMismatch.withf("client data challenge does not match the state")
	}
	return nil
}

// relaxUV returns the library's session with user verification no stricter
// than preferred. Keygate checks a "required" UV itself once the signature is
// verified, so that the failure has its own code.
func relaxUV(s gowebauthn.SessionData) gowebauthn.SessionData {
	if s.UserVerification == protocol.VerificationRequired {
		s.UserVerification = protocol.VerificationPreferred
	}
	return s
}

// verifyError maps a verification failure of the library to a refusal:
// unknown_credential, authenticator_refused (metadata) or invalid_credential
// with the given status.
func verifyError(err error, status int) error {
	var unknown *protocol.ErrorUnknownCredential
	if errors.As(err, &unknown) {
		return ErrUnknownCredential.with(libraryCause(err))
	}
	if isMetadataError(err) {
		return ErrAuthenticatorRefused.with(libraryCause(err))
	}
	return ErrInvalidCredential.withStatus(status).with(libraryCause(err))
}

// isMetadataError reports whether any error in err's chain is the library's
// metadata refusal (the model's status or attestation trust).
func isMetadataError(err error) bool {
	for ; err != nil; err = errors.Unwrap(err) {
		if pe, ok := err.(*protocol.Error); ok && pe.Type == protocol.ErrMetadata.Type {
			return true
		}
	}
	return false
}

// libraryCause keeps the library's developer detail for the log.
func libraryCause(err error) error {
	var pe *protocol.Error
	if errors.As(err, &pe) && pe.DevInfo != "" {
		return fmt.Errorf("%w (%s)", err, pe.DevInfo)
	}
	return err
}
