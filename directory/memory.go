package directory

import (
	"context"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// hashMemoryBudget bounds the memory of the password hashes in progress at
	// once, in KiB: two hashes with the default parameters (64 MiB each), which
	// with their four lanes each keep eight cores busy. A hash that needs more
	// than the whole budget runs alone.
	hashMemoryBudget = 128 << 10
	// reclaimMinKiB is the hash memory from which a finished hash is worth a
	// garbage collection.
	reclaimMinKiB = 8 << 10
	// reclaimDelay is how long hashing must have been idle before the hashes'
	// memory goes back to the operating system. Sign-ins closer together than
	// that reuse it rather than fault it in again, which costs a 64 MiB hash
	// about 100 ms on a virtual machine.
	reclaimDelay = time.Second
	// releaseMinHeap is the heap, in bytes, from which giving memory back is
	// worth a forced collection: the collector's own minimum heap goal (4 MiB),
	// which the runtime keeps resident anyway. Below it the release returns
	// next to nothing, and the collection it forces leaves the collector's
	// work buffers and mark bits resident: after one sign-in whose hash ran
	// off the heap, the daemon kept 0.5 MiB more than without the release.
	releaseMinHeap = 4 << 20
)

// reclaimer gives the memory of finished hashes back: to the heap at once, by
// a garbage collection (cheap: a hash's memory holds no pointers), so that the
// next hash reuses it instead of growing the heap toward a goal the hash had
// doubled; and to the operating system once no hash has run for its delay, so
// that an idle daemon does not keep it resident, when the heap then holds at
// least releaseMinHeap.
type reclaimer struct {
	delay   time.Duration
	collect func()        // runtime.GC
	release func()        // debug.FreeOSMemory
	heap    func() uint64 // heapRetained
	running atomic.Int32

	mu      sync.Mutex
	pending bool        // a large hash ended since memory was last released
	timer   *time.Timer // runs releaseIfIdle
}

func newReclaimer() *reclaimer {
	return &reclaimer{delay: reclaimDelay, collect: runtime.GC, release: debug.FreeOSMemory, heap: heapRetained}
}

// start counts a hash in progress.
func (r *reclaimer) start() { r.running.Add(1) }

// done follows a hash that used kib KiB of memory: it collects that memory
// when large, and after the last hash in progress it schedules the release.
func (r *reclaimer) done(kib uint32) { r.finish(kib >= reclaimMinKiB, kib >= reclaimMinKiB) }

// doneOffHeap follows a hash whose memory was outside the heap and is gone:
// nothing to collect, but after the last hash in progress a large one still
// schedules the release of what the requests around it left on the heap.
func (r *reclaimer) doneOffHeap(kib uint32) { r.finish(false, kib >= reclaimMinKiB) }

// finish ends a hash, collecting when collect, and schedules the release
// after the last hash in progress if a large one ended since the last.
func (r *reclaimer) finish(collect, large bool) {
	last := r.running.Add(-1) == 0
	r.mu.Lock()
	defer r.mu.Unlock()
	if collect {
		r.collect()
	}
	r.pending = r.pending || large
	if !last || !r.pending {
		return
	}
	r.pending = false
	if r.timer == nil {
		r.timer = time.AfterFunc(r.delay, r.releaseIfIdle)
		return
	}
	r.timer.Reset(r.delay)
}

// releaseIfIdle returns free memory to the operating system unless a hash is
// in progress (that hash schedules another release when it ends) or the heap
// holds less than releaseMinHeap.
func (r *reclaimer) releaseIfIdle() {
	if r.running.Load() == 0 && r.heap() >= releaseMinHeap {
		r.release()
	}
}

// heapRetained returns the heap memory the process holds from the operating
// system, in bytes: what a release could return, that is objects (live, or
// dead and not yet swept), the unused space in their spans, and free spans not
// yet returned.
func heapRetained() uint64 {
	samples := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
	}
	metrics.Read(samples)
	var total uint64
	for _, s := range samples {
		if s.Value.Kind() == metrics.KindUint64 {
			total += s.Value.Uint64()
		}
	}
	return total
}

// memoryGate admits hashes while the memory they need fits its budget, in the
// order they arrive, so that a large hash is not starved by small ones.
type memoryGate struct {
	mu      sync.Mutex
	budget  uint64 // KiB
	free    uint64 // KiB
	waiting []*memoryWaiter
}

// memoryWaiter is one hash waiting for memory.
type memoryWaiter struct {
	need  uint64
	ready chan struct{} // closed once admitted
}

func newMemoryGate(budgetKiB uint64) *memoryGate {
	return &memoryGate{budget: budgetKiB, free: budgetKiB}
}

// acquire waits until needKiB (at most the whole budget) fit and every earlier
// caller got its memory, or until ctx is done. It returns what it took, for
// release.
func (g *memoryGate) acquire(ctx context.Context, needKiB uint64) (uint64, error) {
	need := min(needKiB, g.budget)
	g.mu.Lock()
	if len(g.waiting) == 0 && need <= g.free {
		g.free -= need
		g.mu.Unlock()
		return need, nil
	}
	w := &memoryWaiter{need: need, ready: make(chan struct{})}
	g.waiting = append(g.waiting, w)
	g.mu.Unlock()
	select {
	case <-w.ready:
		return need, nil
	case <-ctx.Done():
		g.abandon(w)
		return 0, ctx.Err()
	}
}

// abandon withdraws w after its caller gave up, giving back what it was
// admitted with meanwhile, if anything.
func (g *memoryGate) abandon(w *memoryWaiter) {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-w.ready:
		g.free += w.need
	default:
		g.waiting = slices.DeleteFunc(g.waiting, func(o *memoryWaiter) bool { return o == w })
	}
	g.admit()
}

// release gives back memory that acquire took.
func (g *memoryGate) release(kib uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.free += kib
	g.admit()
}

// admit lets waiters in, first come first, while the first one fits.
func (g *memoryGate) admit() {
	for len(g.waiting) > 0 && g.waiting[0].need <= g.free {
		w := g.waiting[0]
		g.waiting = g.waiting[1:]
		g.free -= w.need
		close(w.ready)
	}
}
