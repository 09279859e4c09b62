package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/keygate/keygate/store"
)

// The admin socket speaks plain HTTP with JSON bodies over a Unix socket that only
// the daemon's own user (and root) may use: the file is mode 0600 in a 0700
// directory, and on Linux each connection's peer credentials are checked too.

// serveAdmin listens on path and serves a's operations until ctx ends or the
// returned stop function is called.
func serveAdmin(ctx context.Context, path string, a admin, logger *slog.Logger) (stop func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil { // no bbolt file made it (PostgreSQL)
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	if err := removeStaleSocket(path); err != nil {
		return nil, err
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	srv := &http.Server{Handler: adminMux(a), ReadHeaderTimeout: 5 * time.Second,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	go func() {
		if err := srv.Serve(peerCheckedListener{ln.(*net.UnixListener), logger}); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("admin socket stopped", "err", err)
		}
	}()
	return func() { _ = srv.Close(); _ = os.Remove(path) }, nil
}

// removeStaleSocket deletes a socket file left by a daemon that is gone, and
// refuses to start when another daemon still answers on it.
func removeStaleSocket(path string) error {
	if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return fmt.Errorf("another keygate daemon is serving the admin socket %s", path)
	}
	return os.Remove(path)
}

// adminMux routes the admin API.
func adminMux(a admin) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /invite/{user}", func(w http.ResponseWriter, r *http.Request) {
		link, err := a.Invite(r.Context(), r.PathValue("user"))
		answer(w, map[string]string{"url": link}, err)
	})
	mux.HandleFunc("GET /credentials/{user}", func(w http.ResponseWriter, r *http.Request) {
		rows, err := a.Credentials(r.Context(), r.PathValue("user"))
		answer(w, rows, err)
	})
	mux.HandleFunc("DELETE /credentials/{user}/{id}", func(w http.ResponseWriter, r *http.Request) {
		answer(w, struct{}{}, a.DeleteCredential(r.Context(), r.PathValue("user"), r.PathValue("id")))
	})
	mux.HandleFunc("DELETE /credentials/{user}", func(w http.ResponseWriter, r *http.Request) {
		n, err := a.Reset(r.Context(), r.PathValue("user"))
		answer(w, map[string]int{"deleted": n}, err)
	})
	mux.HandleFunc("POST /credentials/{user}/{id}/clear-warning", func(w http.ResponseWriter, r *http.Request) {
		answer(w, struct{}{}, a.ClearWarning(r.Context(), r.PathValue("user"), r.PathValue("id")))
	})
	mux.HandleFunc("GET /backup", backupHandler(a))
	sessionRoutes(mux, a)
	mux.HandleFunc("GET /audit", func(w http.ResponseWriter, r *http.Request) {
		var since time.Time
		if v := r.URL.Query().Get("since"); v != "" {
			var err error
			if since, err = time.Parse(time.RFC3339Nano, v); err != nil {
				answer(w, nil, fmt.Errorf("%w: since: %v", errBadRequest, err))
				return
			}
		}
		rows, err := a.Audit(r.Context(), r.URL.Query().Get("user"), since)
		answer(w, rows, err)
	})
	mux.HandleFunc("POST /import", func(w http.ResponseWriter, r *http.Request) {
		var in importRequest
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxExportSize))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			answer(w, nil, fmt.Errorf("%w: %v", errBadRequest, err))
			return
		}
		skipped, err := a.ImportCredentials(r.Context(), in.Credentials)
		answer(w, importAnswer{Skipped: skipped}, err)
	})
	tokenRoutes(mux, a)
	return mux
}

// errBadRequest means the admin socket could not read a request.
var errBadRequest = errors.New("unreadable request")

// importRequest and importAnswer are the bodies of POST /import.
type importRequest struct {
	Credentials []importItem `json:"credentials"`
}

type importAnswer struct {
	// Skipped says, for each credential, why it was skipped; "" when stored.
	Skipped []string `json:"skipped"`
}

// answer writes v as JSON, or err as {"error": text} with a fitting status.
func answer(w http.ResponseWriter, v any, err error) {
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		status := http.StatusInternalServerError
		switch {
		case errors.Is(err, store.ErrNotFound), errors.Is(err, errUnknownUser):
			status = http.StatusNotFound
		case errors.Is(err, store.ErrInvalid), errors.Is(err, errBadRequest):
			status = http.StatusBadRequest
		}
		w.WriteHeader(status)
		v = map[string]string{"error": err.Error()}
	}
	_ = json.NewEncoder(w).Encode(v)
}

// socketAdmin is the client side: each operation is one request to the daemon.
type socketAdmin struct{ client *http.Client }

var _ admin = (*socketAdmin)(nil)

// dialAdmin connects to the daemon's admin socket, or reports that none answers.
func dialAdmin(path string) (*socketAdmin, bool) {
	c, err := net.DialTimeout("unix", path, time.Second)
	if err != nil {
		return nil, false
	}
	c.Close()
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}}
	return &socketAdmin{client: &http.Client{Transport: tr, Timeout: 30 * time.Second}}, true
}

func (s *socketAdmin) Invite(ctx context.Context, user string) (string, error) {
	var out struct{ URL string }
	err := s.call(ctx, http.MethodPost, "/invite/"+url.PathEscape(user), nil, &out)
	return out.URL, err
}

func (s *socketAdmin) Credentials(ctx context.Context, user string) ([]credentialRow, error) {
	var rows []credentialRow
	err := s.call(ctx, http.MethodGet, "/credentials/"+url.PathEscape(user), nil, &rows)
	return rows, err
}

func (s *socketAdmin) DeleteCredential(ctx context.Context, user, id string) error {
	return s.call(ctx, http.MethodDelete, "/credentials/"+url.PathEscape(user)+"/"+url.PathEscape(id), nil, nil)
}

func (s *socketAdmin) Reset(ctx context.Context, user string) (int, error) {
	var out struct{ Deleted int }
	err := s.call(ctx, http.MethodDelete, "/credentials/"+url.PathEscape(user), nil, &out)
	return out.Deleted, err
}

func (s *socketAdmin) ClearWarning(ctx context.Context, user, id string) error {
	return s.call(ctx, http.MethodPost, "/credentials/"+url.PathEscape(user)+"/"+url.PathEscape(id)+"/clear-warning", nil, nil)
}

func (s *socketAdmin) ImportCredentials(ctx context.Context, items []importItem) ([]string, error) {
	var out importAnswer
	if err := s.call(ctx, http.MethodPost, "/import", importRequest{Credentials: items}, &out); err != nil {
		return nil, err
	}
	if len(out.Skipped) != len(items) {
		return nil, fmt.Errorf("daemon: %d results for %d credentials", len(out.Skipped), len(items))
	}
	return out.Skipped, nil
}

func (s *socketAdmin) Audit(ctx context.Context, user string, since time.Time) ([]auditRow, error) {
	q := url.Values{}
	if user != "" {
		q.Set("user", user)
	}
	if !since.IsZero() {
		q.Set("since", since.Format(time.RFC3339Nano))
	}
	var rows []auditRow
	err := s.call(ctx, http.MethodGet, "/audit?"+q.Encode(), nil, &rows)
	return rows, err
}

// call does one request, with in as its JSON body (when not nil), and decodes
// the answer into out (when not nil).
func (s *socketAdmin) call(ctx context.Context, method, path string, in, out any) error {
	reqBody := io.Reader(http.NoBody)
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		reqBody = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://keygate"+path, reqBody)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("admin socket: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("admin socket: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		if json.Unmarshal(body, &e) != nil || e.Error == "" {
			e.Error = string(bytes.TrimSpace(body))
		}
		return fmt.Errorf("daemon: %s", e.Error)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(body, out)
}
