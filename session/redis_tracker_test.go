package session

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/keygate/keygate/internal/testenv"
)

// trackedPair is two Managers over one Redis, as two Keygate instances, and a
// client of that Redis for the test's own commands.
type trackedPair struct {
	a, b  *Manager
	redis *redis.Client
}

func newTrackedPair(t *testing.T, cfg RedisConfig) trackedPair {
	t.Helper()
	prefix := uniquePrefix()
	var p trackedPair
	for _, m := range []**Manager{&p.a, &p.b} {
		store, err := newRedisStore(cfg, slog.New(slog.DiscardHandler), prefix)
		if err != nil {
			t.Fatalf("newRedisStore: %v", err)
		}
		*m, err = NewManager(testConfig(), store, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatalf("NewManager: %v", err)
		}
		t.Cleanup(func() { (*m).Close() })
	}
	p.redis = redis.NewClient(&redis.Options{Addr: cfg.Address, Username: cfg.Username, Password: cfg.Password})
	t.Cleanup(func() { p.redis.Close() })
	return p
}

// vouchedNow reports whether m's cache is vouched for at the current time.
func vouchedNow(m *Manager) bool {
	v := m.cache.vouched.Load()
	return v != nil && (*v)(time.Now())
}

// waitVouched starts m's voucher as a first Load would, waits until it
// vouches for the cache, and fails the test after 5s.
func waitVouched(t *testing.T, m *Manager) {
	t.Helper()
	m.vouchOnce.Do(m.startVouching)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if vouchedNow(m) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the Redis tracker did not vouch for the cache within 5s")
		}
	}
}

// cachedEntry returns m's cache entry for id whether fresh or not, without
// touching it.
func cachedEntry(m *Manager, id string) *cached {
	h, _ := hashID(id)
	sh := m.cache.shard(h)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.entries[h]
}

// loadCached loads id on m until m caches it: a Load does not cache what it
// read when an invalidation reached the cache meanwhile (here, the one Redis
// sends every tracker for the session's own creation).
func loadCached(t *testing.T, m *Manager, id string) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); cachedEntry(m, id) == nil; time.Sleep(5 * time.Millisecond) {
		if load(t, m, id, "example.com") == nil {
			t.Fatal("Load = nil, want the session")
		}
		if time.Now().After(deadline) {
			t.Fatal("the session is not cached after 2s of Loads")
		}
	}
}

var getCalls = regexp.MustCompile(`cmdstat_get:calls=(\d+)`)

// gets returns how many GET commands the Redis server has run.
func gets(t *testing.T, c *redis.Client) int {
	t.Helper()
	info, err := c.Info(t.Context(), "commandstats").Result()
	if err != nil {
		t.Fatalf("INFO commandstats: %v", err)
	}
	m := getCalls.FindStringSubmatch(info)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestTrackerVouchesBeyondCacheTTL checks that while the tracker is told of
// changes, a session read once is answered from memory past CacheTTL.
func TestTrackerVouchesBeyondCacheTTL(t *testing.T) {
	p := newTrackedPair(t, RedisConfig{Address: testenv.Redis(t)})
	id := issue(t, p.a, "", testSession("example.com")).Value
	waitVouched(t, p.b)
	loadCached(t, p.b, id)
	before := gets(t, p.redis)
	time.Sleep(CacheTTL + 300*time.Millisecond)
	waitVouched(t, p.b)
	if load(t, p.b, id, "example.com") == nil {
		t.Fatal("Load after CacheTTL = nil, want the session")
	}
	if got := gets(t, p.redis) - before; got != 0 {
		t.Errorf("GETs for a session read %v ago while vouched = %d, want 0", CacheTTL+300*time.Millisecond, got)
	}
}

// TestTrackerToldOfEveryChange checks that a change to a cached session made
// anywhere (another instance's sign-out, or a key deleted by hand) removes it
// from the cache, where only the tracker could have removed it.
func TestTrackerToldOfEveryChange(t *testing.T) {
	p := newTrackedPair(t, RedisConfig{Address: testenv.Redis(t)})
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, id string)
	}{
		{"signed out on the other instance", func(t *testing.T, id string) {
			if err := p.a.Destroy(t.Context(), httptest.NewRecorder(), id, "example.com"); err != nil {
				t.Fatalf("Destroy: %v", err)
			}
		}},
		{"deleted in Redis by hand", func(t *testing.T, id string) {
			h, _ := hashID(id)
			if err := p.redis.Del(t.Context(), p.a.store.(*RedisStore).prefix+h.key(sessionPrefix)).Err(); err != nil {
				t.Fatalf("DEL: %v", err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := issue(t, p.a, "", testSession("example.com")).Value
			waitVouched(t, p.b)
			loadCached(t, p.b, id)
			tc.change(t, id)
			deadline := time.Now().Add(2 * time.Second)
			for cachedEntry(p.b, id) != nil {
				if time.Now().After(deadline) {
					t.Fatal("the changed session is still cached 2s later; want it dropped when Redis tells of the change")
				}
				time.Sleep(5 * time.Millisecond)
			}
			if s := load(t, p.b, id, "example.com"); s != nil {
				t.Errorf("Load after the change = %+v, want nil", s)
			}
		})
	}
}

// TestTrackerLapses checks that the cache is vouched for only while beats are
// told: with writes paused in Redis, trust ends within CacheTTL and sessions
// are then good for CacheTTL only; and that a cut subscription flushes the
// cache.
func TestTrackerLapses(t *testing.T) {
	p := newTrackedPair(t, RedisConfig{Address: testenv.Redis(t)})
	id := issue(t, p.a, "", testSession("example.com")).Value
	waitVouched(t, p.b)
	load(t, p.b, id, "example.com")

	if err := p.redis.Do(t.Context(), "CLIENT", "PAUSE", "2500", "WRITE").Err(); err != nil {
		t.Fatalf("CLIENT PAUSE: %v", err)
	}
	time.Sleep(CacheTTL + 200*time.Millisecond)
	if vouchedNow(p.b) {
		t.Error("vouched with writes paused for longer than CacheTTL; want no trust without a told beat")
	}
	if err := p.redis.Do(t.Context(), "CLIENT", "UNPAUSE").Err(); err != nil {
		t.Fatalf("CLIENT UNPAUSE: %v", err)
	}
	waitVouched(t, p.b)

	loadCached(t, p.b, id)
	if err := p.redis.Do(t.Context(), "CLIENT", "KILL", "TYPE", "pubsub").Err(); err != nil {
		t.Fatalf("CLIENT KILL: %v", err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for cachedEntry(p.b, id) != nil {
		if time.Now().After(deadline) {
			t.Fatal("the cache still holds the session 3s after the subscription was cut; want it flushed")
		}
		time.Sleep(5 * time.Millisecond)
	}
	waitVouched(t, p.b) // and the tracker comes back by itself
}

// TestTrackerRefused checks that a Redis user not allowed CLIENT still gets a
// working store, cached for CacheTTL only.
func TestTrackerRefused(t *testing.T) {
	addr := testenv.Redis(t, "--user", "keygate", "on", ">pw", "~*", "&*", "+@all", "-client")
	p := newTrackedPair(t, RedisConfig{Address: addr, Username: "keygate", Password: "pw"})
	id := issue(t, p.a, "", testSession("example.com")).Value
	if load(t, p.b, id, "example.com") == nil {
		t.Fatal("Load = nil, want the session")
	}
	time.Sleep(500 * time.Millisecond)
	if vouchedNow(p.b) {
		t.Error("vouched although Redis refused tracking")
	}
	rs := p.b.store.(*RedisStore)
	rs.trackMu.Lock()
	tr := rs.tracker
	rs.trackMu.Unlock()
	if tr == nil || tr.refused.Load() == nil {
		t.Error("the tracker did not start, or did not record Redis's refusal")
	}
}

// TestNoTrackerOnCluster checks that a Cluster's sessions are cached for
// CacheTTL only: one subscription cannot follow every primary.
func TestNoTrackerOnCluster(t *testing.T) {
	store := newTestRedisStore(t, RedisConfig{Cluster: ClusterConfig{Addresses: []string{testenv.RedisCluster(t)}}})
	m, err := NewManager(testConfig(), store, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	m.vouchOnce.Do(m.startVouching)
	if m.cache.vouched.Load() != nil {
		t.Error("a Cluster store vouches for the cache; want CacheTTL only")
	}
}

// countingBolt counts the reads of a BoltStore and vouches like it.
type countingBolt struct {
	*BoltStore
	reads int
}

func (s *countingBolt) Get(ctx context.Context, key string) ([]byte, error) {
	s.reads++
	return s.BoltStore.Get(ctx, key)
}

// TestBoltVouches checks that the embedded store, written by this process
// alone, keeps sessions cached past CacheTTL, and that a sign-out still
// applies at once.
func TestBoltVouches(t *testing.T) {
	c := newClock()
	store := &countingBolt{BoltStore: newTestBoltStore(t, openBolt(t), c.now)}
	m, err := NewManager(testConfig(), store, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	m.now = c.now
	id := issue(t, m, "", testSession("example.com")).Value
	load(t, m, id, "example.com")
	reads := store.reads
	c.advance(trustedCacheTTL - time.Second)
	if load(t, m, id, "example.com") == nil {
		t.Fatal("Load = nil, want the session")
	}
	if got := store.reads - reads; got != 0 {
		t.Errorf("reads of a session cached %v ago = %d, want 0", trustedCacheTTL-time.Second, got)
	}
	if err := m.Destroy(t.Context(), httptest.NewRecorder(), id, "example.com"); err != nil {
		t.Fatal(err)
	}
	if s := load(t, m, id, "example.com"); s != nil {
		t.Errorf("Load after Destroy = %+v, want nil", s)
	}
}

// TestVoucherStartsAtFirstLoad checks that a Manager that never loads a
// session (an admin command's) starts no tracker, and that one that does,
// does.
func TestVoucherStartsAtFirstLoad(t *testing.T) {
	p := newTrackedPair(t, RedisConfig{Address: testenv.Redis(t)})
	id := issue(t, p.a, "", testSession("example.com")).Value
	started := func(m *Manager) bool {
		rs := m.store.(*RedisStore)
		rs.trackMu.Lock()
		defer rs.trackMu.Unlock()
		return rs.tracker != nil
	}
	if started(p.a) || started(p.b) {
		t.Fatal("a tracker started before any Load")
	}
	load(t, p.b, id, "example.com")
	if !started(p.b) {
		t.Error("no tracker after the first Load")
	}
	if started(p.a) {
		t.Error("a tracker started on a Manager that loaded nothing")
	}
}
