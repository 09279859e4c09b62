package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

func testAddFirstCredential(t *testing.T, open opener) {
	s, _ := open(t)
	ctx := context.Background()
	if err := s.AddFirstCredential(ctx, "alice", testCredential("a", "One")); err != nil {
		t.Fatalf("first credential: %v", err)
	}
	if err := s.AddFirstCredential(ctx, "alice", testCredential("b", "Two")); !errors.Is(err, ErrHasCredential) {
		t.Errorf("second credential: got %v, want ErrHasCredential", err)
	}
	if err := s.AddFirstCredential(ctx, "bob", testCredential("c", "One")); err != nil {
		t.Errorf("another user's first credential: %v", err)
	}
	if err := s.DeleteCredential(ctx, "alice", []byte("a")); err != nil {
		t.Fatal(err)
	}
	if err := s.AddFirstCredential(ctx, "alice", testCredential("b", "Two")); err != nil {
		t.Errorf("first credential after the last was deleted: %v", err)
	}
	if list, _ := s.Credentials(ctx, "alice"); len(list) != 1 || string(list[0].ID) != "b" {
		t.Errorf("alice's credentials = %v, want b alone", list)
	}
}

// testAddFirstCredentialRace adds many first credentials at once: exactly one is stored.
func testAddFirstCredentialRace(t *testing.T, open opener) {
	s, _ := open(t)
	const n = 16
	var wins atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			err := s.AddFirstCredential(context.Background(), "alice", testCredential(fmt.Sprint("id-", i), fmt.Sprint("Key ", i)))
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, ErrHasCredential):
				t.Errorf("AddFirstCredential: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	list, err := s.Credentials(context.Background(), "alice")
	if got := wins.Load(); got != 1 || err != nil || len(list) != 1 {
		t.Errorf("successful first adds = %d, stored = %d (%v); want 1 and 1", got, len(list), err)
	}
}
