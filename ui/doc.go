// Package ui is Keygate's portal: the sign-in and sign-out pages, their embedded
// CSS and JavaScript, and the JSON API the pages call to sign in and out.
//
// Handler.Register adds every route in one place. Pages are html/template files
// and static assets built into the binary with go:embed and parsed once by New;
// they carry no inline script or style, so the Content-Security-Policy allows
// only the portal's own files. ErrorHandler renders every error, the portal's
// own and echo's, as {"error": code, "message": text} under /api/ and as a
// plain page elsewhere.
//
// Password sign-in (POST /api/login/password) checks the password with the
// directory under regulation, then either adds a password factor to the
// browser's session of the same user (a passkey without user verification
// followed by the password makes two_factor) or starts a new session for the
// request host's cookie domain, and issues it under a fresh ID.
//
// Package ui does not decide access (authz and policy do), does not store
// sessions (session does) and does not verify WebAuthn ceremonies (webauthn
// does). Only cmd/keygate imports it.
//
// Invariants:
//   - Every response carries the security headers; API answers are no-store.
//   - POST, PATCH and DELETE under /api/ need an Origin equal to the portal of
//     the request host's cookie domain, and a body needs Content-Type
//     application/json and at most 64 KiB.
//   - A failed sign-in answers 401 invalid_credentials with the same body
//     whether the user is unknown, disabled, passwordless, the password wrong or
//     the user or address banned by regulation; a banned attempt costs the same
//     hashing work as any other.
//   - Every sign-in issues a new session ID and deletes the old one. A session
//     of another user is replaced, never merged.
//   - A redirect in an answer is absolute: rd when it is an https URL (http for
//     localhost) on the cookie domain, else the domain's default redirect URL.
//   - Causes of errors are logged, never shown to the client.
package ui
