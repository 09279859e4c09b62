package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/keygate/keygate/authz"
	"github.com/keygate/keygate/config"
	"github.com/keygate/keygate/directory"
	"github.com/keygate/keygate/internal/metrics"
	"github.com/keygate/keygate/notify"
	"github.com/keygate/keygate/policy"
	"github.com/keygate/keygate/session"
	"github.com/keygate/keygate/store"
	"github.com/keygate/keygate/ui"
	"github.com/keygate/keygate/webauthn"
)

// shutdownGrace is how long the requests in flight at a signal may take to
// finish; a queue of sign-ins, each hashing a password, needs seconds.
const shutdownGrace = 25 * time.Second

// serve runs the daemon until ctx is cancelled.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, path := adminFlags("serve", stderr)
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return errUsage
	}
	cfg, err := loadConfig(*path, stderr)
	if err != nil {
		return err
	}
	logger := newLogger(cfg.Log, stderr)
	session.RouteRedisLogs(logger) // go-redis's logger is process-wide: set once, here
	var demoLn net.Listener
	var demoAt string
	if cfg.File == "" {
		demoLn, demoAt = openDemo(cfg, logger)
	}
	if demoLn != nil {
		defer demoLn.Close() // when serving never starts
	}
	app, err := build(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer app.close()

	if err := firstRun(ctx, cfg, app, stdout); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Server.Address)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.Server.Address, err)
	}
	adminStop, err := serveAdmin(ctx, adminSocketPath(cfg), app.admin, logger)
	if err != nil {
		ln.Close()
		return err
	}
	defer adminStop()
	metricsStop, err := serveMetrics(ctx, cfg.Server.MetricsAddress, app.metrics, logger)
	if err != nil {
		ln.Close()
		return err
	}
	defer metricsStop()

	logger.Info("keygate listening", "address", ln.Addr().String(), "portal", app.portal)
	if demoLn != nil {
		stopDemo := serveDemo(ctx, demoLn, newDemoApp(ln.Addr(), app.portal, logger.With("component", "example-app")))
		defer stopDemo()
		fmt.Fprintf(stdout, "Example app protected by Keygate: %s\n", demoAt)
	}
	return serveHTTP(ctx, ln, app.handler, app.drain, logger)
}

// serveHTTP serves handler on ln until ctx is done, then shuts down without
// dropping a request: it refuses (503) every request that begins from then on,
// accepts and refuses the connections already queued, stops listening, lets the
// requests in flight finish within shutdownGrace and closes connections that
// never sent one at once. drain, when not nil, is called as the shutdown
// begins, so that work still waiting for its turn is refused rather than held.
func serveHTTP(ctx context.Context, ln net.Listener, handler http.Handler, drain func(), logger *slog.Logger) error {
	refusing := &refuser{next: handler}
	srv := &http.Server{
		Handler:           refusing,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	fresh := newFreshConns()
	srv.ConnState = fresh.track
	srv.RegisterOnShutdown(fresh.closeAll) // runs once the listener is closed
	var draining *drainListener
	if tl, ok := ln.(*net.TCPListener); ok {
		draining = &drainListener{TCPListener: tl}
		ln = draining
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down: refusing new requests, finishing those in flight", "grace", shutdownGrace)
	refusing.refuse()
	if drain != nil {
		drain()
	}
	if draining != nil {
		draining.drain()
		if err := <-errc; !errors.Is(err, errDrained) {
			logger.Warn("serving ended while draining", "err", err)
		}
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutting down: requests still running after %v: %w", shutdownGrace, err)
	}
	logger.Info("shut down")
	return nil
}

// app is the wired daemon: every component, built once.
type app struct {
	echo     *echo.Echo
	handler  http.Handler // the proxies' checks, then echo
	portal   string
	drain    func() // refuses the sign-ins still waiting, at shutdown
	store    *store.Store
	sessions *session.Manager
	users    *directory.Directory
	admin    *localAdmin
	metrics  *metrics.Metrics // nil: metrics off
	// usersCreated reports that this start created the default users file.
	usersCreated bool
	closers      []func() error
}

func (a *app) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		_ = a.closers[i]()
	}
}

// build constructs every component from its own section of cfg.
func build(ctx context.Context, cfg *config.Config, logger *slog.Logger) (_ *app, err error) {
	a := &app{metrics: newMetrics(cfg.Server)}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	if err := a.openStores(ctx, cfg, logger); err != nil {
		return nil, err
	}
	go pruneAuditLoop(ctx, a.store, cfg.Audit.RetentionOrDefault(), logger.With("component", "audit"))
	engine, err := policy.New(cfg.AccessControl)
	if err != nil {
		return nil, err
	}
	if a.users, err = directory.New(cfg.Users, logger); err != nil {
		return nil, err
	}
	a.users.OnRevoke(ctx, endSessions(a.sessions))
	go a.users.Watch(ctx)
	gate, err := authz.New(cfg.Authz(), a.sessions, engine, directoryUsers{a.users}, logger)
	if err != nil {
		return nil, err
	}
	reg := cfg.Regulation
	gate.EnableTokens(a.store, authz.Regulation{MaxFailures: reg.MaxFailures, Window: reg.Window, Ban: reg.Ban}, tokenAudit{a.store})
	notifier, err := notify.New(cfg.Notifier, logger)
	if err != nil {
		return nil, err
	}
	rp, err := webauthn.New(cfg.WebAuthn, a.store, logger)
	if err != nil {
		return nil, err
	}
	if once, ok := a.sessions.SharedOnce(); ok {
		rp.ShareReplayGuard(once) // replicas refuse a challenge any of them has seen
	}
	deps := ui.Deps{Sessions: a.sessions, Users: a.users, Notifier: notifier, RP: rp, Store: a.store}
	a.instrument(gate, &deps, sessionStoreName(cfg.Session))
	portal, err := ui.New(cfg.UI(), deps, logger)
	if err != nil {
		return nil, err
	}
	primary := a.sessions.Domains()[0].PortalURL
	a.portal = primary.String()
	a.admin = &localAdmin{store: a.store, users: a.users, portal: primary, localSessions: localSessions{a.sessions}}
	a.echo, err = newEcho(cfg.Authz(), logger)
	if err != nil {
		return nil, err
	}
	gate.Register(a.echo)
	portal.Register(a.echo)
	a.handler = gate.Route(a.echo)
	a.drain = portal.Drain
	return a, nil
}

// openStores creates the default users file when it is missing, opens the
// store (the bbolt file or PostgreSQL) and builds the session manager on the
// store's file (or on Redis). What it opened is closed by a.close.
func (a *app) openStores(ctx context.Context, cfg *config.Config, logger *slog.Logger) error {
	var err error
	if a.usersCreated, err = directory.CreateDefault(cfg.Users.Path()); err != nil {
		return fmt.Errorf("creating default users file: %w", err)
	}
	if a.store, err = store.Open(ctx, cfg.Storage, logger); err != nil {
		return err
	}
	a.closers = append(a.closers, a.store.Close)
	sessionStore, err := newSessionStore(cfg.Session, a.store, logger)
	if err != nil {
		return err
	}
	observeStore(sessionStore, a.metrics, sessionStoreName(cfg.Session))
	a.closers = append(a.closers, sessionStore.Close)
	a.sessions, err = session.NewManager(cfg.Session, sessionStore, logger)
	return err
}

// newSessionStore picks Redis when it is configured and the embedded store,
// in the store's bbolt file, otherwise. Config refuses PostgreSQL storage
// without Redis, so the file is there when it is needed.
func newSessionStore(cfg session.Config, st *store.Store, logger *slog.Logger) (session.Store, error) {
	if cfg.Redis.Enabled() {
		return session.NewRedisStore(cfg.Redis, logger)
	}
	file, ok := st.File()
	if !ok {
		return nil, errEmbeddedSessionsNeedFile
	}
	return session.NewBoltStore(file, logger)
}
