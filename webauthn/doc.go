// Package webauthn is Keygate's WebAuthn relying party: it registers
// credentials (security keys and passkeys), verifies second-factor sign-ins and
// passkey sign-ins, and lets owners list, rename and delete their credentials.
// It is the only package that imports the WebAuthn library, and none of the
// library's types appear in its API: callers see Options, state bytes,
// Summary, Assertion and *Error.
//
// # Who may import it
//
// ui (the JSON API of the ceremonies) and cmd/keygate (wiring). It keeps
// credentials and user handles in a store behind a small interface it owns,
// satisfied by *store.Store. It does not touch HTTP, cookies or sessions, does
// not know the users file, and does not count failures for regulation: the
// caller does all of that.
//
// # The flow
//
// Every ceremony has two steps, and the caller keeps the state in between:
//
//  1. Begin* returns Options, which marshal to the API's answer
//     {"publicKey": ..., "mediation": ...}, and opaque state bytes.
//  2. The caller stores the state server-side with session.Manager.PutState for
//     StateTTL, under a key bound to the browser's session (and, for an
//     invite, to the token), and sends Options to the browser, which calls
//     navigator.credentials.create() or get().
//  3. The browser posts PublicKeyCredential.toJSON(). The caller takes the
//     state back once with TakeState (a second take fails) and passes both to
//     Finish*, with the username from the session: the state names the
//     ceremony and the user it was begun for, and Finish refuses any other.
//  4. Finish* verifies, applies policy, writes the store once and returns a
//     Summary (registration) or an Assertion (sign-in). The caller then sets
//     the session: a WebAuthn factor after FinishLogin, a passkey factor after
//     FinishPasskeyLogin (worth two factors when Assertion.MultiFactor).
//
// The ceremonies:
//
//   - Registration (BeginRegistration, then FinishRegistration,
//     FinishFirstRegistration or FinishEnrollment), for a signed-in user after
//     an identity check, or for an invite. FinishFirstRegistration stores the
//     credential only if the user has none, checked in the write that adds
//     it (the error wraps store.ErrHasCredential): who may add which
//     credential is the caller's rule, not this package's. excludeCredentials
//     lists the user's credentials (with appidExclude for imported U2F keys),
//     credProps is requested, and attachment, resident key, user verification,
//     attestation and timeout come from the config.
//   - Second factor (BeginLogin, FinishLogin) after a password:
//     allowCredentials lists the user's credentials, with the appid extension
//     when one was imported from U2F. ErrNoCredentials when there are none.
//   - Step-up (BeginStepUp, finished by FinishLogin) for a signed-in user whom
//     a rule requires a certain kind of key: allowCredentials lists only the
//     credentials that meet StepUp (not backup eligible, an attachment, an
//     AAGUID list; never one with a clone warning), user verification is
//     required when asked, and the hint is security-key for cross-platform or
//     client-device for platform. ErrNoQualifyingCredential when none meets it.
//     Every Assertion reports the credential's backup eligibility and AAGUID,
//     which the session records for require.
//   - Passkey (BeginPasskeyLogin, FinishPasskeyLogin): no username; the
//     credential's user handle (64 random bytes from the store) names the user.
//     With conditional set the options carry mediation "conditional" for
//     autofill. The caller must check that the user exists and is enabled.
//
// # Checks on every assertion
//
// FinishLogin and FinishPasskeyLogin refuse an assertion unless all of these
// hold (the test that covers each is in brackets):
//
//   - The state is for this ceremony and this user [TestLoginState "state of
//     another user", "passkey state"; TestPasskeyRefusals "login state"].
//   - The state has not expired: it carries its own expiry, Begin's time plus
//     the timeout [TestLoginState "expired state"].
//   - The challenge was not offered to Finish before in this process, or by
//     any replica when a ReplayGuard is shared (ShareReplayGuard; a failing
//     guard fails the Finish) [TestLoginState "replayed state";
//     TestPasskeyRefusals "replayed state"; TestSharedReplayGuard].
//   - The credential JSON and its base64url fields decode
//     [TestLoginMalformed; FuzzFinishLogin; FuzzFinishPasskeyLogin].
//   - The signed client data names the state's challenge [TestLoginState
//     "answer to another challenge"] and type webauthn.get (library).
//   - Passkey: the user handle names a known user [TestPasskeyRefusals
//     "unknown user handle", "no user handle"].
//   - The credential belongs to that user [TestLoginAnotherUsersCredential;
//     TestPasskeyRefusals "credential of another user"] and, for a second
//     factor, was in allowCredentials (library).
//   - The origin in the client data is a portal origin [TestLoginRefusals
//     "wrong origin"; TestPasskeyRefusals "wrong origin"].
//   - The RP ID hash in the authenticator data is SHA-256 of the RP ID, or of
//     the AppID for an imported U2F credential [TestLoginRefusals "wrong rp
//     id"; TestPasskeyAssertionRefusals; TestLegacyU2F; TestLegacyU2FRefusals].
//   - User presence (UP) is set [TestLoginRefusals "user not present";
//     TestPasskeyAssertionRefusals "user not present"].
//   - The signature verifies with the stored public key (EC2, RSA, U2F raw
//     keys) [TestLoginRefusals "bad signature"; TestLogin; TestLegacyU2F].
//   - The credential is not flagged as cloned; this is checked only after the
//     signature, so that no unsigned request learns of the flag
//     [TestCounterRollback].
//   - User verification (UV) is set when user_verification is required
//     [TestLoginRefusals and TestPasskeyRefusals "uv missing when required"];
//     the UV flag is reported in Assertion.UserVerified either way
//     [TestPasskeyLogin].
//   - The backup-eligible (BE) flag equals the one registered
//     [TestLoginRefusals "backup eligible flag flipped"; TestBackupEligibleChanged,
//     both directions, both paths], and BS is not set
//     without BE (library).
//   - The sign counter rose, unless it is zero both in the store and in the
//     assertion [TestCounterZeroStaysAccepted]. When it did not, the sign-in
//     is refused with ErrCloneWarning and the credential flagged
//     (clone_warning); the user's other credentials keep working, and the
//     flagged one stays refused until store.ClearCloneWarning
//     [TestCounterRollback; TestPasskeyRefusals "counter rollback"]. The store
//     checks the counter again in the transaction that records the use, so of
//     two sign-ins racing with the same counter only one passes
//     [TestCounterRaceFlagsClone].
//   - Passkey: passkey_login is on, at Finish as at Begin
//     [TestPasskeyFinishDisabled].
//   - With metadata.file, the model's metadata status and, for attested
//     credentials, the attestation trust path (library)
//     [TestRegistrationWithMetadata].
//
// Only then is the use recorded: counter, backup state, time.
//
// Registration checks the same state, challenge, origin, RP ID hash, user
// presence, signature of the attestation and user verification
// [TestRegistrationRefusals, TestRegistrationState, TestRegistrationMalformed],
// then Keygate's policy: the credential ID is new for every user
// [TestRegistrationExcludedCredential], aaguids.permit or aaguids.deny
// [TestRegistrationRefusals "denied aaguid", "aaguid not permitted"],
// allow_backup_eligible [TestRegistrationRefusals "backup eligible refused"],
// the metadata status of the model [TestRegistrationWithMetadata] and the
// description [TestRegistrationDescriptions]. The credential is stored in one
// transaction: whole or not at all.
//
// # Errors
//
// A refusal is an *Error with a stable Code, a public Message and the HTTP
// Status to answer with; the cause, for the log, is its Unwrap. Sign-in
// failures are 401, policy refusals 403, conflicts 409, unreadable input 400,
// invalid content 422. Any other error means something broke (the store):
// answer 500.
//
// # Caveats
//
//   - The state's single use rests on the caller's TakeState. The set of used
//     challenges is only a second line of defence: per process, or shared by
//     every replica after ShareReplayGuard.
//   - Without attestation (attestation: none, the default) the AAGUID is the
//     authenticator's own claim: aaguids.permit/deny and the metadata status
//     then keep honest authenticators out, not forged ones. Under a permit
//     list an all-zero AAGUID is refused unless listed.
//   - The metadata blob is read once at start, offline; its signing chain is
//     verified against the FIDO Alliance root but not for revocation, and a
//     blob past its nextUpdate is used with a warning. Models missing from the
//     blob are accepted.
//   - Summary.UserVerified is the UV flag at registration; each sign-in
//     reports its own in Assertion.UserVerified.
//   - Unsolicited client extension outputs are ignored, not refused.
//   - One AppID per request: imported U2F credentials are expected to share
//     the portal's.
package webauthn
