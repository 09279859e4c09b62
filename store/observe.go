package store

import (
	"context"
	"errors"
)

// ObserveFailures makes the store call failed for every transaction that
// fails for a reason other than the caller's: not a missing or duplicate
// value, an invalid argument, a sign counter that did not rise, or a cancelled
// context. Call it once, before the store is shared.
func (s *Store) ObserveFailures(failed func()) { s.failed = failed }

// observe reports err to the failure observer when it is the store's own, and returns it.
func (s *Store) observe(err error) error {
	if err == nil || s.failed == nil {
		return err
	}
	for _, expected := range []error{ErrNotFound, ErrDuplicate, ErrInvalid, ErrSignCount, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, expected) {
			return err
		}
	}
	s.failed()
	return err
}
