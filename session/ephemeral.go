package session

import (
	"container/list"
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

// MaxEphemeralStates bounds the ceremony states kept in memory by
// EphemeralStates on the embedded store; when full, the oldest goes first.
const MaxEphemeralStates = 10_000

// States keeps single-use ceremony state; *Manager is one.
type States interface {
	// PutState keeps value under key for ttl, replacing any state of key.
	PutState(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// TakeState returns and removes the state of key, or ErrNotFound.
	TakeState(ctx context.Context, key string) ([]byte, error)
}

var (
	_ States = (*Manager)(nil)
	_ States = (*memoryStates)(nil)
)

// EphemeralStates keeps the state of ceremonies that anyone may begin without
// signing in (the passkey sign-in options), so that asking for options costs
// no durable write. On the embedded store that is process memory, at most
// MaxEphemeralStates states, the oldest dropped first when full (a state is
// worthless after a restart anyway: its challenge expires within a minute).
// On Redis it is the Manager itself: Redis does not make the caller wait for a
// disk, and every instance sees the state.
func (m *Manager) EphemeralStates() States {
	return m.ephemeral
}

// ephemeralStates picks where EphemeralStates keeps state for store.
func ephemeralStates(m *Manager, store Store) States {
	if _, embedded := store.(*BoltStore); embedded {
		return newMemoryStates(MaxEphemeralStates, func() time.Time { return m.now() })
	}
	return m
}

// memoryStates is a bounded, expiring map of single-use states, oldest first.
type memoryStates struct {
	mu      sync.Mutex
	max     int
	now     func() time.Time
	entries map[string]*list.Element // of *memoryState
	order   *list.List               // oldest first
}

type memoryState struct {
	key     string
	value   []byte
	expires time.Time
}

func newMemoryStates(max int, now func() time.Time) *memoryStates {
	return &memoryStates{max: max, now: now, entries: make(map[string]*list.Element), order: list.New()}
}

// PutState implements States.
func (s *memoryStates) PutState(_ context.Context, key string, value []byte, ttl time.Duration) error {
	if key == "" {
		return errors.New("session: empty state key")
	}
	if err := checkTTL(ttl); err != nil {
		return err
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.entries[key]; ok {
		s.remove(e)
	}
	s.prune(now)
	for s.order.Len() >= s.max {
		s.remove(s.order.Front())
	}
	st := &memoryState{key: key, value: slices.Clone(value), expires: now.Add(ttl)}
	s.entries[key] = s.order.PushBack(st)
	return nil
}

// TakeState implements States.
func (s *memoryStates) TakeState(_ context.Context, key string) ([]byte, error) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[key]
	if !ok {
		return nil, ErrNotFound
	}
	s.remove(e)
	st := e.Value.(*memoryState)
	if !now.Before(st.expires) {
		return nil, ErrNotFound
	}
	return st.value, nil
}

// prune drops expired states from the front, where the oldest are.
func (s *memoryStates) prune(now time.Time) {
	for e := s.order.Front(); e != nil && !now.Before(e.Value.(*memoryState).expires); e = s.order.Front() {
		s.remove(e)
	}
}

func (s *memoryStates) remove(e *list.Element) {
	delete(s.entries, e.Value.(*memoryState).key)
	s.order.Remove(e)
}

// len is the number of states held, expired ones not yet dropped included.
func (s *memoryStates) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.order.Len()
}
