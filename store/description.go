package store

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxDescriptionLength is the longest description, in characters.
const MaxDescriptionLength = 64

// NormalizeDescription trims space around a credential description and checks
// it: 1 to 64 characters of valid UTF-8 without control characters. It returns
// the trimmed description, or an error wrapping ErrInvalid that says what is
// wrong in words fit for the user.
func NormalizeDescription(description string) (string, error) {
	d := strings.TrimSpace(description)
	switch n := utf8.RuneCountInString(d); {
	case !utf8.ValidString(d):
		return "", fmt.Errorf("description is not valid UTF-8: %w", ErrInvalid)
	case n == 0:
		return "", fmt.Errorf("description is empty: %w", ErrInvalid)
	case n > MaxDescriptionLength:
		return "", fmt.Errorf("description is longer than %d characters: %w", MaxDescriptionLength, ErrInvalid)
	}
	if strings.ContainsFunc(d, unicode.IsControl) {
		return "", fmt.Errorf("description contains control characters: %w", ErrInvalid)
	}
	return d, nil
}

// sameDescription compares descriptions the way uniqueness is enforced.
func sameDescription(a, b string) bool {
	return strings.EqualFold(a, b)
}
