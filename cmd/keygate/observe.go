package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/keygate/keygate/authz"
	"github.com/keygate/keygate/config"
	"github.com/keygate/keygate/internal/metrics"
	"github.com/keygate/keygate/session"
	"github.com/keygate/keygate/ui"
)

// newMetrics returns the daemon's metrics, or nil when server.metrics_address is empty.
func newMetrics(cfg config.Server) *metrics.Metrics {
	if cfg.MetricsAddress == "" {
		return nil
	}
	info, _ := debug.ReadBuildInfo()
	return metrics.New(metrics.Build{Version: versionString(), Info: info})
}

// instrument hands the metrics to the components that record into them, and
// counts the active sessions on scrape. Without metrics it does nothing.
func (a *app) instrument(gate *authz.Handler, deps *ui.Deps, sessionStore string) {
	if a.metrics == nil {
		return
	}
	gate.UseMetrics(a.metrics)
	deps.Metrics = a.metrics
	a.store.ObserveFailures(func() { a.metrics.StoreError("credentials") })
	a.metrics.CountSessions(a.sessions.CountSessions, sessionStore)
}

// sessionStoreName names the session store in metrics.
func sessionStoreName(cfg session.Config) string {
	if cfg.Redis.Enabled() {
		return "sessions-redis"
	}
	return "sessions-bolt"
}

// failureObserver is a session store that counts its own failures: both are.
type failureObserver interface{ ObserveFailures(failed func()) }

// observeStore has the session store s count its failures in m under name;
// without metrics it does nothing. The store is observed, not wrapped: a
// wrapper would hide from the session manager what the store offers (shared
// regulation and replay guard on Redis, listing sessions, the vouched cache).
func observeStore(s session.Store, m *metrics.Metrics, name string) {
	if m == nil {
		return
	}
	if o, ok := s.(failureObserver); ok {
		o.ObserveFailures(func() { m.StoreError(name) })
	}
}

// serveMetrics serves GET /metrics, and nothing else, on addr until ctx ends
// or stop is called. Without metrics it does nothing.
func serveMetrics(ctx context.Context, addr string, m *metrics.Metrics, logger *slog.Logger) (stop func(), err error) {
	if m == nil {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on server.metrics_address %s: %w", addr, err)
	}
	errorLog := slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler(errorLog))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second, ErrorLog: errorLog}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics server stopped", "err", err)
		}
	}()
	logger.Info("serving metrics", "address", ln.Addr().String(), "path", "/metrics")
	stopped := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			_ = srv.Close()
		case <-stopped:
		}
	}()
	return func() { close(stopped); _ = srv.Close() }, nil
}
