package main

import (
	"bytes"
	"log/slog"

	"github.com/labstack/echo/v4"
)

// routeEchoLogs sends the lines echo writes on its own logger (it rarely does:
// Keygate renders errors and serves itself) to logger at warn level, one
// record per line, instead of echo's own JSON on stdout.
func routeEchoLogs(e *echo.Echo, logger *slog.Logger) {
	e.Logger.SetHeader("${level} ${short_file}:${line}")
	e.Logger.SetOutput(lineWriter{logger: logger.With("component", "echo")})
}

// lineWriter logs each line written to it as one slog record.
type lineWriter struct{ logger *slog.Logger }

func (w lineWriter) Write(p []byte) (int, error) {
	for line := range bytes.Lines(p) {
		if line = bytes.TrimSpace(line); len(line) > 0 {
			w.logger.Warn(string(line))
		}
	}
	return len(p), nil
}
