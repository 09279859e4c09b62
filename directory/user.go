package directory

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// User is one person from the users file. Values handed out are copies.
type User struct {
	// Username is the key in the users file: 1 to 64 of a-z, 0-9, '.', '_', '-'.
	Username string
	// DisplayName is the name shown to people. Empty in the file means the username.
	DisplayName string
	// Email is where one-time codes go. Empty means the user has no mailbox.
	Email string
	// Groups are the user's groups, in file order, without duplicates.
	Groups []string
	// Disabled users cannot sign in by any means.
	Disabled bool

	hasPassword bool
}

// HasPassword reports whether the user has a password; false means passkey-only.
func (u User) HasPassword() bool { return u.hasPassword }

// clone returns a copy of u that shares no memory with it.
func (u User) clone() User {
	u.Groups = slices.Clone(u.Groups)
	return u
}

const (
	maxNameLen        = 64
	maxDisplayNameLen = 128
	maxEmailLen       = 254
)

// checkUsername accepts 1 to 64 of a-z, 0-9, '.', '_', '-'.
func checkUsername(s string) error {
	if !isName(s, false) {
		return fmt.Errorf("username %q: want 1 to %d of a-z, 0-9, '.', '_', '-'", s, maxNameLen)
	}
	return nil
}

// checkGroup accepts 1 to 64 of letters, digits, '.', '_', '-'. Groups end up
// comma-separated in a header, so nothing else is allowed.
func checkGroup(s string) error {
	if !isName(s, true) {
		return fmt.Errorf("group %q: want 1 to %d of A-Z, a-z, 0-9, '.', '_', '-'", s, maxNameLen)
	}
	return nil
}

// isName reports whether s is 1 to 64 ASCII letters (lowercase unless upper),
// digits, '.', '_' or '-'.
func isName(s string, upper bool) bool {
	if len(s) == 0 || len(s) > maxNameLen {
		return false
	}
	for _, c := range []byte(s) {
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' ||
			upper && c >= 'A' && c <= 'Z'
		if !ok {
			return false
		}
	}
	return true
}

// checkDisplayName accepts printable UTF-8 of at most 128 bytes.
func checkDisplayName(s string) error {
	if len(s) > maxDisplayNameLen {
		return fmt.Errorf("display_name: %d bytes, want at most %d", len(s), maxDisplayNameLen)
	}
	if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) && r != ' ' }) {
		return fmt.Errorf("display_name %q: want printable UTF-8 without control characters", s)
	}
	return nil
}

// checkEmail is a plain syntax check: local@domain, ASCII, no spaces, quotes,
// brackets or control characters, and a domain of dot-separated labels.
// It keeps the address safe to put in a header; it does not prove a mailbox.
func checkEmail(s string) error {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || len(s) > maxEmailLen || local == "" || len(local) > 64 || !isEmailLocal(local) || !isDomain(domain) {
		return fmt.Errorf("email %q: want an address like name@example.com", s)
	}
	return nil
}

func isEmailLocal(s string) bool {
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),:;<>@[\]`, c) >= 0 {
			return false
		}
	}
	return true
}

func isDomain(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range []byte(label) {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// FoldUsername is username as the directory looks it up: ASCII letters
// lowercased, so that "Alice" finds alice. Valid usernames have no capitals,
// so this never merges two users, and no other rune (such as the Kelvin sign)
// folds into an ASCII username.
func FoldUsername(username string) string { return foldUsername(username) }

// foldUsername is FoldUsername.
func foldUsername(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
