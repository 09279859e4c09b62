package policy

import "strings"

// maxHostLen is the longest DNS name, without the trailing dot.
const maxHostLen = 253

// domain adds one domain entry, an exact host or a "*.example.com" wildcard.
func (c *compiler) domain(r *rule, key, d string) {
	host, wildcard, problem := parseDomain(d)
	switch {
	case problem != "":
		c.fail(key, "%q %s", d, problem)
	case wildcard:
		r.suffixes = append(r.suffixes, "."+host)
	default:
		r.hosts = append(r.hosts, host)
	}
}

// parseDomain returns the canonical host of a domain entry (lower case, no trailing
// dot; for a wildcard, the part after "*.") and whether it is a wildcard. On failure
// it returns why, as the rest of a sentence.
func parseDomain(d string) (host string, wildcard bool, problem string) {
	const want = "; want a host such as app.example.com or a wildcard such as *.example.com"
	h := strings.TrimSuffix(d, ".")
	h, wildcard = strings.CutPrefix(h, "*.")
	switch {
	case d == "":
		return "", false, "is empty" + want
	case h == "*":
		return "", false, "is a wildcard without a domain; want *.example.com, or leave domain out to match every host"
	case strings.Contains(h, "*"):
		return "", false, "has a wildcard that is not the whole first label" + want
	case hasPort(h):
		return "", false, "has a port; want the host alone, as ports are ignored"
	case len(h) > maxHostLen:
		return "", false, "is longer than 253 characters" + want
	case !isHostName(h):
		return "", false, "is not a host name (letters, digits, '-' and '_' in dot-separated labels)" + want
	}
	return lowerASCII(h), wildcard, ""
}

// hasPort reports whether h is a host name followed by ":" and a port.
func hasPort(h string) bool {
	host, port, ok := strings.Cut(h, ":")
	return ok && port != "" && strings.Trim(port, "0123456789") == "" && isHostName(host)
}

// isHostName reports whether h is dot-separated labels of 1 to 63 letters, digits,
// '-' or '_'.
func isHostName(h string) bool {
	for label := range strings.SplitSeq(h, ".") {
		if len(label) == 0 || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			if !isHostByte(label[i]) {
				return false
			}
		}
	}
	return true
}

// isHostByte reports whether b may appear in a host name label.
func isHostByte(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '-' || b == '_'
}

// lowerASCII lower-cases the ASCII letters of s and leaves every other byte alone.
func lowerASCII(s string) string {
	var buf [maxHostLen]byte
	if len(s) > len(buf) {
		return strings.ToLower(s)
	}
	return string(appendLowerASCII(buf[:0], s))
}

// appendLowerASCII appends s to b with its ASCII letters lower-cased.
func appendLowerASCII(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

// requestHost writes the canonical form of a request's host into buf: without port,
// IPv6 brackets or trailing dot, ASCII letters lower-cased. It returns nil when the
// host is longer than any name a domain entry can hold, so only rules without domain
// can match it.
func requestHost(buf *[maxHostLen]byte, host string) []byte {
	h := strings.TrimSuffix(stripPort(host), ".")
	if len(h) > len(buf) {
		return nil
	}
	return appendLowerASCII(buf[:0], h)
}

// stripPort returns host without its port and without the brackets of an IPv6
// literal. A bare IPv6 address (several colons, no brackets) is returned whole.
func stripPort(host string) string {
	if strings.HasPrefix(host, "[") {
		if end := strings.IndexByte(host, ']'); end > 0 {
			return host[1:end]
		}
		return host
	}
	i := strings.LastIndexByte(host, ':')
	if i >= 0 && strings.IndexByte(host, ':') == i {
		return host[:i]
	}
	return host
}
