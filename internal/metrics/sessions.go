package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// SessionCountTTL is how long a count of the active sessions is reused.
const SessionCountTTL = 30 * time.Second

// sessionCountTimeout bounds one count, so a slow store cannot hold a scrape.
const sessionCountTimeout = 2 * time.Second

// SessionCounter counts the login sessions that have not expired.
type SessionCounter func(ctx context.Context) (int, error)

// CountSessions adds keygate_active_sessions, counted by count on scrape at
// most once per SessionCountTTL. A failed count keeps the last value and is
// counted as a store error of store.
func (m *Metrics) CountSessions(count SessionCounter, store string) {
	m.sessions = &sessionGauge{
		count: count, ttl: SessionCountTTL, now: time.Now,
		failed: func() { m.StoreError(store) },
		desc: prometheus.NewDesc(namespace+"_active_sessions",
			"Login sessions that have not expired, counted at most every 30s.", nil, nil),
	}
	m.registry.MustRegister(m.sessions)
}

// sessionGauge is a collector that caches its count.
type sessionGauge struct {
	count  SessionCounter
	ttl    time.Duration
	now    func() time.Time
	failed func()
	desc   *prometheus.Desc

	mu    sync.Mutex
	at    time.Time
	value int
}

func (g *sessionGauge) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

func (g *sessionGauge) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, float64(g.current()))
}

// current returns the cached count, counting again once it is older than ttl.
func (g *sessionGauge) current() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	if !g.at.IsZero() && now.Sub(g.at) < g.ttl {
		return g.value
	}
	ctx, cancel := context.WithTimeout(context.Background(), sessionCountTimeout)
	defer cancel()
	n, err := g.count(ctx)
	g.at = now
	if err != nil {
		g.failed()
		return g.value
	}
	g.value = n
	return n
}
