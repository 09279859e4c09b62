package authz

import "strings"

// checkURI accepts a request target in origin form: "/" followed by visible ASCII or
// raw bytes from 0x80 up (unencoded UTF-8), without '#', with every '%' starting a
// two-digit hex escape, and whose path has no dot segments and no separator but
// "/" (see hasOddSeparator). Browsers resolve dot segments before sending, so only a crafted request
// has one, and an application behind the proxy could resolve "/public/../admin" to
// a path that the rule for "^/public" was never meant to cover.
func checkURI(s string) error {
	if len(s) == 0 || s[0] != '/' {
		return errURI
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c <= ' ' || c == 0x7f || c == '#':
			return errURI
		case c == '%' && (i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2])):
			return errURI
		}
	}
	path, _, _ := strings.Cut(s, "?")
	if hasDotSegment(path) {
		return errDotPath
	}
	if hasOddSeparator(path) {
		return errSeparator
	}
	return nil
}

// hasOddSeparator reports whether path holds "\", "%2F" or "%5C" (any case):
// separators that some applications split segments at and others do not, so
// that "/admin%2Fusers" or "/admin\users" is a path under "/admin" to one and a
// single segment to another (and to a rule "^/admin(/|$)"). A browser turns "\"
// into "/" before sending; an application that wants a "/" inside a segment
// must take it in the query.
func hasOddSeparator(path string) bool {
	for i := 0; i < len(path); i++ {
		if n, kind := unitAt(path, i); kind == unitSeparator && (n == 3 || path[i] == '\\') {
			return true
		}
	}
	return false
}

// The kinds of unit a path is scanned in.
const (
	unitOther     = iota
	unitDot       // "." or "%2e"
	unitSeparator // "/", "\", "%2f", "%5c" or the end of the path
	unitParams    // ";": what follows, up to the next separator, is a path parameter
)

// hasDotSegment reports whether a segment of path is "." or "..", counting the
// encoded forms and separators that some servers decode or accept ("%2e", "%2f",
// "\", "%5c") and ignoring a ";parameter" suffix ("..;x" is "..").
func hasDotSegment(path string) bool {
	dots, other, params := 0, false, false
	for i := 0; i <= len(path); {
		n, kind := unitAt(path, i)
		i += n
		switch {
		case kind == unitSeparator:
			if !other && (dots == 1 || dots == 2) {
				return true
			}
			dots, other, params = 0, false, false
		case params:
		case kind == unitParams:
			params = true
		case kind == unitDot:
			dots++
		default:
			other = true
		}
	}
	return false
}

// unitAt returns the length and kind of the unit of path at i; i == len(path) is
// the final separator.
func unitAt(path string, i int) (int, int) {
	if i == len(path) {
		return 1, unitSeparator
	}
	switch path[i] {
	case '/', '\\':
		return 1, unitSeparator
	case '.':
		return 1, unitDot
	case ';':
		return 1, unitParams
	case '%':
		if i+2 < len(path) {
			switch hex := path[i+1 : i+3]; {
			case strings.EqualFold(hex, "2e"):
				return 3, unitDot
			case strings.EqualFold(hex, "2f"), strings.EqualFold(hex, "5c"):
				return 3, unitSeparator
			}
		}
	}
	return 1, unitOther
}

// isHex reports whether c is a hexadecimal digit.
func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
