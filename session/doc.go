// Package session keeps Keygate's login sessions and its single-use ceremony
// state, and sets the session cookie.
//
// A Manager issues a session at sign-in under a fresh random ID, puts the ID in
// an HttpOnly cookie for one of the configured cookie domains, and on every
// proxy check loads the session for the request's host, applying three limits:
// the expiration counted from creation, the remember-me lifetime (also from
// creation) instead of it for remember-me sessions, and the inactivity limit
// counted from the last recorded activity, which remember-me sessions do not
// have. Every change of level, elevation or sign-in issues a new ID and deletes
// the old one. PutState and TakeState keep WebAuthn challenges and one-time
// codes in the same store, under their own namespace.
//
// Sessions live in a Store: BoltStore, a bucket of the bbolt file Keygate
// already keeps, for one instance; RedisStore (standalone, Sentinel or Cluster)
// for several. Config.Validate checks the session section of the config file.
//
// # Invariants
//
//   - Session IDs carry 256 bits from crypto/rand and are never stored: the store
//     keys a session by the SHA-256 of its ID ("s:<hex>"), its activity record
//     likewise ("a:<hex>"), and ceremony state by the SHA-256 of the caller's key
//     ("c:<hex>"). A dump of the store yields no usable cookie.
//   - An unauthenticated request writes nothing: Load writes only the activity of
//     a session it returns, and never for an absent, malformed, unknown, expired
//     or foreign-domain ID.
//   - Load never fails for what the client sent; it returns (nil, nil). An error
//     from Load, Issue or Destroy means the store failed, and callers fail closed.
//   - Store.Take, and so TakeState, is single-use: of concurrent takers of one key
//     at most one gets the value.
//   - Activity writes are coalesced: at most one per session per
//     min(inactivity/10, 1 min) from one process, so a session may end up to that
//     long before its inactivity limit. They go to a record apart from the session,
//     so a late activity write can never bring back a destroyed or rotated session.
//   - Cookie domains do not nest (Config.Validate rejects it), so one host is
//     covered by exactly one cookie domain and a browser sends one session cookie.
//
// # What it does not do
//
// It does not decide access (package policy does), authenticate anyone (packages
// ui and webauthn do, then call Issue), or read requests beyond the cookie: the
// caller passes the host it trusts. It does not check public suffixes beyond
// rejecting single-label cookie domains. It keeps no cache of sessions: every
// Load reads the store.
//
// # Who may import it
//
// Packages authz, ui and webauthn, and cmd/keygate for wiring. It is the only
// package that imports go-redis, and it uses bbolt only through the *bbolt.DB
// that cmd/keygate opens; neither library's types appear in its API except that DB.
package session
