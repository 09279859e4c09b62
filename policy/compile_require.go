package policy

import (
	"fmt"
	"strings"
)

// require compiles the rule's require key.
func (c *compiler) require(r *rule, key string, in Rule) {
	if in.Require == nil {
		return
	}
	key += ".require"
	if in.Policy == "bypass" || in.Policy == "deny" {
		c.fail(key, "is set on a %s rule; want require only with one_factor or two_factor", in.Policy)
		return
	}
	q := &Requirement{
		UserVerification: in.Require.UserVerification,
		DeviceBound:      in.Require.DeviceBound,
		Attachment:       c.attachment(key+".attachment", in.Require.Attachment),
	}
	for i, s := range in.Require.AAGUIDs {
		if id, ok := c.aaguid(fmt.Sprintf("%s.aaguids[%d]", key, i), s); ok {
			q.AAGUIDs = append(q.AAGUIDs, id)
		}
	}
	if in.Require.MaxAge < 0 {
		c.fail(key+".max_age", "%s is negative; want 0 (no limit) or a positive duration such as 15m", in.Require.MaxAge)
	}
	q.MaxAge = max(in.Require.MaxAge, 0)
	if !q.IsZero() {
		r.require = q
	}
}

// attachment parses require.attachment.
func (c *compiler) attachment(key, s string) Attachment {
	switch s {
	case "":
		return AnyAttachment
	case "platform":
		return Platform
	case "cross-platform":
		return CrossPlatform
	}
	c.fail(key, "%q is not an attachment; want platform, cross-platform or leave it out for any", s)
	return AnyAttachment
}

// aaguid checks one AAGUID and returns it in canonical lower-case form.
func (c *compiler) aaguid(key, s string) (string, bool) {
	if !isUUID(s) {
		c.fail(key, "%q is not an AAGUID; want a UUID such as cb69481e-8ff7-4039-93ec-0a2729a154a8", s)
		return "", false
	}
	return strings.ToLower(s), true
}

// isUUID reports whether s is a UUID in 8-4-4-4-12 hex form.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if s[i] != '-' {
				return false
			}
		case !isHex(s[i]):
			return false
		}
	}
	return true
}

// isHex reports whether b is a hexadecimal digit.
func isHex(b byte) bool {
	return '0' <= b && b <= '9' || 'a' <= b && b <= 'f' || 'A' <= b && b <= 'F'
}

// tokens compiles the rule's tokens key.
func (c *compiler) tokens(r *rule, key string, in Rule) {
	key += ".tokens"
	switch in.Tokens {
	case "", "deny":
	case "allow":
		if in.Policy == "bypass" || in.Policy == "deny" {
			c.fail(key, "allow is set on a %s rule; want tokens: allow only with one_factor or two_factor", in.Policy)
			return
		}
		r.tokens = true
	default:
		c.fail(key, "%q is not allowed; want allow or deny (the default)", in.Tokens)
	}
}
