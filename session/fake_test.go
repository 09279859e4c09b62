package session

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// memStore is a Store in a map that counts the calls it gets and can be made to
// fail. It keeps the ttl of each Set but never expires anything: the Manager's
// own clock decides expiry in its tests.
type memStore struct {
	mu      sync.Mutex
	values  map[string][]byte
	ttls    map[string]time.Duration
	calls   map[string]int // "get", "set", "delete", "take"
	sets    map[string]int // key prefix ("s:", "a:", "c:") -> Sets
	failErr error          // returned by every call when set
	members map[string]map[string]bool
}

var _ Store = (*memStore)(nil)

func newMemStore() *memStore {
	return &memStore{
		values: make(map[string][]byte),
		ttls:   make(map[string]time.Duration),
		calls:  make(map[string]int),
		sets:   make(map[string]int),
	}
}

func (s *memStore) Get(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["get"]++
	if s.failErr != nil {
		return nil, s.failErr
	}
	v, ok := s.values[key]
	if !ok {
		return nil, ErrNotFound
	}
	return slices.Clone(v), nil
}

func (s *memStore) Set(_ context.Context, key string, value []byte, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["set"]++
	s.sets[key[:min(2, len(key))]]++
	if s.failErr != nil {
		return s.failErr
	}
	if err := checkTTL(ttl); err != nil {
		return err
	}
	s.values[key] = slices.Clone(value)
	s.ttls[key] = ttl
	return nil
}

func (s *memStore) Delete(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["delete"]++
	if s.failErr != nil {
		return s.failErr
	}
	delete(s.values, key)
	delete(s.ttls, key)
	return nil
}

func (s *memStore) Take(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["take"]++
	if s.failErr != nil {
		return nil, s.failErr
	}
	v, ok := s.values[key]
	if !ok {
		return nil, ErrNotFound
	}
	delete(s.values, key)
	delete(s.ttls, key)
	return v, nil
}

func (s *memStore) Close() error { return nil }

// AddMember keeps set members as keys "set\x00member", apart from Set's keys.
func (s *memStore) AddMember(_ context.Context, set, member string, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["add_member"]++
	if s.failErr != nil {
		return s.failErr
	}
	if err := checkMember(set, member, ttl); err != nil {
		return err
	}
	if s.members == nil {
		s.members = make(map[string]map[string]bool)
	}
	if s.members[set] == nil {
		s.members[set] = make(map[string]bool)
	}
	s.members[set][member] = true
	return nil
}

func (s *memStore) Members(_ context.Context, set string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["members"]++
	if s.failErr != nil {
		return nil, s.failErr
	}
	return slices.Sorted(maps.Keys(s.members[set])), nil
}

func (s *memStore) RemoveMembers(_ context.Context, set string, members ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["remove_members"]++
	if s.failErr != nil {
		return s.failErr
	}
	for _, m := range members {
		delete(s.members[set], m)
	}
	return nil
}

// writes is the number of calls that could have changed the store.
func (s *memStore) writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls["set"] + s.calls["delete"] + s.calls["take"]
}

// gets is the number of Gets so far.
func (s *memStore) gets() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls["get"]
}

// setsOf is the number of Sets of keys with prefix p.
func (s *memStore) setsOf(p string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sets[p]
}

func (s *memStore) keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.values))
}

func (s *memStore) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failErr = err
}

// clock is a settable time for the Manager under test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Keys lists the keys under prefix, as both real stores do.
func (s *memStore) Keys(_ context.Context, prefix string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["keys"]++
	if s.failErr != nil {
		return nil, s.failErr
	}
	var keys []string
	for k := range s.values {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	return keys, nil
}
