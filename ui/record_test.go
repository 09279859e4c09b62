package ui

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// fakeMetrics counts what the portal records, by "kind/label/label".
type fakeMetrics struct {
	mu     sync.Mutex
	counts map[string]int
}

func (m *fakeMetrics) add(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.counts[key]++
}

func (m *fakeMetrics) SignIn(method, result string) { m.add("sign_in/" + method + "/" + result) }
func (m *fakeMetrics) Ceremony(kind, result string) { m.add("ceremony/" + kind + "/" + result) }
func (m *fakeMetrics) Banned(scope string)          { m.add("ban/" + scope) }
func (m *fakeMetrics) CodeSent(result string)       { m.add("code/" + result) }
func (m *fakeMetrics) count(key string) int         { m.mu.Lock(); defer m.mu.Unlock(); return m.counts[key] }
func (m *fakeMetrics) snapshot() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return clone(m.counts)
}
func clone(in map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range in {
		out[k] = v
	}
	return out
}

// auditOf returns the actions recorded for user as "action/method/result".
func auditOf(t *testing.T, p *portal, user string) []string {
	t.Helper()
	events, err := p.store.AuditEvents(context.Background(), user, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range events {
		if e.UserAgent == "" || e.IP == "" {
			t.Errorf("event %+v lacks the client's address or user agent", e)
		}
		out = append(out, e.Action+"/"+e.Method+"/"+e.Result)
	}
	return out
}

// TestPasswordSignInsAreRecorded: every password sign-in of a known user goes
// to the audit trail with its result and to metrics; one of an unknown name
// goes to metrics only; the failure that starts a ban counts a ban.
func TestPasswordSignInsAreRecorded(t *testing.T) {
	p := newPortal(t, testConfig(), nil)
	stranger, b := p.browser(t), p.browser(t)
	stranger.ip, b.ip = "198.51.100.1", "198.51.100.2"
	wrong := func(b *browser, user string) {
		b.post("/api/login/password", map[string]any{"username": user, "password": "wrong"}).want(t, http.StatusUnauthorized, codeInvalidCredentials)
	}
	wrong(stranger, "nobody")
	wrong(b, "alice")
	b.password("alice")
	wrong(b, "alice")
	wrong(b, "alice") // the address's third failure within the window starts a ban
	wrong(b, "alice") // refused by the ban

	got := strings.Join(auditOf(t, p, "alice"), " ")
	want := "sign_in_failed/password/failure sign_in/password/success sign_in_failed/password/failure " +
		"sign_in_failed/password/failure banned//user sign_in_failed/password/banned"
	if got != want {
		t.Errorf("audit of alice = %s\nwant %s", got, want)
	}
	if all, _ := p.store.AuditEvents(context.Background(), "nobody", 0); len(all) != 0 {
		t.Errorf("a sign-in of a name nobody has was audited: %+v", all)
	}
	for key, n := range map[string]int{
		"sign_in/password/failure": 4, "sign_in/password/success": 1, "sign_in/password/banned": 1, "ban/user": 1,
	} {
		if got := p.metrics.count(key); got != n {
			t.Errorf("metric %s = %d, want %d (all: %v)", key, got, n, p.metrics.snapshot())
		}
	}
}

// TestReadyAnswersWhenStoresAnswer: with every store up, /api/ready is 200.
func TestReadyAnswersWhenStoresAnswer(t *testing.T) {
	p := newPortal(t, testConfig(), nil)
	r := p.browser(t).send(http.MethodGet, "/api/ready", "")
	if r.status != http.StatusOK || strings.TrimSpace(string(r.body)) != `{"status":"ready"}` {
		t.Errorf("GET /api/ready = %d %s, want 200 ready", r.status, r.body)
	}
}
