package authz

import "strings"

// judgedURI returns the request target uri (already through checkURI) as the
// policy judges it: in the path, ";parameters" are dropped from each segment,
// escapes of unreserved characters ("%61" for "a", RFC 3986 section 2.3) are
// decoded, and runs of "/" become one. Each is a form that some application
// reads as the plain path ("/secret;x/y" is "/secret/y" to a servlet container,
// "/%73ecret" is "/secret" to nearly every framework, "//secret" is "/secret" to
// nginx and many routers), so a rule on the plain path must see it. The query is
// left as sent. A target with none of "%", ";" or "//" in its path is returned
// as it is, without allocating.
func judgedURI(uri string) string {
	path, query, hasQuery := strings.Cut(uri, "?")
	if !strings.ContainsAny(path, "%;") && !strings.Contains(path, "//") {
		return uri
	}
	var b strings.Builder
	b.Grow(len(uri))
	for i := 0; i < len(path); i++ {
		switch c := path[i]; {
		case c == ';':
			for i+1 < len(path) && path[i+1] != '/' {
				i++
			}
		case c == '/' && strings.HasSuffix(b.String(), "/"):
		case c == '%' && isUnreserved(unhex(path[i+1])<<4|unhex(path[i+2])):
			b.WriteByte(unhex(path[i+1])<<4 | unhex(path[i+2]))
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	if hasQuery {
		b.WriteByte('?')
		b.WriteString(query)
	}
	return b.String()
}

// isUnreserved reports whether c is an unreserved character of RFC 3986: its
// escape means the same as the character itself.
func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0
}

// unhex is the value of the hexadecimal digit c (checkURI has made sure it is one).
func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
