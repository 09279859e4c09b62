package session

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/testenv"
)

func TestRedisLogLinesBecomeSlogRecords(t *testing.T) {
	var out bytes.Buffer
	l := redisLogger{slog.New(slog.NewJSONHandler(&out, nil)).With("component", "session.redis")}
	l.Printf(context.Background(), "redis: %s failed: %v", "dial", "connection refused")
	var rec map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(out.Bytes()), &rec); err != nil {
		t.Fatalf("got %q, want one JSON record: %v", out.String(), err)
	}
	if rec["level"] != "WARN" || rec["component"] != "session.redis" || !strings.Contains(rec["msg"].(string), "dial failed: connection refused") {
		t.Errorf("got %v, want a warning of session.redis with go-redis's message", rec)
	}
}

// TestCountSessions: both stores count live session keys only, not
// activity stamps, ceremony state or expired records.
func TestCountSessions(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	clock := func() time.Time { return now }
	stores := map[string]Store{
		"bolt":  newTestBoltStore(t, openBolt(t), clock),
		"redis": newTestRedisStore(t, RedisConfig{Address: testenv.Redis(t)}),
	}
	for name, s := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			for key, ttl := range map[string]time.Duration{
				sessionPrefix + "a": time.Hour, sessionPrefix + "b": time.Hour,
				activityPrefix + "a": time.Hour, statePrefix + "x": time.Hour,
			} {
				if err := s.Set(ctx, key, []byte("v"), ttl); err != nil {
					t.Fatal(err)
				}
			}
			if name == "bolt" { // a record past its expiry, not yet swept
				if err := s.Set(ctx, sessionPrefix+"old", []byte("v"), time.Second); err != nil {
					t.Fatal(err)
				}
				now = now.Add(2 * time.Second)
			}
			n, err := s.(counter).CountSessions(ctx)
			if err != nil || n != 2 {
				t.Errorf("CountSessions = %d, %v; want 2", n, err)
			}
			if err := s.(pinger).Ping(ctx); err != nil {
				t.Errorf("Ping = %v, want nil", err)
			}
		})
	}
}
