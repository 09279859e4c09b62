// Package policy is Keygate's access rule engine: it compiles the access_control
// section of the config into an Engine, and the Engine decides, for one request and
// the subject making it, whether the request may pass (Allow), must first sign in or
// step up (Authenticate), or is refused (Deny).
//
// A rule matches when every condition it sets matches: domain (exact hosts, compared
// case-insensitively with the port and a trailing dot ignored, or "*.example.com"
// wildcards that match subdomains at any depth but never example.com itself),
// resources (regular expressions over "path?query" or the path alone: either
// match counts, so a query string cannot take a request out of a path rule), methods, networks (CIDR
// prefixes or single addresses, IPv4-mapped IPv6 addresses compared as IPv4) and
// subject ("user:NAME" or "group:NAME", any one is enough). The rule's policy then
// decides: bypass allows anyone; one_factor and two_factor allow a subject at that
// level or above and, when max_age is set, whose factor is at most that old; deny
// refuses.
//
// A one_factor or two_factor rule may also set require: what the WebAuthn factor
// must have been (user verification, device-bound i.e. not backup eligible, an
// attachment, an AAGUID from a list, at most max_age old). A subject at the
// right level none of whose Keys meets every condition gets StepUp, not Deny:
// Evaluate's Verdict carries the rule's Requirement so the caller can say what
// is needed. A rule with tokens: allow lets a subject proven by an API token
// (Subject.Token) through in place of a session; on every other rule a token
// subject gets Authenticate, never Allow. Verdict.Tokens tells the caller the
// deciding rule accepts tokens, so that it reads a token only then.
//
// The package does not read requests, cookies or sessions, does no I/O and keeps no
// state beyond the compiled rules: the caller (package authz, the only importer
// besides config and cmd) turns the proxy's request and the session into a Request
// and a Subject. It does not log; "not signed in" and "denied" are Decision values,
// not errors.
//
// # Invariants
//
//   - First match wins: rules are tried in the order written, and the first whose
//     every condition matches decides. The compiled index only skips rules that
//     cannot match the host; it never changes the order.
//   - It fails closed. An empty default_policy means deny; the zero Policy is Forbid
//     and the zero Decision is Deny; an unknown Level counts as LevelNone; a method
//     the engine does not know, an IP it cannot parse or a host that is not a valid
//     name never satisfy a rule that sets methods, networks or domain.
//   - A subject with no username, or at LevelNone, is anonymous. A rule with subjects
//     never matches an anonymous subject: if every other condition of such a rule
//     matches, the decision is Authenticate, so the user signs in and the request is
//     decided again with their identity.
//   - Unknown factor properties fail closed: a factor whose backup eligibility,
//     attachment or AAGUID is unknown never meets a require that names them.
//   - Decide and Evaluate do not allocate and is safe for concurrent use; an Engine is never
//     modified after New. A new config means a new Engine.
//   - Config.Validate and New report every problem at once, each naming the key path
//     (access_control.rules[3].resources[0]), the value and what is allowed; every
//     such error matches ErrInvalidConfig.
package policy
