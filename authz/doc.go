// Package authz answers the reverse proxy's question, asked once for every proxied
// request: "may this request through, and as whom?".
//
// It serves two endpoints, for any HTTP method (the method of the check itself
// means nothing; nginx always sends GET):
//
//	/api/authz/forward-auth   for proxies that describe the original request in
//	                          X-Forwarded-Method, -Proto, -Host and -Uri and pass the
//	                          auth server's non-2xx answers to the client as they are
//	/api/authz/auth-request   for nginx auth_request: the original request is in
//	                          X-Original-URL (absolute) and X-Original-Method, and
//	                          nginx turns a 401 into the redirect itself
//
// # The flow, step by step
//
//  1. Trusted peer. The direct peer (the connection's RemoteAddr, never a header)
//     must be inside Config.TrustedProxies (loopback when empty). Otherwise the
//     answer is 403 and nothing else happens: no header is read, no session looked
//     up, nothing logged beyond one warning.
//  2. Original request. Forward-auth reads exactly the four X-Forwarded-* headers
//     and nothing else, so an X-Original-URL that a client slipped through the proxy
//     is ignored there. Auth-request reads X-Original-URL and X-Original-Method.
//     Each header must be present exactly once and well-formed: method an HTTP token
//     (upper-cased), proto http or https, host a DNS name, dotted IPv4 or bracketed
//     IPv6 with an optional port 1-65535, URI a request target starting with "/"
//     without spaces, control characters, "#", malformed %-escapes, dot segments,
//     or "\", "%2F", "%5C" in its path (separators applications disagree on).
//     Anything else is 400 with a short plain reason naming the header. The host is
//     reduced to a name (lower case, no port, brackets or trailing dot) for the
//     session lookup and the policy.
//  3. Session. The session cookie is taken from the request's Cookie header (the
//     proxies pass the client's headers) and looked up with Load for the original
//     host; only Load is called, so an anonymous request creates and writes nothing.
//     Load answers most checks from the session manager's short-lived cache (see
//     session.CacheTTL) and hands out a copy, which authz fills in with the users
//     file's current identity. A session at level none counts as anonymous. A
//     lookup error is logged once and answered 500: the check fails closed, never
//     200.
//  4. Decision. The policy engine gets the subject (username, groups, level mapped
//     explicitly from the session's level, time of the freshest factor) and the
//     request (host name, "path?query" as judgedURI reads it: ";parameters"
//     dropped from each segment, escapes of unreserved characters decoded, runs
//     of "/" merged, so that a rule on "/secret" also sees "/secret;x/y",
//     "/%73ecret" and "//secret"; the query as sent), method, client IP, now). The client IP is
//     read from X-Forwarded-For, from the right, skipping trusted proxies: the rule
//     the daemon's router applies to the portal, computed here without the
//     router's allocations. An entry that does not parse stops the walk and the
//     peer counts as the client. Policy first decides without the session's
//     WebAuthn factors; only a StepUp (a rule's require, never met without
//     them) is decided again with them, so the common path builds no list.
//  5. Token. Only when the deciding rule has tokens: allow, the session did not
//     already get Allow (nor Deny), and EnableTokens was called, is the
//     Authorization header read: one value, "Bearer <token>" or Basic with the
//     token as password (and the token's user, or none, as user name). A banned
//     address's token is ignored; a malformed, unknown, revoked or wrong one is
//     a failure counted per client address (Regulation) and logged, and for an
//     existing token also given to the TokenAuditor; an expired
//     one, one outside its scope (host, path prefix, method) or of a user gone
//     from the users file is ignored. A valid one is decided again as its user
//     with Subject.Token; its last use is written at most once a minute. A
//     token store error is answered 500.
//  6. Answer.
//     Allow: 200 with Remote-User, Remote-Groups (comma-separated), Remote-Email,
//     Remote-Name and Remote-AMR (the RFC 8176 methods of the session's factors:
//     pwd, hwk for a device-bound credential, swk for a synced one, user for user
//     verification, mfa at two_factor; rendered once per combination), all five
//     always present and empty for an anonymous request (a bypass rule) or a
//     token, so that a proxy copying them never forwards a client's own value or
//     a placeholder. Identity headers on the incoming request are never read.
//     Deny: 403.
//     Authenticate: Location is "<portal>/?rd=<original URL, query-escaped>" for
//     the portal of the cookie domain covering the host. Forward-auth answers a
//     client whose Accept allows text/html with 302 (GET, HEAD) or 303 (any other
//     method, so the portal is fetched with GET), and anything else (an API
//     client, no Accept at all) with 401 and the same Location. Auth-request
//     always answers 401 with Location. A host under no cookie domain can never
//     hold a session, so there it is 403 (logged at debug). On a tokens: allow
//     rule a 401 also carries WWW-Authenticate challenges for Bearer and Basic.
//     StepUp: signed in at the level, but no factor meets the rule's require.
//     Location is "<portal>/step-up?rd=<URL>&require=<need>", with the same
//     statuses as Authenticate; a client whose Accept does not allow HTML also
//     gets WWW-Authenticate: Bearer error="insufficient_user_authentication",
//     error_description and max_age (RFC 9470).
//
// Every answer other than 200 has a tiny plain-text body that repeats no request
// input, "Cache-Control: no-store" and "X-Content-Type-Options: nosniff".
//
// # What it does not do
//
// It creates, refreshes or ends no session (session does, and Load records
// activity itself), renders no page and serves no JSON (ui does), and decides
// nothing on its own (policy does). It does not use or configure the router's
// client-IP extraction (cmd does, for the portal) and has no opinion on the rd
// URL beyond encoding it: the portal checks it before following it.
//
// # Who may import it
//
// Only cmd/keygate, which builds one Handler and registers it on the router.
// authz imports policy, session, token and echo; it depends on *session.Manager,
// *policy.Engine and the token store only through small interfaces of its own.
//
// # Invariants
//
//   - A request from an untrusted peer gets 403 and causes no lookup.
//   - An error never yields 200.
//   - A 200 always carries all five identity headers; they come only from the
//     session or a verified token, never from the request.
//   - Authorization is read only on a rule with tokens: allow; a token secret is
//     compared by hash in constant time.
//   - The only session call that can write is Load's activity stamp on a known
//     session; an anonymous request causes none.
//   - The hot path (allowed, authenticated) uses no fmt, no regexp, and four
//     small allocations with the session cached: the session's copy, the users
//     file's groups, the identity header values and the joined groups (see
//     BenchmarkForwardAuthRealManager and TestForwardAuthRealManagerAllocs).
//   - With Metrics (UseMetrics) every answer is counted once, by endpoint,
//     result and the index of the deciding rule, with its duration; counting
//     adds no allocation. Without, the clock is not read for it.
//
// # Caveats
//
//   - Path rules see the path as judgedURI reads it: "/%61dmin" is "/admin", but
//     other escapes ("%C3%A9", "%25") stay encoded, and case is not folded. Dot
//     segments (also as %2e, with "\" or %2f/%5c separators, or with a ";param"
//     suffix) and the separators "\", %2F and %5C are refused outright. An
//     application that folds case, decodes twice or strips trailing characters
//     can still see a different path than the rule did. Write path rules to deny
//     broadly and allow narrowly.
//   - Raw bytes from 0x80 up are accepted in the URI (some clients send unencoded
//     UTF-8); they are query-escaped in rd like everything else.
//   - Methods are upper-cased before policy sees them, so a rule on DELETE also
//     catches "delete" (which some applications treat alike).
//   - Behind nginx, any 400 or 500 from this package becomes a 500 for the client:
//     auth_request accepts only 2xx, 401 and 403.
//   - A trusted peer is trusted with everything it sends: the X-Forwarded-* headers
//     and X-Forwarded-For. A proxy that passes a client's own X-Forwarded-Host lets
//     the client choose which host is checked; configure the proxy to set them.
//   - A proxy that also forwards the portal to Keygate makes these endpoints
//     reachable through it by anyone, from a trusted address. That reveals only the
//     caller's own standing, but the shipped proxy configurations block
//     /api/authz/ on the portal's virtual host anyway.
//   - Group names containing commas cannot be told apart in Remote-Groups.
package authz
