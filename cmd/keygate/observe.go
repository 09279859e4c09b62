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

// observedStore counts the failures of a session store; a missing key is not one.
type observedStore struct {
	session.Store
	failed func()
}

// observeStore wraps s to count its failures in m; without metrics it returns s.
func observeStore(s session.Store, m *metrics.Metrics, name string) session.Store {
	if m == nil {
		return s
	}
	return &observedStore{Store: s, failed: func() { m.StoreError(name) }}
}

func (o *observedStore) Get(ctx context.Context, key string) ([]byte, error) {
	v, err := o.Store.Get(ctx, key)
	return v, o.count(err)
}

func (o *observedStore) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	return o.count(o.Store.Set(ctx, key, value, ttl))
}

func (o *observedStore) Delete(ctx context.Context, key string) error {
	return o.count(o.Store.Delete(ctx, key))
}

func (o *observedStore) Take(ctx context.Context, key string) ([]byte, error) {
	v, err := o.Store.Take(ctx, key)
	return v, o.count(err)
}

// Ping and CountSessions pass through, so that the manager still observes the store.
func (o *observedStore) Ping(ctx context.Context) error {
	p, ok := o.Store.(interface{ Ping(context.Context) error })
	if !ok {
		return session.ErrNotObservable
	}
	return p.Ping(ctx)
}

func (o *observedStore) CountSessions(ctx context.Context) (int, error) {
	c, ok := o.Store.(interface {
		CountSessions(context.Context) (int, error)
	})
	if !ok {
		return 0, session.ErrNotObservable
	}
	return c.CountSessions(ctx)
}

func (o *observedStore) count(err error) error {
	if err != nil && !errors.Is(err, session.ErrNotFound) && !errors.Is(err, context.Canceled) {
		o.failed()
	}
	return err
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
