package session

import (
	"context"
	"fmt"
	"sync"

	"go.etcd.io/bbolt"
)

// groupCommit gathers the writes of concurrent Set calls into one read-write
// transaction, so that they share its fsync. bbolt runs one write transaction
// at a time and syncs the file before each returns: with many sessions, each
// recording its activity once per coalescing interval (see Manager.touch), one
// transaction per write made every such request wait in line for the disk.
//
// The first writer to find no commit running leads: it takes every write
// queued (its own among them), commits them in one transaction, answers each,
// and hands the lead to the first writer that queued meanwhile. A Set still
// returns only once its write is committed, as before. Should the shared
// transaction fail, each write of it is retried in a transaction of its own, so
// that one bad write fails only its own Set.
type groupCommit struct {
	mu      sync.Mutex
	queue   []*groupPut
	leading bool // a writer is committing, and will hand over the lead
}

// groupPut is one queued write.
type groupPut struct {
	key, record []byte
	done        chan putResult // buffered: the result, or first the lead
}

type putResult struct {
	err  error
	lead bool // the receiver now commits the queue
}

// put writes record under key in the sessions bucket, in a transaction shared
// with the writes queued at the same time.
func (s *BoltStore) put(key, record []byte) error {
	p := &groupPut{key: key, record: record, done: make(chan putResult, 1)}
	g := &s.group
	g.mu.Lock()
	g.queue = append(g.queue, p)
	lead := !g.leading
	g.leading = true
	g.mu.Unlock()
	if !lead {
		if r := <-p.done; !r.lead {
			return r.err
		}
	}
	s.commitQueued()
	return (<-p.done).err
}

// commitQueued commits every queued write, answers each, and hands the lead to
// the first write queued meanwhile, or gives it up when there is none.
func (s *BoltStore) commitQueued() {
	g := &s.group
	g.mu.Lock()
	batch := g.queue
	g.queue = nil
	g.mu.Unlock()
	for i, err := range s.commit(batch) {
		batch[i].done <- putResult{err: err}
	}
	g.mu.Lock()
	if len(g.queue) > 0 {
		g.queue[0].done <- putResult{lead: true}
	} else {
		g.leading = false
	}
	g.mu.Unlock()
}

// commit writes batch in one transaction, or each in its own when that fails,
// and returns each write's error.
func (s *BoltStore) commit(batch []*groupPut) []error {
	errs := make([]error, len(batch))
	err := s.update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(boltBucket)
		for _, p := range batch {
			if err := b.Put(p.key, p.record); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil || len(batch) == 1 {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	for i, p := range batch {
		errs[i] = s.update(func(tx *bbolt.Tx) error { return tx.Bucket(boltBucket).Put(p.key, p.record) })
	}
	return errs
}

// setBatch writes entries in one transaction (each in its own should that
// one fail), as Set would each, and returns each one's error.
func (s *BoltStore) setBatch(ctx context.Context, entries []batchEntry) []error {
	errs := make([]error, len(entries))
	if err := ctx.Err(); err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	batch := make([]*groupPut, 0, len(entries))
	index := make([]int, 0, len(entries)) // batch[j] is entries[index[j]]
	for i, e := range entries {
		if err := checkTTL(e.ttl); err != nil {
			errs[i] = err
			continue
		}
		batch = append(batch, &groupPut{key: []byte(e.key), record: s.record(e.value, e.ttl)})
		index = append(index, i)
	}
	for j, err := range s.commit(batch) {
		if err != nil {
			errs[index[j]] = fmt.Errorf("bolt set: %w", err)
		}
	}
	return errs
}

var _ batchSetter = (*BoltStore)(nil)
