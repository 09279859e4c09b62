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

// foldDescription is the key under which a description is unique: each rune
// replaced by the smallest rune of its simple case-folding orbit, so that two
// descriptions have one key exactly when sameDescription holds for them. The
// PostgreSQL store indexes it, independent of the database's collation.
func foldDescription(d string) string {
	return strings.Map(func(r rune) rune {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		return least
	}, d)
}
