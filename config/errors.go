package config

import (
	"errors"
	"slices"
	"strings"
)

// ErrInvalid is matched (errors.Is) by the error Load returns when the
// configuration was read but has problems; errors.Join-style unwrapping of that
// error yields one *Error per problem.
var ErrInvalid = errors.New("invalid configuration")

// Error is one problem with the configuration.
type Error struct {
	// Key is the full key path, e.g. "session.expiration" or
	// "access_control.rules[2].networks[0]". Empty when the problem is not one
	// key's, such as a YAML syntax error.
	Key string
	// Msg says what is wrong and what is allowed.
	Msg string
	// At is FILE:LINE where the key or the syntax error is in the config file.
	// Empty when not known.
	At string
	// Env is the environment variable that set the key. Empty when the value
	// did not come from the environment.
	Env string
	// Err is the underlying error, if any (a component's Validate error, an
	// unreadable secret file).
	Err error
}

// Error returns "KEY: MSG", followed by where the value was set when known.
func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.Key != "":
		b.WriteString(e.Key + ": " + e.Msg)
		if e.Env != "" {
			b.WriteString(" (from " + e.Env + ")")
		} else if e.At != "" {
			b.WriteString(" (at " + e.At + ")")
		}
	case e.At != "":
		b.WriteString(e.At + ": " + e.Msg)
	default:
		b.WriteString(e.Msg)
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// problems is the error Load returns: every problem found, at once.
type problems []error

func (p problems) Error() string        { return FormatErrors(p) }
func (p problems) Unwrap() []error      { return p }
func (p problems) Is(target error) bool { return target == ErrInvalid }

// FormatErrors renders err for people: one problem per line, sorted by key path
// (a section before its keys, list indexes in numeric order) and then by
// message, identical lines once, without a trailing
// newline. Errors joined with errors.Join (or returned by Load) are split into
// their parts; a part whose text spans lines gives one line each.
func FormatErrors(err error) string {
	if err == nil {
		return ""
	}
	var lines []string
	for _, leaf := range leaves(err) {
		lines = append(lines, strings.Split(leaf.Error(), "\n")...)
	}
	slices.SortStableFunc(lines, compareLines)
	return strings.Join(slices.Compact(lines), "\n")
}

// leaves flattens a tree of joined errors into the errors that join nothing.
func leaves(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leaves(e)...)
		}
		return out
	}
	return []error{err}
}

// compareLines orders "KEY: MSG" lines by KEY, then by MSG, both with
// compareNatural, so that a section's own line comes before its keys' lines.
func compareLines(a, b string) int {
	ka, ma, _ := strings.Cut(a, ": ")
	kb, mb, _ := strings.Cut(b, ": ")
	if c := compareNatural(ka, kb); c != 0 {
		return c
	}
	return compareNatural(ma, mb)
}

// compareNatural orders strings so that runs of digits compare by value:
// "rules[2]" sorts before "rules[10]".
func compareNatural(a, b string) int {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if c := len(na) - len(nb); c != 0 {
				return c
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return int(a[0]) - int(b[0])
		}
		a, b = a[1:], b[1:]
	}
	return len(a) - len(b)
}

func digitRun(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}
