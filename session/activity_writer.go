package session

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Bounds of the activity writer.
const (
	// activityQueue is how many activity records may wait to be written. A
	// record that finds the queue full is not written now; the session's next
	// request tries again.
	activityQueue = 16_384
	// activityWorkers is how many records are written at once: on the embedded
	// store they share one transaction and its fsync (bolt_group.go), on Redis
	// each is a round trip of its own.
	activityWorkers = 16
	// activityDrain bounds how long Close waits for queued records.
	activityDrain = 2 * time.Second
)

// activityWrite is one session's activity record, due to be written.
type activityWrite struct {
	h   hashedID
	e   *cached
	at  time.Time
	ttl time.Duration
}

// activityWriter records session activity off the request's path. A proxy check
// that finds a session's record due hands it over and answers at once; the
// record is written by one of a few workers. This fails safe: a record written
// late or lost (a full queue, a store error, a crash) makes the store's last
// activity older than the truth, so the session can only end earlier, never
// later. A written record moves the cached session's known activity forward; a
// failed one releases the session's claim so that its next request tries again.
type activityWriter struct {
	store  Store
	gate   *activityGate
	logger *slog.Logger

	queue   chan activityWrite
	pending sync.WaitGroup // records handed over and not yet settled
	workers sync.WaitGroup
	stop    context.CancelFunc
	ctx     context.Context

	dropped atomic.Int64 // records close gave up on

	mu     sync.RWMutex // guards closed against enqueue
	closed bool
}

func newActivityWriter(store Store, gate *activityGate, logger *slog.Logger) *activityWriter {
	ctx, stop := context.WithCancel(context.Background())
	w := &activityWriter{
		store: store, gate: gate, logger: logger,
		queue: make(chan activityWrite, activityQueue),
		ctx:   ctx, stop: stop,
	}
	w.workers.Add(activityWorkers)
	for range activityWorkers {
		go w.work()
	}
	return w
}

// enqueue hands a due record over, and reports false when the queue is full or
// the writer closed: the caller then releases the claim.
func (w *activityWriter) enqueue(a activityWrite) bool {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return false
	}
	w.pending.Add(1)
	select {
	case w.queue <- a:
		return true
	default:
		w.pending.Done()
		return false
	}
}

// work writes queued records until the queue is closed and empty.
func (w *activityWriter) work() {
	defer w.workers.Done()
	for a := range w.queue {
		if w.ctx.Err() != nil { // closing, and out of time: drop the rest
			w.gate.release(a.h, a.at)
			w.dropped.Add(1)
		} else {
			w.write(a)
		}
		w.pending.Done()
	}
}

// write stores one record within StoreDeadline and settles it.
func (w *activityWriter) write(a activityWrite) {
	ctx, cancel := context.WithTimeout(w.ctx, StoreDeadline)
	defer cancel()
	if err := w.store.Set(ctx, a.h.key(activityPrefix), encodeTime(a.at), a.ttl); err != nil {
		w.gate.release(a.h, a.at)
		w.logger.Warn("recording session activity failed; the session's next request tries again", "error", err)
		return
	}
	a.e.noteActivity(a.at)
}

// wait returns once every record handed over so far is settled.
func (w *activityWriter) wait() { w.pending.Wait() }

// close stops taking records and writes those queued, for at most
// activityDrain; records still queued then are dropped, which fails safe.
func (w *activityWriter) close() {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	w.closed = true
	close(w.queue)
	w.mu.Unlock()
	timer := time.AfterFunc(activityDrain, w.stop)
	defer timer.Stop()
	w.workers.Wait()
	w.stop()
	if n := w.dropped.Load(); n > 0 {
		w.logger.Warn("closing: activity records not written in time were dropped; those sessions may end earlier", "records", n)
	}
}
