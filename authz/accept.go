package authz

import "strings"

// Specificities of the media ranges that can cover text/html.
const (
	rangeNone     = iota - 1 // a range that does not cover text/html
	rangeAny                 // */*
	rangeText                // text/*
	rangeTextHTML            // text/html
)

// acceptsHTML reports whether Accept header values allow text/html. The most
// specific range that covers text/html decides (text/html over text/* over */*),
// and it allows HTML unless its q is zero or malformed. Parameters other than q are
// ignored, so "text/html;level=1" counts as text/html. No Accept header, or one
// that covers text/html with no range at all, does not allow HTML: browsers always
// send one that does.
func acceptsHTML(values []string) bool {
	best, allowed := rangeNone, false
	for _, v := range values {
		for v != "" {
			var part string
			part, v, _ = strings.Cut(v, ",")
			spec, positive := mediaRange(part)
			switch {
			case spec > best:
				best, allowed = spec, positive
			case spec == best && positive:
				allowed = true
			}
		}
	}
	return best != rangeNone && allowed
}

// mediaRange classifies one element of an Accept list and reports whether its
// quality is above zero.
func mediaRange(part string) (int, bool) {
	typ, params, _ := strings.Cut(part, ";")
	spec := rangeNone
	switch typ = strings.TrimSpace(typ); {
	case strings.EqualFold(typ, "text/html"):
		spec = rangeTextHTML
	case strings.EqualFold(typ, "text/*"):
		spec = rangeText
	case typ == "*/*":
		spec = rangeAny
	default:
		return rangeNone, false
	}
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		key, value, _ := strings.Cut(p, "=")
		if strings.EqualFold(strings.TrimSpace(key), "q") {
			return spec, positiveQuality(strings.TrimSpace(value))
		}
	}
	return spec, true
}

// positiveQuality parses an RFC 9110 qvalue ("0", "0.5", "1.000") and reports
// whether it is above zero; a malformed one counts as zero.
func positiveQuality(q string) bool {
	if q == "" || q[0] != '0' && q[0] != '1' {
		return false
	}
	whole, frac, dot := strings.Cut(q, ".")
	if len(whole) != 1 || dot && len(frac) > 3 {
		return false
	}
	one := whole == "1"
	positive := one
	for i := 0; i < len(frac); i++ {
		c := frac[i]
		if c < '0' || c > '9' || one && c != '0' {
			return false
		}
		positive = positive || c != '0'
	}
	return positive
}
