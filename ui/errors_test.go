package ui

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/labstack/echo/v4"

	"github.com/keygate/keygate/store"
)

func TestAPIErrors(t *testing.T) {
	login := "/api/login/password"
	valid := `{"username":"alice","password":"alice-password"}`
	tests := []struct {
		name       string
		req        *http.Request
		wantStatus int
		wantCode   string
	}{
		{"not JSON", request(http.MethodPost, login, `{"username":`), 400, "invalid_request"},
		{"JSON array", request(http.MethodPost, login, `[]`), 400, "invalid_request"},
		{"wrong field type", request(http.MethodPost, login, `{"username":1,"password":"x"}`), 400, "invalid_request"},
		{"unknown field", request(http.MethodPost, login, `{"username":"alice","password":"x","admin":true}`), 400, "invalid_request"},
		{"trailing data", request(http.MethodPost, login, valid+`{}`), 400, "invalid_request"},
		{"missing password", request(http.MethodPost, login, `{"username":"alice"}`), 400, "invalid_request"},
		{"missing username", request(http.MethodPost, login, `{"password":"x"}`), 400, "invalid_request"},
		{"empty object", request(http.MethodPost, login, `{}`), 400, "invalid_request"},
		{"no body", request(http.MethodPost, login, ""), 400, "invalid_request"},
		{"long username", request(http.MethodPost, login, `{"username":"`+strings.Repeat("a", 300)+`","password":"x"}`), 400, "invalid_request"},
		{"form body", request(http.MethodPost, login, "username=alice&password=x",
			withHeader("Content-Type", "application/x-www-form-urlencoded")), 415, "unsupported_media_type"},
		{"no content type", request(http.MethodPost, login, valid, withHeader("Content-Type", "")), 415, "unsupported_media_type"},
		{"text/plain", request(http.MethodPost, login, valid, withHeader("Content-Type", "text/plain")), 415, "unsupported_media_type"},
		{"no Origin", request(http.MethodPost, login, valid, withHeader("Origin", "")), 403, "origin_mismatch"},
		{"null Origin", request(http.MethodPost, login, valid, withHeader("Origin", "null")), 403, "origin_mismatch"},
		{"other Origin", request(http.MethodPost, login, valid, withHeader("Origin", "https://evil.com")), 403, "origin_mismatch"},
		{"sibling Origin", request(http.MethodPost, login, valid, withHeader("Origin", "https://app.example.com")), 403, "origin_mismatch"},
		{"http Origin", request(http.MethodPost, login, valid, withHeader("Origin", "http://auth.example.com")), 403, "origin_mismatch"},
		{"other domain's portal", request(http.MethodPost, login, valid, withHeader("Origin", "https://login.example.org:8443")), 403, "origin_mismatch"},
		{"unknown host", request(http.MethodPost, login, valid, func(r *http.Request) { r.Host = "evil.com" }), 403, "origin_mismatch"},
		{"logout without Origin", request(http.MethodPost, "/api/logout", "", withHeader("Origin", "")), 403, "origin_mismatch"},
		{"too large", request(http.MethodPost, login, `{"username":"alice","password":"`+strings.Repeat("x", maxBodyBytes)+`"}`), 413, "request_too_large"},
		{"too large, unknown length", request(http.MethodPost, login, `{"username":"alice","password":"`+strings.Repeat("x", maxBodyBytes)+`"}`,
			func(r *http.Request) { r.ContentLength = -1 }), 413, "request_too_large"},
		{"unknown API route", request(http.MethodGet, "/api/missing", ""), 404, "not_found"},
		{"wrong method", request(http.MethodPut, "/api/session", `{}`), 405, "method_not_allowed"},
		{"GET on a POST route", request(http.MethodGet, login, ""), 405, "method_not_allowed"},
	}
	te := newTestEnv(t, testConfig())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := te.do(tt.req)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if got := rec.Header().Get("Content-Type"); !strings.HasPrefix(got, "application/json") {
				t.Errorf("Content-Type = %q, want application/json", got)
			}
			got := decode(t, rec)
			if got["error"] != tt.wantCode {
				t.Errorf("error = %v, want %s", got["error"], tt.wantCode)
			}
			if msg, _ := got["message"].(string); msg == "" || len(got) != 2 {
				t.Errorf("body = %v, want exactly error and a non-empty message", got)
			}
		})
	}
	if n := te.users.calls.Load(); n != 0 {
		t.Errorf("refused requests made %d password checks, want 0", n)
	}
}

func TestErrorHandler(t *testing.T) {
	cause := errors.New("bolt: database not open at /secret/path")
	tests := []struct {
		name       string
		path       string
		method     string
		err        error
		wantStatus int
		wantBody   string // JSON body, or a substring of the HTML page
	}{
		{"portal error with cause", "/api/x", http.MethodPost,
			&Error{Status: 409, Code: "conflict", Message: "Already done.", Err: cause}, 409,
			`{"error":"conflict","message":"Already done."}`},
		{"wrapped portal error", "/api/x", http.MethodGet,
			fmt.Errorf("outer: %w", &Error{Status: 422, Code: "bad_thing", Message: "Bad thing."}), 422,
			`{"error":"bad_thing","message":"Bad thing."}`},
		{"plain error", "/api/x", http.MethodGet, cause, 500,
			`{"error":"internal_error","message":"Something went wrong. Please try again."}`},
		{"echo error with internal", "/api/x", http.MethodGet,
			echo.NewHTTPError(http.StatusBadRequest, "code=400, message=Syntax error: offset=3").SetInternal(cause), 400,
			`{"error":"invalid_request","message":"Bad Request."}`},
		{"echo teapot", "/api/x", http.MethodGet, echo.NewHTTPError(http.StatusTeapot), 418,
			`{"error":"i'm_a_teapot","message":"I'm a teapot."}`},
		{"page error", "/settings", http.MethodGet, cause, 500, "<h1>500 Internal Server Error</h1>"},
		{"page not found", "/missing", http.MethodGet, echo.ErrNotFound, 404, "<h1>404 Not Found</h1>"},
		{"HEAD", "/api/x", http.MethodHead, echo.ErrNotFound, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := &bytes.Buffer{}
			handle := ErrorHandler(slog.New(slog.NewTextHandler(logs, nil)))
			rec := httptest.NewRecorder()
			c := echo.New().NewContext(httptest.NewRequest(tt.method, tt.path, nil), rec)
			handle(tt.err, c)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			body := rec.Body.String()
			if strings.HasPrefix(tt.wantBody, "{") {
				if diff := cmp.Diff(tt.wantBody, strings.TrimSpace(body)); diff != "" {
					t.Errorf("body (-want +got):\n%s", diff)
				}
			} else if !strings.Contains(body, tt.wantBody) {
				t.Errorf("body %q lacks %q", body, tt.wantBody)
			}
			if strings.Contains(body, "secret") || strings.Contains(body, "Syntax") {
				t.Errorf("body %q shows the cause", body)
			}
			if errors.Is(tt.err, cause) && tt.wantStatus >= 500 && !strings.Contains(logs.String(), "secret/path") {
				t.Errorf("log %q lacks the cause", logs)
			}
		})
	}
}

func TestErrorHandlerCommitted(t *testing.T) {
	handle := ErrorHandler(discardLogger())
	rec := httptest.NewRecorder()
	c := echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/api/x", nil), rec)
	if err := c.String(http.StatusOK, "partial"); err != nil {
		t.Fatal(err)
	}
	handle(errors.New("late"), c)
	if got := rec.Body.String(); got != "partial" {
		t.Errorf("body = %q after an error on a committed response, want it untouched", got)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string // key paths named, in order
	}{
		{"zero", Config{}, nil},
		{"regulation disabled", Config{Regulation: regulationOf(-1, 0, 0)}, nil},
		{"all bad", Config{
			Identity:   IdentityConfig{CodeLength: 4, CodeLifetime: -1, Elevation: -1},
			Regulation: regulationOf(0, -1, -1),
			RememberMe: -1,
		}, []string{"identity.code_length", "identity.code_lifetime", "identity.elevation", "regulation.window", "regulation.ban", "session.remember_me"}},
		{"code too long", Config{Identity: IdentityConfig{CodeLength: 33}}, []string{"identity.code_length"}},
		{"ipv6 prefix too short", Config{Regulation: store.RegulationConfig{IPv6Prefix: 31}}, []string{"regulation.ipv6_prefix"}},
		{"ipv6 prefix too long", Config{Regulation: store.RegulationConfig{IPv6Prefix: 129}}, []string{"regulation.ipv6_prefix"}},
		{"ipv6 prefix bounds", Config{Regulation: store.RegulationConfig{IPv6Prefix: 32}}, nil},
		{"ipv6 prefix whole address", Config{Regulation: store.RegulationConfig{IPv6Prefix: 128}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			var got []string
			if err != nil {
				for line := range strings.SplitSeq(err.Error(), "\n") {
					key, _, _ := strings.Cut(line, ":")
					got = append(got, key)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate keys (-want +got):\n%s\nerror: %v", diff, err)
			}
		})
	}
}

func regulationOf(maxFailures int, window, ban time.Duration) store.RegulationConfig {
	return store.RegulationConfig{MaxFailures: maxFailures, Window: window, Ban: ban}
}
