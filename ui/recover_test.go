package ui

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

func TestRecover(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	e := echo.New()
	e.HTTPErrorHandler = ErrorHandler(logger)
	e.Use(Recover(logger))
	e.GET("/api/authz/forward-auth", func(echo.Context) error { panic("invalid page type") })
	e.GET("/api/fine", func(c echo.Context) error { return c.String(http.StatusOK, "fine") })

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/authz/forward-auth", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status after a panic = %d, want 500", rec.Code)
	}
	var body errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error != codeInternal {
		t.Errorf("body after a panic = %q (%v), want error %q", rec.Body.String(), err, codeInternal)
	}
	if !strings.Contains(logs.String(), "invalid page type") || !strings.Contains(logs.String(), "handler panicked") {
		t.Errorf("log = %q, want the panic logged", logs.String())
	}
	if strings.Contains(rec.Body.String(), "invalid page type") {
		t.Errorf("body = %q shows the panic", rec.Body.String())
	}

	rec = httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/fine", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("status of a later request = %d, want 200", rec.Code)
	}
}
