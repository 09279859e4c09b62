package authz

import (
	"net/http"
	"testing"

	"github.com/keygate/keygate/internal/metrics"
)

// BenchmarkForwardAuthRealManagerMetrics is BenchmarkForwardAuthRealManager
// with the daemon's Prometheus metrics on: the figures to compare.
func BenchmarkForwardAuthRealManagerMetrics(b *testing.B) {
	run := realHotPathMetrics(b, metrics.New(metrics.Build{Version: "bench"}))
	if status := run(); status != http.StatusOK {
		b.Fatalf("got status %d, want 200", status)
	}
	b.ReportAllocs()
	for b.Loop() {
		run()
	}
}

// TestForwardAuthMetricsAllocs holds the metrics to the allocation budget of
// the check without them.
func TestForwardAuthMetricsAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own: counts are not the program's")
	}
	run := realHotPathMetrics(t, metrics.New(metrics.Build{Version: "test"}))
	if status := run(); status != http.StatusOK {
		t.Fatalf("got status %d, want 200", status)
	}
	allocs := testing.AllocsPerRun(1000, func() { run() })
	if allocs > realAllocBudget {
		t.Errorf("got %.0f allocations per check with metrics, want at most %d", allocs, realAllocBudget)
	}
}
