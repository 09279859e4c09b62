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
// codes in the same store, under their own namespace; EphemeralStates keeps the
// state of ceremonies anyone may begin (passkey sign-in options) where it costs
// no durable write: in memory (bounded, oldest first) on the embedded store,
// in Redis when sessions are there.
//
// Issue records each session in a set per user (Store.AddMember), before it
// stores the session; EndUser deletes every session of a user, which cmd/keygate
// calls when the users file disables or removes the user, so that enabling
// them again revives nothing.
// UserSessions and AllSessions list sessions for the admin (with the client
// address and User-Agent Issue's caller recorded by Session.SetClient), by a
// handle that is the hex hash the store keys them by, never a usable ID;
// EndSession, EndUser and EndAll end one, a user's, or everyone's. Listing
// everyone's walks the keyspace (SCAN on every Redis primary): admin use only.
// On Redis, SharedWindow, SharedOnce and SharedAttempts hand out what every
// instance must see together: a sliding-window count (codes sent), a
// record-once guard (WebAuthn challenges seen), and regulation counters with
// reservations taken before the costly check, settled as a failure or
// released (Attempts). Each is one Lua script or command per key, on the
// server's clock, acknowledged by replicas like every write.
//
// A request may carry several session cookies (one from an older cookie
// domain, or one a sibling host planted on a narrower path, which the browser
// sends first). LoadRequest ignores IDs that name no valid session and honours
// none when two name live sessions, so the order of the cookies, which the
// sender controls, never chooses the session; CookieValue returns an ID only
// when it is unambiguous; CookieValues lists them all for sign-out.
//
// Each Factor records what a rule's require judges: its method and time, and
// for a WebAuthn factor the credential, the UV flag, the attachment, whether it
// is device-bound (not backup eligible) and the AAGUID. Fields a session lacks
// (issued before they were recorded) read as false or "", which meet no
// require.
//
// Sessions live in a Store: BoltStore, a bucket of the bbolt file Keygate
// already keeps, for one instance (concurrent writes share one transaction and
// its sync, and each returns once committed); RedisStore (standalone, Sentinel
// or Cluster) for several. Config.Validate checks the session section of the config file.
//
// # The session cache
//
// Every proxy check loads a session, so the Manager keeps the sessions Load
// returned in memory, by the hash of their ID: a cached check costs no store
// round trip and no decoding. The activity record rides along, so a cached
// check reads nothing. A miss reads the session and its activity record in one
// round trip when the store can (Redis: a pipeline of two GETs). The cache
// holds at most 100,000 sessions, drops stale ones as it goes, and evicts at
// random when full.
//
// How long an entry is answered without reading the store again:
//
//   - CacheTTL (1 s), on any store.
//   - Up to trustedCacheTTL (5 min) while the store vouches for the cache
//     (cacheVoucher), because it tells the cache of every change to a stored
//     session. The embedded store always does: its file is locked to this
//     process, whose Manager makes every change and invalidates as it goes. A
//     standalone or Sentinel-managed Redis does through a redisTracker: Redis
//     tracks the session keys for it and sends the name of each one written,
//     deleted or expired, by anyone; the tracker vouches only while a beat it
//     wrote less than CacheTTL ago has come back the same way. A Redis Cluster,
//     or a Redis user not allowed CLIENT, gets CacheTTL only. The store starts
//     vouching at the Manager's first Load, so an admin command's Manager,
//     which loads nothing, opens no tracking connection.
//
// How stale an answer can be:
//
//   - On the instance that signs a user out, rotates the ID (sign-in, level
//     change, elevation) or destroys a session, the change applies to the next
//     Load at once: Issue and Destroy invalidate the entry, and a Load that was
//     reading the store meanwhile does not cache what it read.
//   - On other instances sharing a Redis store, a destroyed or rotated session
//     stops being answered when Redis's invalidation arrives (milliseconds),
//     and in any case at most CacheTTL after the change: past that, an entry is
//     answered only if a beat sent after the change has been told, and Redis
//     tells a client's invalidations in the order of the writes.
//   - When the store becomes unreachable, sessions read less than CacheTTL ago
//     are still answered until their entry is CacheTTL old (on the embedded
//     store, whose cache needs no reading, until trustedCacheTTL); after that
//     Load fails with the store's error, and callers fail closed.
//   - A session idle by what this instance knows is checked against the store
//     before it is refused, since another instance may have recorded activity.
//
// # Activity records
//
// A session subject to the inactivity limit has its activity recorded at most
// once per min(inactivity/10, 1 min) per instance. The check that finds the
// record due does not wait for it: an activityWriter writes it, off the
// request's path. A record written late or lost only makes the session end
// earlier, never later.
//
// # Invariants
//
//   - Session IDs carry 256 bits from crypto/rand and are never stored: the store
//     keys a session by the SHA-256 of its ID ("s:<hex>"), its activity record
//     likewise ("a:<hex>"), and ceremony state by the SHA-256 of the caller's key
//     ("c:<hex>"). A dump of the store yields no usable cookie.
//   - An unauthenticated request writes nothing and caches nothing: Load writes
//     only the activity of a session it returns, caches only sessions it returns,
//     and does neither for an absent, malformed, unknown, expired or
//     foreign-domain ID. A flood of made-up cookies cannot grow the store or the
//     process.
//   - Load hands out a copy: callers may change the session (and Issue it) without
//     touching what other requests see.
//   - Load never fails for what the client sent; it returns (nil, nil). An error
//     from Load, Issue or Destroy means the store failed, and callers fail closed.
//   - Store.Take, and so TakeState, is single-use: of concurrent takers of one key
//     at most one gets the value.
//   - Activity writes are coalesced: at most one per session per
//     min(inactivity/10, 1 min) from one process, so a session may end up to that
//     long before its inactivity limit. They go to a record apart from the session,
//     so a late activity write can never bring back a destroyed or rotated session.
//   - Cookie domains do not nest (Config.Validate rejects it), so one host is
//     covered by exactly one cookie domain and Keygate's own cookies never
//     collide; other session cookies a browser sends are resolved as above.
//   - A session exists only once it is in its user's set: EndUser finds every
//     session issued since the index existed. Sets live apart from keys, and
//     each member expires with its session.
//
// # What it does not do
//
// It does not decide access (package policy does), authenticate anyone (packages
// ui and webauthn do, then call Issue), or read requests beyond the cookie: the
// caller passes the host it trusts. It does not check public suffixes beyond
// rejecting single-label cookie domains. It does not share its cache between
// instances or tell other instances about a logout: they see it within CacheTTL.
//
// # Who may import it
//
// Packages authz, ui and webauthn, and cmd/keygate for wiring. It is the only
// package that imports go-redis, and it uses bbolt only through BoltFile, the
// transactions of the file that the store package opens and owns (*store.File);
// neither library's types appear in its API except bbolt's Tx in BoltFile.
package session
