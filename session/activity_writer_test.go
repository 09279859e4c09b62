package session

import (
	"context"
	"sync"
	"testing"
	"time"
)

// blockingSets holds every Set until release is closed, as a store whose disk
// or network has stalled.
type blockingSets struct {
	*memStore
	entered chan struct{} // one value per Set that began
	release chan struct{}
}

func (s blockingSets) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	s.entered <- struct{}{}
	select {
	case <-s.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.memStore.Set(ctx, key, value, ttl)
}

// TestActivityOffTheRequestPath checks that a Load whose session's activity
// record is due answers without waiting for the write, and that the write,
// once done, counts as the session's known activity.
func TestActivityOffTheRequestPath(t *testing.T) {
	m, store, c := newTestManager(t, testConfig())
	id := issue(t, m, "", testSession("example.com")).Value
	slow := blockingSets{memStore: store, entered: make(chan struct{}, 1), release: make(chan struct{})}
	m.activity.store = slow
	c.advance(2 * time.Minute)

	s, err := m.Load(t.Context(), id, "example.com") // must not wait for the stalled Set
	if err != nil || s == nil {
		t.Fatalf("Load = %v, %v; want the session", s, err)
	}
	if !s.LastActivity.Equal(c.now()) {
		t.Errorf("LastActivity = %v, want the request's time %v", s.LastActivity, c.now())
	}
	<-slow.entered
	if got := store.setsOf(activityPrefix); got != 0 {
		t.Fatalf("activity writes before the store answered = %d, want 0", got)
	}
	close(slow.release)
	m.activity.wait()
	if got := store.setsOf(activityPrefix); got != 1 {
		t.Errorf("activity writes = %d, want 1", got)
	}
	h, _ := hashID(id)
	if e := m.cache.get(h, c.now()); e == nil || !e.lastActivity().Equal(c.now()) {
		t.Errorf("cached activity after the write = %v, want %v", e, c.now())
	}
}

// TestActivityQueueFull checks that a record the writer cannot take is left for
// the session's next request rather than lost for the coalescing interval.
func TestActivityQueueFull(t *testing.T) {
	m, store, c := newTestManager(t, testConfig())
	id := issue(t, m, "", testSession("example.com")).Value
	m.activity.close() // takes nothing more, as a full queue
	c.advance(2 * time.Minute)
	if s := load(t, m, id, "example.com"); s == nil {
		t.Fatal("Load = nil, want the session")
	}
	h, _ := hashID(id)
	if !m.gate.claim(h, c.now()) {
		t.Error("the session's claim is still held after the writer refused its record; want it released")
	}
	if got := store.setsOf(activityPrefix); got != 0 {
		t.Errorf("activity writes = %d, want 0", got)
	}
}

// TestActivityCloseDrains checks that Close writes the records queued before it,
// and that nothing is taken after it.
func TestActivityCloseDrains(t *testing.T) {
	m, store, c := newTestManager(t, testConfig())
	ids := make([]string, 20)
	for i := range ids {
		ids[i] = issue(t, m, "", testSession("example.com")).Value
	}
	slow := blockingSets{memStore: store, entered: make(chan struct{}, len(ids)), release: make(chan struct{})}
	m.activity.store = slow
	c.advance(2 * time.Minute)
	for _, id := range ids {
		if s, err := m.Load(t.Context(), id, "example.com"); err != nil || s == nil {
			t.Fatalf("Load = %v, %v; want the session", s, err)
		}
	}
	closed := make(chan struct{})
	go func() { m.activity.close(); close(closed) }()
	close(slow.release)
	<-closed
	if got := store.setsOf(activityPrefix); got != len(ids) {
		t.Errorf("activity writes after Close = %d, want %d", got, len(ids))
	}
	if m.activity.enqueue(activityWrite{}) {
		t.Error("enqueue after close = true, want false")
	}
}

// batchCounting is a store that writes batches and counts them.
type batchCounting struct {
	*memStore
	mu      sync.Mutex
	batches []int // the size of each batch written
}

func (s *batchCounting) setBatch(ctx context.Context, entries []batchEntry) []error {
	s.mu.Lock()
	s.batches = append(s.batches, len(entries))
	s.mu.Unlock()
	errs := make([]error, len(entries))
	for i, e := range entries {
		errs[i] = s.memStore.Set(ctx, e.key, e.value, e.ttl)
	}
	return errs
}

// TestActivityBatches checks that records falling due together are written
// together (on the embedded store: one transaction and one fsync), not one by
// one.
func TestActivityBatches(t *testing.T) {
	m, store, c := newTestManager(t, testConfig())
	ids := make([]string, 50)
	for i := range ids {
		ids[i] = issue(t, m, "", testSession("example.com")).Value
	}
	bs := &batchCounting{memStore: store}
	m.activity.store = bs
	c.advance(2 * time.Minute)
	for _, id := range ids {
		if s, err := m.Load(t.Context(), id, "example.com"); err != nil || s == nil {
			t.Fatalf("Load = %v, %v; want the session", s, err)
		}
	}
	m.activity.wait()
	if got := store.setsOf(activityPrefix); got != len(ids) {
		t.Fatalf("activity writes = %d, want %d", got, len(ids))
	}
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if len(bs.batches) > 5 {
		t.Errorf("%d records written in %d batches %v; want them gathered into a few", len(ids), len(bs.batches), bs.batches)
	}
}
