package session

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/testenv"
	"github.com/redis/go-redis/v9"
)

// newTestRedisStore connects to addr under a key prefix no other test uses, so
// tests can share one server.
func newTestRedisStore(t testing.TB, cfg RedisConfig) *RedisStore {
	t.Helper()
	s, err := newRedisStore(cfg, slog.New(slog.DiscardHandler), uniquePrefix())
	if err != nil {
		t.Fatalf("newRedisStore: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var prefixes atomic.Int64

func uniquePrefix() string {
	return fmt.Sprintf("keygate-test-%d:", prefixes.Add(1))
}

func TestRedisStore(t *testing.T) {
	addr := testenv.Redis(t)
	testStore(t, func(t *testing.T) Store {
		return newTestRedisStore(t, RedisConfig{Address: addr})
	})
}

func TestRedisStoreKeyPrefix(t *testing.T) {
	addr := testenv.Redis(t)
	s, err := NewRedisStore(RedisConfig{Address: addr}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("NewRedisStore: %v", err)
	}
	defer s.Close()
	mustSet(t, s, "s:abc", []byte("v"), time.Hour)
	raw := redis.NewClient(&redis.Options{Addr: addr})
	defer raw.Close()
	keys, err := raw.Keys(t.Context(), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"keygate:s:abc"}; len(keys) != 1 || keys[0] != want[0] {
		t.Errorf("keys in Redis = %q, want %q", keys, want)
	}
	ttl, err := raw.PTTL(t.Context(), "keygate:s:abc").Result()
	if err != nil || ttl <= 59*time.Minute || ttl > time.Hour {
		t.Errorf("PTTL = %v, %v; want just under 1h", ttl, err)
	}
}

// TestRedisStoreDeployments connects to each kind of deployment the config can
// select and runs a Set and a Take through it.
func TestRedisStoreDeployments(t *testing.T) {
	passwordFile := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(passwordFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		setup func(t *testing.T) RedisConfig
	}{
		{"standalone with password file", func(t *testing.T) RedisConfig {
			return RedisConfig{Address: testenv.Redis(t, "--requirepass", "s3cret"), PasswordFile: passwordFile}
		}},
		{"standalone with username and password, db 3", func(t *testing.T) RedisConfig {
			addr := testenv.Redis(t, "--user", "keygate", "on", ">pw", "~*", "+@all")
			return RedisConfig{Address: addr, Username: "keygate", Password: "pw", DB: 3}
		}},
		{"sentinel", func(t *testing.T) RedisConfig {
			addr, master := testenv.RedisSentinel(t)
			return RedisConfig{Sentinel: SentinelConfig{Master: master, Addresses: []string{addr}}}
		}},
		{"cluster", func(t *testing.T) RedisConfig {
			return RedisConfig{Cluster: ClusterConfig{Addresses: []string{testenv.RedisCluster(t)}}}
		}},
		{"tls", func(t *testing.T) RedisConfig {
			addr, caFile, serverName := testenv.RedisTLS(t)
			return RedisConfig{Address: addr, TLS: TLSConfig{Enabled: true, ServerName: serverName, CAFile: caFile}}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newTestRedisStore(t, tc.setup(t))
			mustSet(t, s, "k", []byte("v"), time.Minute)
			if got, err := s.Take(t.Context(), "k"); err != nil || string(got) != "v" {
				t.Errorf("Take = %q, %v; want \"v\", nil", got, err)
			}
			wantAbsent(t, s, "k")
		})
	}
}

// TestNewRedisStoreFails checks that a store that cannot be used fails at start.
func TestNewRedisStoreFails(t *testing.T) {
	secured := testenv.Redis(t, "--requirepass", "s3cret")
	tlsAddr, caFile, _ := testenv.RedisTLS(t)
	tests := []struct {
		name string
		cfg  RedisConfig
		want string
	}{
		{"nothing configured", RedisConfig{}, "no redis address"},
		{"invalid config", RedisConfig{Address: "nowhere"}, "session.redis.address"},
		{"wrong password", RedisConfig{Address: secured, Password: "wrong"}, "connecting to redis"},
		{"no password", RedisConfig{Address: secured}, "connecting to redis"},
		{"certificate for another name", RedisConfig{Address: tlsAddr, TLS: TLSConfig{Enabled: true, CAFile: caFile}}, "certificate"},
		{"untrusted certificate", RedisConfig{Address: tlsAddr, TLS: TLSConfig{Enabled: true, ServerName: "redis.keygate.test"}}, "certificate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := NewRedisStore(tc.cfg, slog.New(slog.DiscardHandler))
			if err == nil {
				s.Close()
				t.Fatalf("NewRedisStore: got no error, want one containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewRedisStore error = %q, want it to contain %q", err, tc.want)
			}
		})
	}
}
