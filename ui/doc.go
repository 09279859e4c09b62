// Package ui is Keygate's portal: the sign-in, second-step, settings,
// enrollment and sign-out pages, their embedded CSS and JavaScript, and the
// JSON API the pages call to sign in and out and to manage WebAuthn
// credentials.
//
// Handler.Register adds every route in one place. Pages are html/template files
// and static assets built into the binary with go:embed and parsed once by New;
// they carry no inline script or style, so the Content-Security-Policy allows
// only the portal's own files.
//
// # Pages
//
// Every page is templates/NAME.html inside templates/layout.html; the layout
// loads static/portal.css and the module static/portal.js, which runs the
// script of the page named by <body data-page>. No framework, no build step.
//
//   - "/" signs in with a username and password, with a passkey offered in the
//     username field's autofill (conditional mediation, renewed before its
//     challenge expires and aborted before a modal request), or with the
//     "Sign in with a passkey" button. A browser that is signed in already
//     sees where it stands; a one-factor session sent back by an app (rd)
//     goes on to /2fa when it can reach two factors there.
//   - "/2fa" is the security-key step after a password, or the password step
//     after a passkey that did not verify the user.
//   - "/step-up" is where authz sends a signed-in user whose key falls short of
//     a rule's require (rd and require in the query): it says in words which
//     key is needed, asks POST /api/login/step-up/options for options whose
//     allowCredentials hold only the qualifying credentials (with hints), and
//     finishes through POST /api/login/webauthn, the second-factor route, which
//     records the new factor (device-bound, AAGUID) in the session. An account
//     without a qualifying credential gets no_qualifying_credential and is told
//     how to get one. The require text only chooses what is offered: authz
//     decides the request again.
//   - "/settings" lists, adds (with the identity code inline), renames and
//     deletes the user's credentials, and shows a clone warning plainly. Its
//     "Access tokens" section lists, mints and revokes API tokens (GET/POST
//     /api/tokens, DELETE /api/tokens/{id}): minting needs a security key or
//     passkey used within identity.elevation (else step_up_required, and the
//     page runs a step-up with any key); the token is answered once, only its
//     hash is stored, and minting and revoking are audited.
//   - "/enroll" is the landing page of an invite link; "/logout" signs out at
//     once when the browser says the navigation is the portal's own, the same
//     site's or the user's (Sec-Fetch-Site same-origin, same-site or none), and
//     otherwise (another site, or no header) shows a button that does.
//
// The scripts send WebAuthn options and credentials in their W3C JSON form
// through the browser's PublicKeyCredential.parse*OptionsFromJSON and toJSON,
// with a base64url fallback, and turn the browser's errors into sentences that
// say what to do next. Every text comes from one catalog: texts/LANG.json,
// English complete, other languages filled from it, picked by
// Accept-Language; templates read it as .T, scripts from <body data-texts>.
// A text key missing from the catalog fails the page (missingkey=error), and a
// test checks that templates and scripts use only keys the catalog has. ErrorHandler renders every error, the portal's
// own, the relying party's refusals (*webauthn.Error, by their own code,
// message and status) and echo's, as {"error": code, "message": text} under
// /api/ and as a plain page elsewhere.
//
// Sign-out (POST /api/logout) ends every live session named by a session
// cookie of the request, not only the first: a cookie planted by a sibling
// host on a narrower path comes first. Everywhere else the portal reads the
// browser's session with session.Manager.LoadRequest, which honours no cookie
// when two name live sessions.
//
// Password sign-in (POST /api/login/password) checks the password with the
// directory under regulation, then either adds a password factor to the
// browser's session of the same user (a passkey without user verification
// followed by the password makes two_factor) or starts a new session for the
// request host's cookie domain, and issues it under a fresh ID.
//
// # WebAuthn ceremonies
//
// Each ceremony has an options step, which asks the relying party (package
// webauthn) to begin and keeps its state with session.Manager.PutState for the
// relying party's StateTTL, and a finish step, which takes the state back with
// TakeState (single-use: it is gone whatever the outcome) and asks the relying
// party to verify. The state is bound to the browser that began it:
//
//   - Signed-in ceremonies (security key after a password, registration, the
//     identity code) are keyed by their kind and the hash of the session ID.
//   - Anonymous ceremonies (passkey sign-in, enrollment) are keyed by their
//     kind and the hash of the keygate_ceremony cookie: 32 random bytes,
//     HttpOnly, Path /api/, SameSite Strict, Secure on an https portal, set by
//     the options step and expired by the finish step. One ceremony of each
//     kind is pending per browser; a new one replaces the last.
//
// The passkey sign-in, which anyone may begin, keeps its state in
// session.Manager.EphemeralStates (memory on the embedded store, Redis when
// sessions are there), so that its options cost no durable write; every
// other ceremony keeps it with PutState.
//
// Besides the store's TTL, the portal checks the state's expiry with its own
// clock, and that it is of the ceremony's kind.
//
// The flows:
//
//   - Passkey sign-in: the credential's user handle names the user, who must be
//     in the users file and enabled. The browser's session of the same user
//     gets a passkey factor, any other is replaced by a new session. With
//     user verification and passkey_uv_two_factor it is two_factor; otherwise
//     one_factor, and the answer's next is "password" when the user has one.
//   - Second factor: a WebAuthn factor added to the session of the signed-in
//     user (password + security key is two_factor).
//   - Identity check: POST /api/identity/code mails a one-time code;
//     POST /api/identity/verify elevates the session for identity.elevation.
//     Listing and renaming credentials need one_factor; adding and deleting
//     need an elevated session and, on an account that has a credential, a
//     proof of possession: a two_factor session one of whose WebAuthn factors
//     is a credential the account has now. Deleting also needs that
//     credential to predate the session. Without the proof, a session adds
//     only an account's first credential, and the store checks "no credential
//     yet" in the transaction that adds it. So a password and a mailbox never
//     reach two_factor on an account that has a credential, nor remove one;
//     one who lost every key gets a reset and an invite from an administrator.
//     docs/security.md has the table of what each route needs.
//   - Enrollment: an invite token (store) lets its user register a credential
//     without password or mailbox. The options step only peeks at the invite;
//     the finish step checks the token is the one the ceremony began with,
//     registers the credential and uses the invite up in one store
//     transaction, and signs the user in, elevated. A refused registration
//     leaves the invite usable; of two uses at once, one wins.
//
// Package ui does not decide access (authz and policy do), does not store
// sessions (session does) and does not verify WebAuthn ceremonies (webauthn
// does). Only cmd/keygate imports it.
//
// Invariants:
//   - Every answer of a portal route, and every error, carries the security
//     headers, and Strict-Transport-Security when the request host's portal
//     is https; API answers are no-store. Routes other packages add to the same
//     router (the forward-auth checks) do not get them.
//   - POST, PATCH and DELETE under /api/ need an Origin equal to the portal of
//     the request host's cookie domain, and a body needs Content-Type
//     application/json and at most 64 KiB.
//   - A failed sign-in answers 401 invalid_credentials with the same body
//     whether the user is unknown, disabled, passwordless, the password wrong or
//     the user or address banned by regulation; a banned attempt is answered
//     at once, without a hash (the ban is no secret to whoever caused it).
//   - A password is checked only under a regulation reservation: per user and
//     per client (IPv4 address, IPv6 prefix of regulation.ipv6_prefix bits),
//     failures plus checks in flight never exceed max_failures, so concurrent
//     guesses cannot outrun a ban. Checks then take a slot of the hashing pool:
//     GOMAXPROCS-1 hashes at once (a CPU stays free for forward-auth), shared
//     fairly among clients, the queue bounded, 429 too_many_requests beyond.
//   - Every sign-in that reaches a factor sets the known-device cookie
//     (keygate_device; device.go): a random device ID bound to the username by
//     an HMAC-SHA-256 under the store's server key "device". A password
//     sign-in carrying a valid one for the username it signs in as takes its
//     hashing slot in the known-device class, keyed by the device, served
//     before any address-keyed check and with queue room of its own. The
//     cookie gives nothing else: no authentication, no level, no way around
//     regulation (the reservation comes first; a ban refuses without a hash).
//     One that does not verify counts as none, never as an error.
//   - Failed WebAuthn sign-ins (every refusal of the relying party, a missing
//     or expired state included) count toward the same regulation as
//     passwords: per user when the user is known (second factor; a passkey
//     flagged as cloned) and per address always. A banned user or address gets
//     the answer of a credential that does not verify, 401 invalid_credential.
//   - Every sign-in, level change and elevation issues a new session ID and
//     deletes the old one. A session of another user is replaced, never merged.
//   - One-time codes: identity.code_length characters from an alphabet
//     without 0, O, 1, I and L, from crypto/rand; kept only as a SHA-256 under
//     the session that asked, compared in constant time, valid for
//     identity.code_lifetime, once, and for at most 5 wrong guesses. At most 3
//     codes per user are sent in any 10 minutes (per process on the embedded
//     store; over every replica when sessions are on Redis).
//   - With sessions on Redis, regulation (reservations, failures, bans) and
//     the count of codes sent live there (session.Manager.SharedAttempts,
//     SharedWindow), so that replicas count together; otherwise in memory.
//   - The audit trail records every sign-in of a user the users file knows
//     (method, result, credential, address, user agent), clone warnings,
//     credentials added, renamed and deleted, invites redeemed, identity codes
//     sent and verified, bans regulation starts, and sign-outs. A failed password sign-in of a name
//     nobody has is counted in metrics only, so guessing cannot fill the trail.
//   - GET /api/health says the process serves; GET /api/ready says every
//     store answers (503 naming those that do not, causes in the log only).
//   - Metrics (Deps.Metrics, optional) count sign-ins, bans, ceremonies and
//     codes sent; labels come from constants, never from a request.
//   - A redirect in an answer is absolute: rd when it is an https URL (http for
//     localhost and names under .localhost) on the cookie domain, else the
//     domain's default redirect URL.
//   - Causes of errors are logged, never shown to the client.
package ui
