package session

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/keygate/keygate/internal/testenv"
)

// replicated starts a primary with one replica and returns both.
func replicated(t *testing.T) (primary, replica *testenv.RedisServer) {
	t.Helper()
	h := testenv.RedisSentinelHA(t, 1, 0)
	return h.Primary, h.Replicas[0]
}

// timedSet returns how long one Set took.
func timedSet(t *testing.T, s Store, key string) time.Duration {
	t.Helper()
	start := time.Now()
	mustSet(t, s, key, []byte("v"), time.Hour)
	return time.Since(start)
}

// TestRedisWritesWaitForReplica checks that a write returns only once the
// replica has it: with the replica frozen, the write waits out wait_timeout;
// with waiting off, it does not; and with the replica back, the value is on
// the replica the moment Set returns.
func TestRedisWritesWaitForReplica(t *testing.T) {
	primary, replica := replicated(t)
	const timeout = maxWaitTimeout // the longest allowed: a loaded machine blurs shorter waits
	waiting := newTestRedisStore(t, RedisConfig{Address: primary.Addr, WaitTimeout: timeout})
	off := newTestRedisStore(t, RedisConfig{Address: primary.Addr, WaitReplicas: -1})
	if got := waiting.waitingFor(); got != 1 {
		t.Fatalf("waitingFor = %d, want 1", got)
	}

	replica.Freeze(t)
	took := timedSet(t, waiting, "s:frozen")
	offTook := timedSet(t, off, "s:frozen-off")
	replica.Thaw(t)
	if took < timeout {
		t.Errorf("Set with the replica frozen took %v, want it to wait %v for the acknowledgement", took, timeout)
	}
	if offTook >= timeout/2 {
		t.Errorf("Set with waiting off took %v, want no wait", offTook)
	}

	raw := redis.NewClient(&redis.Options{Addr: replica.Addr})
	defer raw.Close()
	time.Sleep(roleEvery) // the next write asks ROLE again and waits once more
	for i := range 20 {
		key := "s:acked-" + string(rune('a'+i))
		mustSet(t, waiting, key, []byte("v"), time.Hour)
		if n, err := raw.Exists(context.Background(), waiting.prefix+key).Result(); err != nil || n != 1 {
			t.Fatalf("key %s on the replica right after Set: %d, %v; want 1", key, n, err)
		}
	}
}

// TestRedisWaitWithoutReplica checks that a primary without replicas costs
// no wait: the replica count is seeded at start.
func TestRedisWaitWithoutReplica(t *testing.T) {
	addr := testenv.Redis(t)
	s := newTestRedisStore(t, RedisConfig{Address: addr, WaitTimeout: maxWaitTimeout})
	if took := timedSet(t, s, "s:x"); took > maxWaitTimeout*3/4 {
		t.Errorf("Set on a primary without replicas took %v, want no wait", took)
	}
}

// BenchmarkRedisSignInWrites measures the store writes of one password
// sign-in (index, session, old session deleted) with and without waiting for
// a replica's acknowledgement, all on loopback.
func BenchmarkRedisSignInWrites(b *testing.B) {
	h := testenv.RedisSentinelHA(b, 1, 0)
	for _, bc := range []struct {
		name string
		wait int
	}{{"no-wait", -1}, {"wait-1-replica", 0}} {
		b.Run(bc.name, func(b *testing.B) {
			s := newTestRedisStore(b, RedisConfig{Address: h.Primary.Addr, WaitReplicas: bc.wait})
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if err := s.AddMember(ctx, "u:alice", "m", time.Hour); err != nil {
					b.Fatal(err)
				}
				if err := s.Set(ctx, "s:x", []byte("session"), time.Hour); err != nil {
					b.Fatal(err)
				}
				if err := s.Delete(ctx, "s:old"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
