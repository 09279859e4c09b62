package main

import (
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/labstack/echo/v4"

	"github.com/keygate/keygate/config"
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
func newEcho(trusted []string, logger *slog.Logger) (*echo.Echo, error) {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	opts := []echo.TrustOption{
		echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false),
	}
	for _, cidr := range trusted {
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			return nil, fmt.Errorf("server.trusted_proxies: %q: %w", cidr, err)
		}
		opts = append(opts, echo.TrustIPRange(n))
	}
	e.IPExtractor = echo.ExtractIPFromXFFHeader(opts...)
	e.HTTPErrorHandler = ui.ErrorHandler(logger)
	return e, nil
}
