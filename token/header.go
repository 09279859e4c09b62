package token

import (
	"encoding/base64"
	"strings"
)

// FromAuthorization returns the token an Authorization header value carries:
// "Bearer <token>", or HTTP Basic with the token as the password (for clients
// that speak only Basic; the user name, if any, is returned for the caller to
// compare with the token's user). ok is false when the value carries none.
func FromAuthorization(value string) (text, basicUser string, ok bool) {
	scheme, rest, _ := strings.Cut(value, " ")
	rest = strings.TrimLeft(rest, " ")
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		return rest, "", rest != ""
	case strings.EqualFold(scheme, "Basic"):
		raw, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return "", "", false
		}
		user, password, found := strings.Cut(string(raw), ":")
		if !found || password == "" {
			return "", "", false
		}
		return password, user, true
	}
	return "", "", false
}
