package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/keygate/keygate/internal/metrics"
	"github.com/keygate/keygate/internal/testenv"
	"github.com/keygate/keygate/session"
)

// TestMetricsKeepTheStoresFeatures checks that counting a session store's
// failures for the metrics takes nothing from what the session manager finds
// in the store: on Redis, regulation, the codes-sent window and the replay
// guard shared by every replica; on both, listing every session.
func TestMetricsKeepTheStoresFeatures(t *testing.T) {
	cfg := session.Config{Domain: "example.com", PortalURL: "https://auth.example.com"}
	m := metrics.New(metrics.Build{Version: "test"})
	redisStore, err := session.NewRedisStore(session.RedisConfig{Address: testenv.Redis(t)}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	db, err := bbolt.Open(filepath.Join(t.TempDir(), "k.db"), 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	boltStore, err := session.NewBoltStore(db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	for name, store := range map[string]session.Store{"redis": redisStore, "bolt": boltStore} {
		observeStore(store, m, name)
		sessions, err := session.NewManager(cfg, store, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sessions.Close() })
		if _, err := sessions.AllSessions(context.Background()); err != nil {
			t.Errorf("%s with metrics: listing sessions: %v", name, err)
		}
		if name != "redis" {
			continue
		}
		if _, ok := sessions.SharedAttempts(); !ok {
			t.Error("redis with metrics: regulation is not shared by the replicas")
		}
		if _, ok := sessions.SharedOnce(); !ok {
			t.Error("redis with metrics: the replay guard is not shared by the replicas")
		}
		if _, ok := sessions.SharedWindow(); !ok {
			t.Error("redis with metrics: the codes-sent window is not shared by the replicas")
		}
	}
}

// TestStoreFailuresCounted checks that a failing session store call is
// counted, and a missing key is not.
func TestStoreFailuresCounted(t *testing.T) {
	m := metrics.New(metrics.Build{Version: "test"})
	addr := testenv.Redis(t)
	store, err := session.NewRedisStore(session.RedisConfig{Address: addr}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	observeStore(store, m, "sessions-redis")
	if _, err := store.Get(context.Background(), "s:missing"); !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("Get of a missing key: %v, want ErrNotFound", err)
	}
	if got := storeErrors(t, m); got != 0 {
		t.Errorf("store errors after a missing key = %v, want 0", got)
	}
	if err := store.Set(context.Background(), "s:x", []byte("v"), -time.Second); err == nil {
		t.Fatal("Set with a negative ttl: no error")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	_ = store.Set(ctx, "s:x", []byte("v"), time.Minute) // the deadline has passed: a failure
	if got := storeErrors(t, m); got < 1 {
		t.Errorf("store errors after a call past its deadline = %v, want at least 1", got)
	}
}

// storeErrors scrapes the session store's error count.
func storeErrors(t *testing.T, m *metrics.Metrics) float64 {
	t.Helper()
	w := httptest.NewRecorder()
	m.Handler(nil).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, line := range strings.Split(w.Body.String(), "\n") {
		if v, ok := strings.CutPrefix(line, `keygate_store_errors_total{store="sessions-redis"} `); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}
