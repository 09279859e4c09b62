package policy

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"regexp/syntax"
	"strings"
)

// ErrInvalidConfig is matched (errors.Is) by every error Validate and New return.
var ErrInvalidConfig = errors.New("invalid access_control config")

// keyPrefix is where Config sits in the config file; errors name keys under it.
const keyPrefix = "access_control"

// allowedPolicies is said in every error about a policy value.
const allowedPolicies = "want bypass, one_factor, two_factor or deny"

// configError is one problem with one key of the config.
type configError struct {
	key     string
	problem string
}

// Error returns "key: problem".
func (e *configError) Error() string { return e.key + ": " + e.problem }

// Unwrap lets errors.Is match ErrInvalidConfig.
func (e *configError) Unwrap() error { return ErrInvalidConfig }

// Validate reports every problem in the config at once (errors.Join), each naming
// the key path, the bad value and what is allowed. It has no side effects.
func (c Config) Validate() error {
	_, _, err := compile(c)
	return err
}

// compiler turns a Config into rules, collecting every error on the way.
type compiler struct {
	errs []error
}

// fail records a problem with key.
func (c *compiler) fail(key, format string, args ...any) {
	c.errs = append(c.errs, &configError{key: key, problem: fmt.Sprintf(format, args...)})
}

// compile validates cfg and returns its rules in order and the default policy.
func compile(cfg Config) ([]rule, Policy, error) {
	var c compiler
	def := Forbid
	if cfg.DefaultPolicy != "" {
		def = c.policy(keyPrefix+".default_policy", cfg.DefaultPolicy)
	}
	rules := make([]rule, len(cfg.Rules))
	for i, in := range cfg.Rules {
		rules[i] = c.rule(fmt.Sprintf("%s.rules[%d]", keyPrefix, i), in)
	}
	if err := errors.Join(c.errs...); err != nil {
		return nil, Forbid, err
	}
	return rules, def, nil
}

// rule compiles one rule; key is its path, such as access_control.rules[3].
func (c *compiler) rule(key string, in Rule) rule {
	var r rule
	if in.Policy == "" {
		c.fail(key+".policy", "is missing; %s", allowedPolicies)
	} else {
		r.policy = c.policy(key+".policy", in.Policy)
	}
	for i, d := range in.Domain {
		c.domain(&r, fmt.Sprintf("%s.domain[%d]", key, i), d)
	}
	for i, s := range in.Resources {
		c.resource(&r, fmt.Sprintf("%s.resources[%d]", key, i), s)
	}
	for i, m := range in.Methods {
		c.method(&r, fmt.Sprintf("%s.methods[%d]", key, i), m)
	}
	for i, n := range in.Networks {
		c.network(&r, fmt.Sprintf("%s.networks[%d]", key, i), n)
	}
	for i, s := range in.Subject {
		c.subject(&r, fmt.Sprintf("%s.subject[%d]", key, i), s)
	}
	c.maxAge(&r, key, in)
	c.require(&r, key, in)
	c.tokens(&r, key, in)
	return r
}

// policy parses a policy value.
func (c *compiler) policy(key, s string) Policy {
	p, ok := parsePolicy(s)
	if !ok {
		c.fail(key, "%q is not a policy; %s", s, allowedPolicies)
	}
	return p
}

// maxAge checks the rule's max_age against its policy.
func (c *compiler) maxAge(r *rule, key string, in Rule) {
	key += ".max_age"
	switch {
	case in.MaxAge < 0:
		c.fail(key, "%s is negative; want 0 (no limit) or a positive duration such as 15m", in.MaxAge)
	case in.MaxAge > 0 && (in.Policy == "bypass" || in.Policy == "deny"):
		c.fail(key, "%s is set on a %s rule; want max_age only with one_factor or two_factor", in.MaxAge, in.Policy)
	default:
		r.maxAge = in.MaxAge
	}
}

// resource compiles one resources regex.
func (c *compiler) resource(r *rule, key, s string) {
	if s == "" {
		c.fail(key, `"" is empty; want a regular expression over path?query such as ^/admin(/|$)`)
		return
	}
	re, err := regexp.Compile(s)
	if err != nil {
		c.fail(key, "%q is not a valid regular expression (%s); want RE2 syntax over path?query such as ^/admin(/|$)", s, regexpProblem(err))
		return
	}
	r.resources = append(r.resources, newResource(re))
}

// regexpProblem returns the short reason a regex did not compile.
func regexpProblem(err error) string {
	var se *syntax.Error
	if errors.As(err, &se) {
		return se.Code.String()
	}
	return err.Error()
}

// method adds one HTTP method to the rule.
func (c *compiler) method(r *rule, key, m string) {
	bit := methodBit(m)
	switch {
	case bit != 0 && m == strings.ToUpper(m):
		r.methods |= bit
	case bit != 0:
		c.fail(key, "%q is not upper case; want %s", m, strings.ToUpper(m))
	default:
		c.fail(key, "%q is not an HTTP method; want one of %s", m, strings.Join(knownMethods[:], ", "))
	}
}

// network adds one CIDR prefix or single address to the rule.
func (c *compiler) network(r *rule, key, s string) {
	p, problem := parseNetwork(s)
	if problem != "" {
		c.fail(key, "%q %s", s, problem)
		return
	}
	r.networks = append(r.networks, p)
}

// parseNetwork parses a CIDR prefix or a single address, masks host bits and turns
// IPv4-mapped IPv6 into IPv4. On failure it returns why, as the rest of a sentence.
func parseNetwork(s string) (netip.Prefix, string) {
	const want = "; want a CIDR prefix or address such as 10.0.0.0/8, 192.0.2.7 or 2001:db8::/32"
	var p netip.Prefix
	if strings.Contains(s, "/") {
		parsed, err := netip.ParsePrefix(s)
		if err != nil {
			return p, "is not a CIDR prefix or address" + want
		}
		p = parsed
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return p, "is not a CIDR prefix or address" + want
		}
		if a.Zone() != "" {
			return p, "has an IPv6 zone" + want
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if !p.Addr().Is4In6() {
		return p.Masked(), ""
	}
	if p.Bits() < 96 {
		return p, "is an IPv4-mapped prefix shorter than /96" + want
	}
	return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96).Masked(), ""
}

// subject adds one "user:NAME" or "group:NAME" to the rule.
func (c *compiler) subject(r *rule, key, s string) {
	const want = "want user:NAME or group:NAME"
	kind, name, _ := strings.Cut(s, ":")
	if kind != "user" && kind != "group" {
		c.fail(key, "%q has no user: or group: prefix; %s", s, want)
		return
	}
	if name == "" || strings.TrimSpace(name) != name {
		c.fail(key, "%q has an empty name or spaces around it; %s", s, want)
		return
	}
	if kind == "user" {
		r.users = append(r.users, name)
	} else {
		r.groups = append(r.groups, name)
	}
}
