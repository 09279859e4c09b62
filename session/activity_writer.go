package session

import (
	"cmp"
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
	// activityBatch is how many queued records are written at once: in one
	// transaction and its fsync on the embedded store, one pipeline on Redis.
	activityBatch = 512
	// activityLinger is how long the writer gathers records after the first
	// of a batch: nobody waits for them, and on the embedded store each batch
	// costs an fsync, during which a one-CPU daemon may pause its requests.
	activityLinger = 100 * time.Millisecond
	// activityBatchDeadline bounds the writing of one batch.
	activityBatchDeadline = 2 * time.Second
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
// that finds a session's record due hands it over and answers at once; one
// goroutine writes the records, as many as are queued at once in one batch
// when the store can (batchSetter), otherwise one after the other. This fails safe: a record written
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
	done    chan struct{}  // closed when the writing goroutine returns
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
		done:  make(chan struct{}),
		ctx:   ctx, stop: stop,
	}
	go w.work()
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

// work writes queued records, in batches, until the queue is closed and empty.
func (w *activityWriter) work() {
	defer close(w.done)
	batch := make([]activityWrite, 0, activityBatch)
	linger := time.NewTimer(activityLinger)
	defer linger.Stop()
	for a := range w.queue {
		batch = append(batch[:0], a)
		linger.Reset(activityLinger)
		w.gather(&batch, linger.C)
		w.writeBatch(batch)
		for range batch {
			w.pending.Done()
		}
	}
}

// gather adds queued records to batch until it is full, linger fires, or the
// queue is closed and empty (so close does not wait for linger).
func (w *activityWriter) gather(batch *[]activityWrite, linger <-chan time.Time) {
	for len(*batch) < activityBatch {
		select {
		case a, ok := <-w.queue:
			if !ok {
				return
			}
			*batch = append(*batch, a)
		case <-linger:
			return
		}
	}
}

// writeBatch writes the records of batch and settles each: a written record
// moves its session's known activity forward, a failed one releases its claim.
func (w *activityWriter) writeBatch(batch []activityWrite) {
	if w.ctx.Err() != nil { // closing, and out of time: drop them
		for _, a := range batch {
			w.gate.release(a.h, a.at)
		}
		w.dropped.Add(int64(len(batch)))
		return
	}
	ctx, cancel := context.WithTimeout(w.ctx, activityBatchDeadline)
	defer cancel()
	errs := w.set(ctx, batch)
	failed := 0
	var first error
	for i, a := range batch {
		if errs[i] != nil {
			w.gate.release(a.h, a.at)
			failed++
			first = cmp.Or(first, errs[i])
			continue
		}
		a.e.noteActivity(a.at)
	}
	if failed > 0 {
		w.logger.Warn("recording session activity failed; those sessions' next requests try again",
			"records", failed, "error", first)
	}
}

// set writes the records of batch, in one go when the store can, and returns
// each one's error.
func (w *activityWriter) set(ctx context.Context, batch []activityWrite) []error {
	entries := make([]batchEntry, len(batch))
	for i, a := range batch {
		entries[i] = batchEntry{key: a.h.key(activityPrefix), value: encodeTime(a.at), ttl: a.ttl}
	}
	if bs, ok := w.store.(batchSetter); ok {
		return bs.setBatch(ctx, entries)
	}
	errs := make([]error, len(entries))
	for i, e := range entries {
		errs[i] = w.store.Set(ctx, e.key, e.value, e.ttl)
	}
	return errs
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
	<-w.done
	w.stop()
	if n := w.dropped.Load(); n > 0 {
		w.logger.Warn("closing: activity records not written in time were dropped; those sessions may end earlier", "records", n)
	}
}

// batchEntry is one value of a batch write.
type batchEntry struct {
	key   string
	value []byte
	ttl   time.Duration
}

// batchSetter is a Store that writes several values at once, each with the
// effect of Set, and returns each one's error.
type batchSetter interface {
	setBatch(ctx context.Context, entries []batchEntry) []error
}
