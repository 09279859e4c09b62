package ui

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// readyTimeout bounds each store's answer to a readiness check.
const readyTimeout = 2 * time.Second

// pinger is a store the readiness check asks: *store.Store, *session.Manager.
type pinger interface {
	Ping(ctx context.Context) error
}

// probe is one store the portal needs, by the name the readiness answer gives it.
type probe struct {
	name string
	ping pinger
}

// readiness answers GET /api/ready: whether every store answers now. Health
// (GET /api/health) only says that the process serves.
type readiness struct {
	probes []probe
	logger *slog.Logger
}

// readyAnswer is the answer to GET /api/ready. Failed names the stores that
// did not answer; the causes go to the log, not to the client.
type readyAnswer struct {
	Status string   `json:"status"`
	Failed []string `json:"failed,omitempty"`
}

// ready pings every store, each within readyTimeout, and answers 200 when all
// answered, 503 naming those that did not otherwise.
func (r *readiness) ready(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), readyTimeout)
	defer cancel()
	var failed []string
	for _, p := range r.probes {
		if err := p.ping.Ping(ctx); err != nil {
			r.logger.Warn("not ready: a store does not answer", "store", p.name, "err", err)
			failed = append(failed, p.name)
		}
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	if len(failed) > 0 {
		return c.JSON(http.StatusServiceUnavailable, readyAnswer{Status: "unready", Failed: failed})
	}
	return c.JSON(http.StatusOK, readyAnswer{Status: "ready"})
}
