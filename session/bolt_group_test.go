package session

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// slowFile is a bbolt file whose write transactions take at least delay, as a
// sync to a real disk does, and are counted.
type slowFile struct {
	*bbolt.DB
	delay   time.Duration
	updates atomic.Int64
}

func (f *slowFile) Update(fn func(*bbolt.Tx) error) error {
	f.updates.Add(1)
	time.Sleep(f.delay)
	return f.DB.Update(fn)
}

func newSlowStore(t *testing.T, delay time.Duration) (*BoltStore, *slowFile) {
	t.Helper()
	f := &slowFile{DB: openBolt(t), delay: delay}
	s, err := newBoltStore(f, slog.New(slog.DiscardHandler), time.Now, time.Hour)
	if err != nil {
		t.Fatalf("newBoltStore: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	f.updates.Store(0) // not the bucket's creation
	return s, f
}

func TestBoltSetsShareTransactions(t *testing.T) {
	s, f := newSlowStore(t, 20*time.Millisecond)
	const writers = 32
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Go(func() {
			errs[i] = s.Set(context.Background(), fmt.Sprint("k", i), []byte(fmt.Sprint("v", i)), time.Hour)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Set k%d: %v", i, err)
		}
		got, err := s.Get(context.Background(), fmt.Sprint("k", i))
		if err != nil || string(got) != fmt.Sprint("v", i) {
			t.Errorf("Get k%d = %q, %v; want %q", i, got, err, fmt.Sprint("v", i))
		}
	}
	// The first commits alone; the others queue during its 20 ms and share one
	// or a few transactions. One transaction per Set would be 32.
	if got := f.updates.Load(); got > writers/4 {
		t.Errorf("%d concurrent Sets took %d write transactions, want at most %d", writers, got, writers/4)
	}
}

func TestBoltSetBadWriteFailsAlone(t *testing.T) {
	s, _ := newSlowStore(t, 30*time.Millisecond)
	ctx := context.Background()
	var wg sync.WaitGroup
	wg.Go(func() { _ = s.Set(ctx, "first", []byte("1"), time.Hour) }) // leads; the others queue behind it
	time.Sleep(10 * time.Millisecond)
	var goodErr, badErr error
	tooLong := strings.Repeat("k", bbolt.MaxKeySize+1)
	wg.Go(func() { goodErr = s.Set(ctx, "good", []byte("2"), time.Hour) })
	wg.Go(func() { badErr = s.Set(ctx, tooLong, []byte("3"), time.Hour) })
	wg.Wait()
	if goodErr != nil {
		t.Errorf("Set good beside a bad write: %v, want nil", goodErr)
	}
	if badErr == nil {
		t.Error("Set with a key over bbolt's limit: nil error, want one")
	}
	if got, err := s.Get(ctx, "good"); err != nil || string(got) != "2" {
		t.Errorf("Get good = %q, %v; want \"2\"", got, err)
	}
}
