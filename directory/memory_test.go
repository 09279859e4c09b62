package directory

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// tryAcquire reports whether acquire(need) on g admits at once, and what it took.
func tryAcquire(t *testing.T, g *memoryGate, need uint64) (uint64, bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // anything that would wait gives up at once
	got, err := g.acquire(ctx, need)
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("acquire: %v", err)
	}
	return got, err == nil
}

func TestMemoryGate(t *testing.T) {
	g := newMemoryGate(100)
	steps := []struct {
		name    string
		need    uint64
		release uint64 // given back before the acquire
		want    bool
	}{
		{"fits", 60, 0, true},
		{"fits the rest", 40, 0, true},
		{"full", 1, 0, false},
		{"room again", 50, 60, true},
		{"more than the budget waits for all of it", 500, 0, false},
		{"alone once all is back", 500, 90, true},
	}
	for _, st := range steps {
		g.release(st.release)
		if _, ok := tryAcquire(t, g, st.need); ok != st.want {
			t.Errorf("%s: acquire(%d) admitted = %v, want %v", st.name, st.need, ok, st.want)
		}
	}
	if g.free != 0 || len(g.waiting) != 0 {
		t.Errorf("after the steps: free %d, %d waiting; want 0, 0", g.free, len(g.waiting))
	}
}

// TestMemoryGateOrder checks that waiters get their memory first come, first
// served: a large one is not overtaken by small ones that would fit.
func TestMemoryGateOrder(t *testing.T) {
	g := newMemoryGate(100)
	held, _ := g.acquire(context.Background(), 80)
	var (
		mu    sync.Mutex
		order []uint64
		wg    sync.WaitGroup
	)
	for i, need := range []uint64{100, 10, 10} {
		wg.Go(func() {
			got, err := g.acquire(context.Background(), need)
			if err != nil {
				t.Errorf("acquire(%d): %v", need, err)
				return
			}
			mu.Lock()
			order = append(order, need)
			mu.Unlock()
			g.release(got)
		})
		waitUntil(t, func() bool { return waiting(g) == i+1 }) // queue them in this order
	}
	g.release(held)
	wg.Wait()
	if fmt.Sprint(order) != "[100 10 10]" {
		t.Errorf("admitted in the order %v, want [100 10 10]", order)
	}
	if g.free != 100 {
		t.Errorf("free after all released = %d, want 100", g.free)
	}
}

// waitUntil waits for cond, failing the test when it does not hold within 10 s.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("gave up waiting")
		}
		runtime.Gosched()
	}
}

func waiting(g *memoryGate) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.waiting)
}

func TestMemoryGateGivingUp(t *testing.T) {
	g := newMemoryGate(100)
	held, _ := g.acquire(context.Background(), 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := g.acquire(ctx, 50)
		done <- err
	}()
	waitUntil(t, func() bool { return waiting(g) == 1 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("acquire after its context ended: got %v, want context.Canceled", err)
	}
	g.release(held)
	if g.free != 100 || len(g.waiting) != 0 {
		t.Errorf("after giving up: free %d, %d waiting; want 100, 0", g.free, len(g.waiting))
	}

	// A waiter admitted just as its caller gives up hands its memory back.
	w := &memoryWaiter{need: 30, ready: make(chan struct{})}
	g.waiting = append(g.waiting, w)
	g.admit()
	g.abandon(w)
	if g.free != 100 {
		t.Errorf("after an admitted waiter gave up: free %d, want 100", g.free)
	}
}

// countingReclaimer returns r's collections and releases, counted; a release
// is also sent on the channel. Its heap is always large enough to release.
func countingReclaimer(r *reclaimer) (collects *atomic.Int32, releases chan struct{}) {
	collects, releases = new(atomic.Int32), make(chan struct{}, 10)
	r.collect = func() { collects.Add(1) }
	r.release = func() { releases <- struct{}{} }
	r.heap = func() uint64 { return releaseMinHeap }
	r.delay = time.Millisecond
	return collects, releases
}

func TestReclaimer(t *testing.T) {
	tests := []struct {
		name         string
		kib          []uint32 // hashes, all in progress at once, ending in this order
		wantCollects int32
		wantRelease  bool
	}{
		{"one large hash", []uint32{64 << 10}, 1, true},
		{"small hashes", []uint32{16, reclaimMinKiB - 1}, 0, false},
		{"large, then a small one last", []uint32{64 << 10, 16}, 1, true},
		{"three large", []uint32{64 << 10, 64 << 10, reclaimMinKiB}, 3, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newReclaimer()
			collects, releases := countingReclaimer(r)
			for range tc.kib {
				r.start()
			}
			for _, kib := range tc.kib {
				r.done(kib)
			}
			if got := collects.Load(); got != tc.wantCollects {
				t.Errorf("collections = %d, want %d", got, tc.wantCollects)
			}
			if !tc.wantRelease {
				if r.timer != nil {
					t.Error("a release was scheduled, want none")
				}
				return
			}
			select {
			case <-releases:
			case <-time.After(10 * time.Second):
				t.Fatal("no release of memory after the last hash ended")
			}
		})
	}
}

func TestReclaimerSmallHeap(t *testing.T) {
	tests := []struct {
		heap uint64
		want int
	}{
		{releaseMinHeap - 1, 0},
		{releaseMinHeap, 1},
		{64 << 20, 1},
	}
	for _, tc := range tests {
		r := newReclaimer()
		_, releases := countingReclaimer(r)
		r.heap = func() uint64 { return tc.heap }
		r.releaseIfIdle()
		if got := len(releases); got != tc.want {
			t.Errorf("heap of %d bytes: %d releases, want %d", tc.heap, got, tc.want)
		}
	}
}

func TestHeapRetained(t *testing.T) {
	runtime.GC() // so that no garbage of earlier tests is freed while this one measures
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	got := heapRetained()
	if got == 0 || got > ms.HeapSys {
		t.Errorf("heapRetained() = %d, want above 0 and at most HeapSys %d", got, ms.HeapSys)
	}
	keep := make([]byte, 8<<20)
	// The allocation may reuse free pages the heap already held, so the total
	// need not grow; it must hold the live 8 MiB.
	if after := heapRetained(); after < uint64(len(keep)) {
		t.Errorf("heapRetained() with 8 MiB live = %d, want at least %d", after, len(keep))
	}
	runtime.KeepAlive(keep)
}

func TestReclaimerNotWhileHashing(t *testing.T) {
	r := newReclaimer()
	_, releases := countingReclaimer(r)
	r.start()
	r.releaseIfIdle() // a release scheduled earlier fires while a hash runs
	if len(releases) != 0 {
		t.Error("memory released while a hash was in progress")
	}
	r.done(64 << 10)
	select {
	case <-releases:
	case <-time.After(10 * time.Second):
		t.Fatal("no release after the hash ended")
	}
}

// TestAuthenticateMemoryBound checks that default-parameter hashes (64 MiB
// each) run at most two at once, whatever the number of hashing slots.
func TestAuthenticateMemoryBound(t *testing.T) {
	h, err := newPHC(defaultParams)
	if err != nil {
		t.Fatal(err)
	}
	d, err := New(Config{File: writeUsers(t, fmt.Sprintf("users:\n  alice:\n    password: %q\n", h.String()))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	countingReclaimer(d.reclaim)
	var inFlight, peak atomic.Int64
	release := make(chan struct{})
	d.match = func(hash, string) bool { // no real hash: only its memory is counted
		n := inFlight.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		<-release
		inFlight.Add(-1)
		return true
	}
	limit := min(int64(cap(d.sem)), hashMemoryBudget/int64(defaultParams.memory))
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if _, err := d.Authenticate(context.Background(), "alice", "x"); err != nil {
				t.Errorf("Authenticate: %v", err)
			}
		})
	}
	waitUntil(t, func() bool { return inFlight.Load() >= limit })
	time.Sleep(50 * time.Millisecond) // give an unbounded implementation time to overshoot
	if got := inFlight.Load(); got != limit {
		t.Errorf("hashes in flight with the budget taken: got %d, want %d", got, limit)
	}
	close(release)
	wg.Wait()
	if got := peak.Load(); got != limit {
		t.Errorf("peak hashes in flight: got %d, want %d", got, limit)
	}
}
