package session

import (
	"crypto/rand"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// loadAt loads id for example.com and fails the test on an error.
func loadAt(t *testing.T, m *Manager, id string) *Session {
	t.Helper()
	return load(t, m, id, "example.com")
}

func TestCacheHitReadsNothing(t *testing.T) {
	m, store, c := newTestManager(t, testConfig())
	id := issue(t, m, "", testSession("example.com")).Value
	if loadAt(t, m, id) == nil {
		t.Fatal("first Load = nil, want the session")
	}
	before := store.gets()
	for range 100 {
		c.advance(CacheTTL / 200)
		if loadAt(t, m, id) == nil {
			t.Fatal("Load from the cache = nil, want the session")
		}
	}
	if got := store.gets() - before; got != 0 {
		t.Errorf("store reads for 100 Loads within CacheTTL = %d, want 0", got)
	}
}

func TestCacheExpiresAfterTTL(t *testing.T) {
	m, store, c := newTestManager(t, testConfig())
	id := issue(t, m, "", testSession("example.com")).Value
	steps := []struct {
		advance   time.Duration
		wantReads bool
	}{
		{0, true},                 // nothing cached yet
		{CacheTTL - 1, false},     // read 1ns less than CacheTTL ago
		{1, true},                 // read CacheTTL ago: stale
		{CacheTTL / 2, false},     // cached by the previous step
		{CacheTTL / 2, true},      // stale again
		{10 * time.Minute, true},  // long stale
		{CacheTTL - 1, false},     // and cached again
		{-CacheTTL, true},         // a clock gone back before the read: stale
		{time.Nanosecond, false},  // read again at that earlier time: fresh
		{CacheTTL + 1, true},      // stale
		{time.Nanosecond, false},  // fresh
		{time.Nanosecond, false},  // still fresh
		{CacheTTL - 2, true},      // read CacheTTL ago
		{time.Microsecond, false}, // fresh
	}
	for i, st := range steps {
		c.advance(st.advance)
		before := store.gets()
		if loadAt(t, m, id) == nil {
			t.Fatalf("step %d: Load = nil, want the session", i+1)
		}
		if got := store.gets() > before; got != st.wantReads {
			t.Errorf("step %d: read the store = %v, want %v", i+1, got, st.wantReads)
		}
	}
}

// TestCacheInvalidation checks that a logout or a rotation in this process
// applies to the next Load at once, without waiting for CacheTTL.
func TestCacheInvalidation(t *testing.T) {
	tests := []struct {
		name string
		end  func(t *testing.T, m *Manager, id string)
	}{
		{"Destroy", func(t *testing.T, m *Manager, id string) {
			if err := m.Destroy(t.Context(), httptest.NewRecorder(), id, "example.com"); err != nil {
				t.Fatalf("Destroy: %v", err)
			}
		}},
		{"Issue rotating the ID", func(t *testing.T, m *Manager, id string) {
			s := loadAt(t, m, id)
			s.Factors = append(s.Factors, Factor{Method: MethodWebAuthn})
			if fresh := issue(t, m, id, s); loadAt(t, m, fresh.Value).Level() != LevelTwoFactor {
				t.Error("Load of the new ID: want a two_factor session")
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, _, _ := newTestManager(t, testConfig())
			id := issue(t, m, "", testSession("example.com")).Value
			if loadAt(t, m, id) == nil {
				t.Fatal("Load before = nil, want the session")
			}
			tc.end(t, m, id)
			if got := loadAt(t, m, id); got != nil {
				t.Errorf("Load of the old ID right after = %+v, want nil", got)
			}
		})
	}
}

// TestCacheInvalidationRace loads a session from many goroutines while it is
// destroyed: once Destroy returned, no Load may find it again, even one that
// read the store before the deletion and caches what it read after it. The
// clock stands still, so an entry put back would never go stale.
func TestCacheInvalidationRace(t *testing.T) {
	m, _, _ := newTestManager(t, testConfig())
	for round := range 50 {
		id := issue(t, m, "", testSession("example.com")).Value
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
						if _, err := m.Load(t.Context(), id, "example.com"); err != nil {
							t.Errorf("Load: %v", err)
						}
					}
				}
			})
		}
		if err := m.Destroy(t.Context(), httptest.NewRecorder(), id, "example.com"); err != nil {
			t.Fatalf("Destroy: %v", err)
		}
		got := loadAt(t, m, id)
		close(stop)
		wg.Wait()
		if got != nil || loadAt(t, m, id) != nil {
			t.Fatalf("round %d: Load after Destroy returned the session", round)
		}
	}
}

// TestCacheOtherInstance checks the staleness bound: a session destroyed by
// another instance is refused here at most CacheTTL after this instance read it.
func TestCacheOtherInstance(t *testing.T) {
	a, store, c := newTestManager(t, testConfig())
	b, err := NewManager(testConfig(), store, discard)
	if err != nil {
		t.Fatal(err)
	}
	b.now = c.now
	id := issue(t, a, "", testSession("example.com")).Value
	if loadAt(t, a, id) == nil {
		t.Fatal("Load = nil, want the session")
	}
	if err := b.Destroy(t.Context(), httptest.NewRecorder(), id, "example.com"); err != nil {
		t.Fatalf("Destroy on the other instance: %v", err)
	}
	c.advance(CacheTTL)
	if got := loadAt(t, a, id); got != nil {
		t.Errorf("Load CacheTTL after the other instance destroyed it = %+v, want nil", got)
	}
}

// TestCacheStoreDown checks that a cached session is answered for less than
// CacheTTL after the store fails, and that Load fails closed after that.
func TestCacheStoreDown(t *testing.T) {
	m, store, c := newTestManager(t, testConfig())
	id := issue(t, m, "", testSession("example.com")).Value
	if loadAt(t, m, id) == nil {
		t.Fatal("Load = nil, want the session")
	}
	store.fail(errStoreDown)
	steps := []struct {
		advance time.Duration
		want    bool // the session; otherwise the store's error
	}{
		{0, true},
		{CacheTTL - 1, true},
		{1, false},
		{0, false}, // a failed read caches nothing
		{CacheTTL, false},
	}
	for i, st := range steps {
		c.advance(st.advance)
		s, err := m.Load(t.Context(), id, "example.com")
		if st.want && (s == nil || err != nil) {
			t.Errorf("step %d: Load = %v, %v; want the cached session", i+1, s, err)
		}
		if !st.want && (s != nil || !errors.Is(err, errStoreDown)) {
			t.Errorf("step %d: Load = %v, %v; want nil and the store's error", i+1, s, err)
		}
	}
	store.fail(nil)
	if loadAt(t, m, id) == nil {
		t.Error("Load once the store is back = nil, want the session")
	}
}

// TestCacheNothingForUnknown checks that what an unauthenticated request can
// send never makes a cache entry, so that a flood of them cannot grow memory.
func TestCacheNothingForUnknown(t *testing.T) {
	m, _, c := newTestManager(t, testConfig())
	expired := issue(t, m, "", testSession("example.com")).Value
	c.advance(12 * time.Hour)
	idle := issue(t, m, "", testSession("example.com")).Value
	c.advance(time.Hour)
	valid := issue(t, m, "", testSession("example.com")).Value
	ids := []string{"", "abc", valid + "=", "*" + valid[1:], expired, idle}
	for range 10_000 {
		ids = append(ids, newID())
	}
	for _, host := range []string{"example.com", "www.example.org", "example.net", ""} {
		for _, id := range ids {
			if got := load(t, m, id, host); got != nil {
				t.Fatalf("Load(%q, %q) = %+v, want nil", id, host, got)
			}
		}
	}
	if got := load(t, m, valid, "www.example.org"); got != nil {
		t.Fatalf("Load for another cookie domain = %+v, want nil", got)
	}
	if got := m.cache.len(); got != 0 {
		t.Errorf("cache entries after %d unauthenticated Loads = %d, want 0", 4*len(ids)+1, got)
	}
	if loadAt(t, m, valid) == nil || m.cache.len() != 1 {
		t.Errorf("a valid session: want it loaded and cached, got %d entries", m.cache.len())
	}
}

// TestCacheReturnsCopies changes every part of a loaded session and loads it again.
func TestCacheReturnsCopies(t *testing.T) {
	m, _, c := newTestManager(t, testConfig())
	s := testSession("example.com")
	s.Groups = []string{"admins", "dev", "ops", "a", "b"} // more than a copy holds inline
	s.Factors = append(s.Factors, Factor{Method: MethodWebAuthn, At: c.now(), CredentialID: []byte("credential")})
	id := issue(t, m, "", s).Value
	want := loadAt(t, m, id)

	got := loadAt(t, m, id)
	got.Username = "mallory"
	got.Groups[0] = "root"
	got.Groups = append(got.Groups, "wheel")
	got.Factors[1].CredentialID[0] = 'X'
	got.Factors[0].Method = MethodPasskey
	got.Factors = append(got.Factors, Factor{Method: MethodPasskey, MultiFactor: true})

	if diff := cmp.Diff(want, loadAt(t, m, id)); diff != "" {
		t.Errorf("Load after changing an earlier copy (-want +got):\n%s", diff)
	}
}

func TestSessionClone(t *testing.T) {
	at := newClock().now()
	long := make([]byte, 200)
	tests := []struct {
		name string
		s    *Session
	}{
		{"empty", &Session{}},
		{"empty slices", &Session{Groups: []string{}, Factors: []Factor{}}},
		{"typical", testSession("example.com")},
		{"many groups and factors", &Session{
			Groups: []string{"a", "b", "c", "d", "e", "f"},
			Factors: []Factor{
				{Method: MethodPassword, At: at},
				{Method: MethodWebAuthn, At: at, CredentialID: []byte("one"), DeviceBound: true, AAGUID: "cb69481e-8ff7-4039-93ec-0a2729a154a8"},
				{Method: MethodPasskey, At: at, CredentialID: long},
				{Method: MethodWebAuthn, At: at, CredentialID: []byte("four")},
			},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.s.clone()
			if diff := cmp.Diff(tc.s, got); diff != "" {
				t.Errorf("clone (-want +got):\n%s", diff)
			}
			for i := range got.Factors {
				if id := got.Factors[i].CredentialID; len(id) > 0 {
					id[0]++
					if tc.s.Factors[i].CredentialID[0] == id[0] {
						t.Errorf("factor %d: the copy shares its credential ID", i)
					}
				}
			}
		})
	}
}

// TestCacheActivityOnHits checks that sessions answered from the cache still
// record activity, coalesced, and still end when inactive.
func TestCacheActivityOnHits(t *testing.T) {
	cfg := testConfig()
	cfg.Inactivity = 5 * time.Minute // activity written at most every 30s
	m, store, c := newTestManager(t, cfg)
	m.cache = newSessionCache(time.Hour, cacheEntries) // every Load below is a hit
	id := issue(t, m, "", testSession("example.com")).Value
	loadAt(t, m, id)
	reads := store.gets()
	steps := []struct {
		advance time.Duration
		writes  int // activity writes so far
		valid   bool
	}{
		{29 * time.Second, 0, true},
		{time.Second, 1, true},
		{10 * time.Second, 1, true},
		{20 * time.Second, 2, true},
		{5*time.Minute - 1, 3, true},
	}
	for i, st := range steps {
		c.advance(st.advance)
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				if s, err := m.Load(t.Context(), id, "example.com"); err != nil || (s != nil) != st.valid {
					t.Errorf("Load = %v, %v; want valid %v", s, err, st.valid)
				}
			})
		}
		wg.Wait()
		m.activity.wait()
		if got := store.setsOf(activityPrefix); got != st.writes {
			t.Errorf("step %d: activity writes = %d, want %d", i+1, got, st.writes)
		}
	}
	if got := store.gets() - reads; got != 0 {
		t.Errorf("store reads while cached = %d, want 0", got)
	}
	c.advance(5 * time.Minute)
	if got := loadAt(t, m, id); got != nil {
		t.Errorf("Load after 5m without activity = %+v, want nil", got)
	}
	if got := store.setsOf(activityPrefix); got != 3 {
		t.Errorf("activity writes after the session ended = %d, want 3", got)
	}
}

// TestCacheIdleAsksStore checks that a session idle by what this instance knows
// is checked against the store, where another instance may have recorded activity.
func TestCacheIdleAsksStore(t *testing.T) {
	a, store, c := newTestManager(t, testConfig())
	a.cache = newSessionCache(24*time.Hour, cacheEntries)
	b, err := NewManager(testConfig(), store, discard)
	if err != nil {
		t.Fatal(err)
	}
	b.now = c.now
	id := issue(t, a, "", testSession("example.com")).Value
	loadAt(t, a, id)
	c.advance(50 * time.Minute)
	loadAt(t, b, id) // records activity
	c.advance(20 * time.Minute)
	s := loadAt(t, a, id)
	if s == nil {
		t.Fatal("Load = nil, want the session kept alive by the other instance")
	}
	if want := c.now(); !s.LastActivity.Equal(want) {
		t.Errorf("LastActivity = %v, want %v", s.LastActivity, want)
	}
}

func TestSessionCacheEpoch(t *testing.T) {
	now := newClock().now()
	c := newSessionCache(time.Second, cacheEntries)
	h := hashedID{1}
	epoch := c.epoch(h)
	c.invalidate(h) // a Destroy while a Load was reading the store
	c.put(h, newCached(&Session{}, now), epoch, now)
	if c.get(h, now) != nil {
		t.Error("put with an epoch from before an invalidation: got an entry, want none")
	}
	c.put(h, newCached(&Session{}, now), c.epoch(h), now)
	if c.get(h, now) == nil {
		t.Error("put with the current epoch: got no entry")
	}
}

func TestSessionCacheBounded(t *testing.T) {
	clk := newClock()
	c := newSessionCache(time.Second, 2*cacheShards)
	for range 1000 {
		var h hashedID
		rand.Read(h[:])
		c.put(h, newCached(&Session{}, clk.now()), c.epoch(h), clk.now())
	}
	if got := c.len(); got > 2*cacheShards {
		t.Errorf("entries = %d, want at most %d", got, 2*cacheShards)
	}

	// Stale entries go at the next put in their shard.
	c = newSessionCache(time.Second, cacheEntries)
	for i := range 100 {
		h := hashedID{0, byte(i)}
		c.put(h, newCached(&Session{}, clk.now()), c.epoch(h), clk.now())
	}
	clk.advance(time.Second)
	h := hashedID{0, 255}
	c.put(h, newCached(&Session{}, clk.now()), c.epoch(h), clk.now())
	if got := c.len(); got != 1 {
		t.Errorf("entries after a put CacheTTL later = %d, want 1", got)
	}
}
