package session

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/testenv"
)

// TestRedisWindow admits max events per window across two stores (two
// replicas), concurrently, and admits again once the window has passed.
func TestRedisWindow(t *testing.T) {
	addr := testenv.Redis(t)
	a := newTestRedisStore(t, RedisConfig{Address: addr})
	b := newTestRedisStore(t, RedisConfig{Address: addr, WaitReplicas: -1}) // another replica
	b.prefix = a.prefix
	const max, window = 3, 300 * time.Millisecond
	var admitted atomic.Int32
	var wg sync.WaitGroup
	for i := range 10 {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Go(func() {
			ok, err := s.Admit(t.Context(), "alice", max, window)
			if err != nil {
				t.Errorf("Admit: %v", err)
			}
			if ok {
				admitted.Add(1)
			}
		})
	}
	wg.Wait()
	if got := admitted.Load(); got != max {
		t.Errorf("10 concurrent events on two replicas: %d admitted, want %d", got, max)
	}
	if ok, _ := a.Admit(t.Context(), "bob", max, window); !ok {
		t.Error("bob's first event refused because of alice's")
	}
	time.Sleep(window + 50*time.Millisecond)
	if ok, err := b.Admit(t.Context(), "alice", max, window); !ok || err != nil {
		t.Errorf("Admit after the window = %v, %v; want true", ok, err)
	}
}

// TestRedisClaim claims a key once across two stores (two replicas), concurrently.
func TestRedisClaim(t *testing.T) {
	addr := testenv.Redis(t)
	a := newTestRedisStore(t, RedisConfig{Address: addr})
	b := newTestRedisStore(t, RedisConfig{Address: addr, WaitReplicas: -1})
	b.prefix = a.prefix
	var won atomic.Int32
	var wg sync.WaitGroup
	for i := range 10 {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Go(func() {
			ok, err := s.Claim(t.Context(), "challenge:x", 200*time.Millisecond)
			if err != nil {
				t.Errorf("Claim: %v", err)
			}
			if ok {
				won.Add(1)
			}
		})
	}
	wg.Wait()
	if got := won.Load(); got != 1 {
		t.Errorf("10 concurrent claims on two replicas: %d won, want 1", got)
	}
	time.Sleep(250 * time.Millisecond)
	if ok, err := a.Claim(t.Context(), "challenge:x", time.Second); !ok || err != nil {
		t.Errorf("Claim after the ttl = %v, %v; want true", ok, err)
	}
}
