// Package token mints, parses and checks Keygate's API tokens: the credentials a
// user gives a native client (CalDAV, Git over HTTP, a mobile app, a script) that
// cannot do a WebAuthn ceremony.
//
// A token's text is kgt_<id>_<secret>: a 16-hex-digit public ID and a 256-bit
// secret from crypto/rand (base64url). The text is shown once, at minting; what
// is kept (Token) holds the ID and the SHA-256 of the secret, never the secret,
// so a copy of the store yields no usable token. Verify compares hashes in
// constant time. A client sends the text as "Authorization: Bearer <text>" or
// as the password of HTTP Basic.
//
// A token works only until ExpiresAt and only inside its Scope (hosts, path
// prefixes, methods); package authz further accepts it only on rules with
// tokens: allow, and counts failures toward the client address's regulation.
//
// The package is pure: no I/O beyond crypto/rand, no logging, no storage (see
// store for the bbolt implementation). Callers: authz, ui, store, cmd.
package token
