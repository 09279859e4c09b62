package metrics

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// scrape returns the exposition text of m.
func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler(nil).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestSeriesAppearWithTheirLabels(t *testing.T) {
	m := New(Build{Version: "v1.2.3"})
	m.Answered("forward-auth", "allow", 2, time.Millisecond)
	m.Answered("forward-auth", "allow", 2, time.Millisecond)
	m.Answered("auth-request", "deny", -1, time.Millisecond)
	m.Answered("forward-auth", "untrusted_peer", -2, time.Millisecond)
	m.SignIn("password", "success")
	m.Ceremony("registration", "success")
	m.Banned("user")
	m.CodeSent("sent")
	m.StoreError("sessions-redis")
	got := scrape(t, m)
	for _, want := range []string{
		`keygate_authz_answers_total{endpoint="forward-auth",result="allow",rule="2"} 2`,
		`keygate_authz_answers_total{endpoint="auth-request",result="deny",rule="default"} 1`,
		`keygate_authz_answers_total{endpoint="forward-auth",result="untrusted_peer",rule="none"} 1`,
		`keygate_authz_duration_seconds_count{endpoint="forward-auth"} 3`,
		`keygate_sign_ins_total{method="password",result="success"} 1`,
		`keygate_ceremonies_total{ceremony="registration",result="success"} 1`,
		`keygate_bans_total{scope="user"} 1`,
		`keygate_codes_sent_total{result="sent"} 1`,
		`keygate_store_errors_total{store="sessions-redis"} 1`,
		`version="v1.2.3"`,
		`go_goroutines`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
}

func TestSessionGaugeCountsOncePerTTL(t *testing.T) {
	m := New(Build{})
	calls, fail := 0, false
	m.CountSessions(func(context.Context) (int, error) {
		calls++
		if fail {
			return 0, errors.New("down")
		}
		return 7, nil
	}, "sessions-bolt")
	g := m.sessionGauge(t)
	now := time.Unix(1000, 0)
	g.now = func() time.Time { return now }
	for range 3 {
		if got := g.current(); got != 7 {
			t.Fatalf("got %d sessions, want 7", got)
		}
	}
	if calls != 1 {
		t.Errorf("got %d counts for three scrapes within the TTL, want 1", calls)
	}
	now, fail = now.Add(SessionCountTTL), true
	if got := g.current(); got != 7 {
		t.Errorf("got %d after a failed count, want the last value 7", got)
	}
	if got := scrape(t, m); !strings.Contains(got, `keygate_store_errors_total{store="sessions-bolt"} 1`) {
		t.Errorf("a failed count is not a store error:\n%s", got)
	}
}

// sessionGauge finds the collector CountSessions registered.
func (m *Metrics) sessionGauge(t *testing.T) *sessionGauge {
	t.Helper()
	if m.sessions == nil {
		t.Fatal("no session gauge registered")
	}
	return m.sessions
}

func BenchmarkAnswered(b *testing.B) {
	m := New(Build{})
	b.ReportAllocs()
	for b.Loop() {
		m.Answered("forward-auth", "allow", 3, 5*time.Microsecond)
	}
}
