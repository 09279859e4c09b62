package session

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrNotFound is returned by a Store and by TakeState for a key that is absent,
// expired or already taken.
var ErrNotFound = errors.New("session: not found")

// Store keeps opaque values under keys with a time to live. Two implementations:
// embedded (BoltStore) and Redis (RedisStore). Every method is safe for concurrent use.
type Store interface {
	// Get returns the value under key, or ErrNotFound when it is absent or expired.
	Get(ctx context.Context, key string) ([]byte, error)
	// Set stores value under key for ttl, which must be positive, replacing any value.
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// Delete removes key; an absent key is not an error.
	Delete(ctx context.Context, key string) error
	// Take atomically returns and removes the value under key, or returns ErrNotFound:
	// of several concurrent Takes of one key, at most one gets the value.
	Take(ctx context.Context, key string) ([]byte, error)
	// AddMember adds member to the set named set for ttl, which must be
	// positive; adding it again sets its ttl anew. Sets live apart from keys.
	// Neither name may be empty or hold a NUL byte.
	AddMember(ctx context.Context, set, member string, ttl time.Duration) error
	// Members returns the unexpired members of set, in no particular order.
	Members(ctx context.Context, set string) ([]string, error)
	// RemoveMembers removes members from set; absent ones are not an error.
	RemoveMembers(ctx context.Context, set string, members ...string) error
	// Close releases the store's resources.
	Close() error
}

// checkTTL rejects a time to live that would store nothing or store forever.
func checkTTL(ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("session: ttl %v is not positive", ttl)
	}
	return nil
}

// checkMember rejects a set member that AddMember cannot keep.
func checkMember(set, member string, ttl time.Duration) error {
	if set == "" || member == "" || strings.ContainsRune(set, 0) || strings.ContainsRune(member, 0) {
		return fmt.Errorf("session: set %q or member %q is empty or holds a NUL byte", set, member)
	}
	return checkTTL(ttl)
}
