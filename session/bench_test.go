package session

import (
	"net/http/httptest"
	"testing"

	"github.com/keygate/keygate/internal/testenv"
)

// BenchmarkLoad measures the proxy check's session lookup on each store, answered
// from the cache (as nearly every check is) and read from the store (as the
// first check of a session in each CacheTTL is):
// go test -run '^$' -bench Load -benchmem ./session
func BenchmarkLoad(b *testing.B) {
	stores := []struct {
		name string
		open func(b *testing.B) Store
	}{
		{"bolt", func(b *testing.B) Store {
			s, err := NewBoltStore(openBolt(b), discard)
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
		{"redis", func(b *testing.B) Store {
			return newTestRedisStore(b, RedisConfig{Address: testenv.Redis(b)})
		}},
	}
	for _, st := range stores {
		for _, cached := range []bool{true, false} {
			name := st.name + "/store"
			if cached {
				name = st.name + "/cached"
			}
			b.Run(name, func(b *testing.B) {
				m, err := NewManager(testConfig(), st.open(b), discard)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { m.Close() })
				if !cached {
					m.cache = newSessionCache(0, cacheEntries) // every entry is stale at once
				}
				rec := httptest.NewRecorder()
				if err := m.Issue(b.Context(), rec, "", testSession("example.com")); err != nil {
					b.Fatal(err)
				}
				id := rec.Result().Cookies()[0].Value
				b.ReportAllocs()
				for b.Loop() {
					s, err := m.Load(b.Context(), id, "app.example.com")
					if err != nil || s == nil {
						b.Fatalf("Load = %v, %v", s, err)
					}
				}
			})
		}
	}
}
