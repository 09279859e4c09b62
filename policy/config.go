package policy

import "time"

// Config is the access_control section: rules tried in order, first match wins,
// and the policy applied when no rule matches.
type Config struct {
	// DefaultPolicy applies when no rule matches. Empty means deny.
	DefaultPolicy string `koanf:"default_policy"`
	// Rules are tried top to bottom; the first whose every condition matches decides.
	Rules []Rule `koanf:"rules"`
}

// Rule is one access rule as written in the config file. A condition left empty
// matches everything.
type Rule struct {
	// Domain lists exact hosts ("app.example.com") or wildcards ("*.example.com",
	// which matches subdomains at any depth but not example.com itself).
	Domain []string `koanf:"domain"`
	// Resources are regular expressions matched against "path?query".
	Resources []string `koanf:"resources"`
	// Methods are HTTP methods, upper case.
	Methods []string `koanf:"methods"`
	// Networks are CIDR prefixes or single addresses of the client.
	Networks []string `koanf:"networks"`
	// Subject lists "user:NAME" and "group:NAME"; any one matching is enough.
	// A rule with subjects never matches an anonymous request, which is sent to sign in.
	Subject []string `koanf:"subject"`
	// Policy is bypass, one_factor, two_factor or deny.
	Policy string `koanf:"policy"`
	// MaxAge, when set, requires the factor that reached the level to be at most
	// this old (step-up). Zero means no freshness requirement.
	MaxAge time.Duration `koanf:"max_age"`
	// Require, when set, is what the WebAuthn factor must have been; a signed-in
	// subject whose factors fall short is sent to step up, not denied. Nil sets
	// nothing.
	Require *Require `koanf:"require"`
	// Tokens is allow or deny: whether API tokens may pass this rule. Empty means
	// deny.
	Tokens string `koanf:"tokens"`
}

// Require is a rule's require key as written in the config file. Every field
// left zero sets no condition.
type Require struct {
	// UserVerification requires the UV flag (a PIN or biometrics).
	UserVerification bool `koanf:"user_verification"`
	// DeviceBound requires a credential that is not backup eligible (never synced).
	DeviceBound bool `koanf:"device_bound"`
	// Attachment is "", platform or cross-platform (a security key).
	Attachment string `koanf:"attachment"`
	// AAGUIDs lists the authenticator models allowed, as UUIDs. Empty allows any.
	AAGUIDs []string `koanf:"aaguids"`
	// MaxAge, when set, requires the qualifying factor to be at most this old.
	MaxAge time.Duration `koanf:"max_age"`
}
