package notify

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"
)

// recipient parses To as exactly one address.
func recipient(s string) (*mail.Address, error) {
	if strings.ContainsFunc(s, unicode.IsControl) {
		return nil, fmt.Errorf("%w: %q", ErrRecipient, s)
	}
	addr, err := mail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %q", ErrRecipient, s)
	}
	return addr, nil
}

// oneLine turns control characters, line breaks included, into spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}
