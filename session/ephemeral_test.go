package session

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

func TestMemoryStates(t *testing.T) {
	c := newClock()
	s := newMemoryStates(3, c.now)
	ctx := t.Context()
	put := func(key string, ttl time.Duration) {
		t.Helper()
		if err := s.PutState(ctx, key, []byte("v-"+key), ttl); err != nil {
			t.Fatalf("PutState(%s): %v", key, err)
		}
	}
	take := func(key string, want bool) {
		t.Helper()
		v, err := s.TakeState(ctx, key)
		if got := err == nil; got != want {
			t.Errorf("TakeState(%s) = %q, %v; want found %v", key, v, err, want)
		}
		if err != nil && !errors.Is(err, ErrNotFound) {
			t.Errorf("TakeState(%s): %v, want ErrNotFound", key, err)
		}
		if err == nil && string(v) != "v-"+key {
			t.Errorf("TakeState(%s) = %q, want %q", key, v, "v-"+key)
		}
	}
	put("a", time.Minute)
	take("a", true)
	take("a", false) // single use

	put("b", time.Minute)
	c.advance(time.Minute)
	take("b", false) // expired

	for _, k := range []string{"c", "d", "e", "f"} {
		put(k, time.Minute)
	}
	take("c", false) // the oldest, dropped when full
	take("f", true)
	if n := s.len(); n != 2 {
		t.Errorf("states held = %d, want 2", n)
	}
	if err := s.PutState(ctx, "g", nil, 0); err == nil {
		t.Error("PutState with ttl 0: got no error")
	}
}

// TestEphemeralStatesWriteNothing checks that on the embedded store the
// anonymous ceremony state costs no write to the file, and that on any other
// store it is the store's.
func TestEphemeralStatesWriteNothing(t *testing.T) {
	db, err := bbolt.Open(filepath.Join(t.TempDir(), "k.db"), 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	bs, err := NewBoltStore(db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewManager(testConfig(), bs, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	writes := func() int64 { st := db.Stats(); return st.TxStats.GetWrite() }
	before := writes()
	states := m.EphemeralStates()
	for i := range 50 {
		if err := states.PutState(t.Context(), fmt.Sprint("k", i), []byte("v"), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := states.TakeState(t.Context(), "k7"); err != nil {
		t.Errorf("TakeState: %v", err)
	}
	if got := writes() - before; got != 0 {
		t.Errorf("pages written for 50 ephemeral states = %d, want 0", got)
	}
	if err := m.PutState(t.Context(), "durable", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if writes() == before {
		t.Error("a durable PutState wrote no page: the count measures nothing")
	}

	mem, _, _ := newTestManager(t, testConfig())
	if got := mem.EphemeralStates(); got != States(mem) {
		t.Errorf("EphemeralStates on a shared store = %T, want the Manager", got)
	}
}
