package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"

	"github.com/labstack/echo/v4"

	"github.com/keygate/keygate/authz"
	"github.com/keygate/keygate/config"
	"github.com/keygate/keygate/directory"
	"github.com/keygate/keygate/ui"
)

// newLogger builds the one logger every component gets a child of.
func newLogger(cfg config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Level)) // validated by config; zero value is info
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// newEcho returns the HTTP router with Keygate's error rendering and a client-IP
// extractor that believes X-Forwarded-For only from the trusted proxies.
func newEcho(trusted authz.Config, logger *slog.Logger) (*echo.Echo, error) {
	prefixes, err := trusted.Prefixes()
	if err != nil {
		return nil, err
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	opts := []echo.TrustOption{
		echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false),
	}
	for _, p := range prefixes {
		opts = append(opts, echo.TrustIPRange(&net.IPNet{
			IP:   p.Addr().AsSlice(),
			Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen()),
		}))
	}
	e.IPExtractor = echo.ExtractIPFromXFFHeader(opts...)
	e.HTTPErrorHandler = ui.ErrorHandler(logger)
	e.Use(ui.Recover(logger))
	routeEchoLogs(e, logger)
	return e, nil
}

// directoryUsers shows authz the users file as it is now, so that a removed or
// disabled user loses access at once and group changes apply to live sessions.
type directoryUsers struct{ dir *directory.Directory }

var _ authz.Users = directoryUsers{}

// Identity returns the user's current identity, or false when removed or disabled.
func (u directoryUsers) Identity(username string) (authz.Identity, bool) {
	user, ok := u.dir.Lookup(username)
	if !ok || user.Disabled {
		return authz.Identity{}, false
	}
	return authz.Identity{DisplayName: user.DisplayName, Email: user.Email, Groups: user.Groups}, true
}

// sessionEnder ends every session of a user: *session.Manager.
type sessionEnder interface {
	EndUser(ctx context.Context, username string) (int, error)
}

// endSessions is the directory's OnRevoke function: the sessions of users
// disabled or removed from the users file are deleted, not only refused, so
// that enabling a user again revives none of them.
func endSessions(sessions sessionEnder) directory.RevokeFunc {
	return func(ctx context.Context, usernames []string) error {
		var errs []error
		for _, u := range usernames {
			if _, err := sessions.EndUser(ctx, u); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
}
