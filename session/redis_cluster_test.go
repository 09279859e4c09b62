package session

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/testenv"
)

// TestRedisClusterFailover kills a primary of a cluster whose primaries each
// have a replica: every key written before (each write acknowledged by a
// replica) reads again, from the promoted replica, within 10 s, though
// go-redis alone would dial the dead primary for a minute.
func TestRedisClusterFailover(t *testing.T) {
	primaries, _ := testenv.RedisClusterHA(t, 3)
	var addrs []string
	for _, p := range primaries {
		addrs = append(addrs, p.Addr)
	}
	s := newTestRedisStore(t, RedisConfig{Cluster: ClusterConfig{Addresses: addrs}})
	const keys = 30
	for i := range keys {
		mustSet(t, s, fmt.Sprintf("s:%d", i), []byte("v"), time.Hour)
	}
	primaries[0].Kill(t)
	killed := time.Now()
	for {
		missing, failed := 0, 0
		for i := range keys {
			v, err := s.Get(context.Background(), fmt.Sprintf("s:%d", i))
			switch {
			case err == ErrNotFound:
				missing++
			case err != nil:
				failed++
			case string(v) != "v":
				t.Fatalf("key %d reads %q after the failover, want v", i, v)
			}
		}
		if missing > 0 {
			t.Fatalf("%d keys lost in the failover", missing)
		}
		if failed == 0 {
			t.Logf("every key reads again %v after the primary died", time.Since(killed).Round(100*time.Millisecond))
			return
		}
		if time.Since(killed) > 10*time.Second {
			t.Fatalf("%d of %d keys still unreadable %v after the primary died", failed, keys, time.Since(killed))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
