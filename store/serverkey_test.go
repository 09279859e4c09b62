package store

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
)

func testServerKey(t *testing.T, open opener) {
	s, _ := open(t)
	ctx := context.Background()
	device, err := s.ServerKey(ctx, "device")
	if err != nil {
		t.Fatalf("ServerKey: %v", err)
	}
	if len(device) != ServerKeyLength || bytes.Equal(device, make([]byte, ServerKeyLength)) {
		t.Errorf("key: got %x, want %d random bytes", device, ServerKeyLength)
	}
	again, err := s.ServerKey(ctx, "device")
	if err != nil || !bytes.Equal(again, device) {
		t.Errorf("second ServerKey: got %x (err %v), want the first key %x", again, err, device)
	}
	other, err := s.ServerKey(ctx, "other")
	if err != nil || bytes.Equal(other, device) {
		t.Errorf("another name: got %x (err %v), want a key of its own", other, err)
	}
	for _, name := range []string{"", string(make([]byte, maxServerKeyName+1))} {
		if _, err := s.ServerKey(ctx, name); !errors.Is(err, ErrInvalid) {
			t.Errorf("ServerKey(%d-byte name): got %v, want ErrInvalid", len(name), err)
		}
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.ServerKey(canceled, "device"); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: got %v, want context.Canceled", err)
	}
}

// testServerKeyConcurrentCreation checks that of daemons creating one key at
// once, all get the same key.
func testServerKeyConcurrentCreation(t *testing.T, open opener) {
	s, _ := open(t)
	const n = 8
	keys, errs := make([][]byte, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { keys[i], errs[i] = s.ServerKey(context.Background(), "device") })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || !bytes.Equal(keys[i], keys[0]) {
			t.Errorf("creation %d: got %x (err %v), want %x as the others", i, keys[i], errs[i], keys[0])
		}
	}
}
