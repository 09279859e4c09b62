package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/keygate/keygate/config"
	"github.com/keygate/keygate/session"
	"github.com/keygate/keygate/store"
)

// sessionAdmin is what `keygate sessions` does, in this process (on Redis or
// the bbolt file) or through the running daemon's admin socket.
type sessionAdmin interface {
	// Sessions lists the live sessions of user, or of everyone when user is "".
	Sessions(ctx context.Context, user string) ([]session.Info, error)
	// RevokeSessions ends one session of user (id, a handle or its prefix), all
	// of user's (id ""), or everyone's (user ""), and returns how many it ended.
	RevokeSessions(ctx context.Context, user, id string) (int, error)
}

// localSessions runs sessionAdmin on a session manager.
type localSessions struct{ m *session.Manager }

var _ sessionAdmin = localSessions{}

func (l localSessions) Sessions(ctx context.Context, user string) ([]session.Info, error) {
	if user == "" {
		return l.m.AllSessions(ctx)
	}
	return l.m.UserSessions(ctx, user)
}

func (l localSessions) RevokeSessions(ctx context.Context, user, id string) (int, error) {
	switch {
	case user == "":
		return l.m.EndAll(ctx)
	case id == "":
		return l.m.EndUser(ctx, user)
	}
	if _, err := l.m.EndSession(ctx, user, id); err != nil {
		return 0, err
	}
	return 1, nil
}

// sessionRoutes serves sessionAdmin on the admin socket.
func sessionRoutes(mux *http.ServeMux, a sessionAdmin) {
	list := func(w http.ResponseWriter, r *http.Request) {
		rows, err := a.Sessions(r.Context(), r.PathValue("user"))
		answer(w, rows, err)
	}
	revoke := func(w http.ResponseWriter, r *http.Request) {
		n, err := a.RevokeSessions(r.Context(), r.PathValue("user"), r.PathValue("id"))
		answer(w, map[string]int{"ended": n}, err)
	}
	mux.HandleFunc("GET /sessions", list)
	mux.HandleFunc("GET /sessions/{user}", list)
	mux.HandleFunc("DELETE /sessions", revoke)
	mux.HandleFunc("DELETE /sessions/{user}", revoke)
	mux.HandleFunc("DELETE /sessions/{user}/{id}", revoke)
}

func (s *socketAdmin) Sessions(ctx context.Context, user string) ([]session.Info, error) {
	var rows []session.Info
	err := s.call(ctx, http.MethodGet, sessionsPath(user, ""), nil, &rows)
	return rows, err
}

func (s *socketAdmin) RevokeSessions(ctx context.Context, user, id string) (int, error) {
	var out struct{ Ended int }
	err := s.call(ctx, http.MethodDelete, sessionsPath(user, id), nil, &out)
	return out.Ended, err
}

func sessionsPath(user, id string) string {
	p := "/sessions"
	if user != "" {
		p += "/" + url.PathEscape(user)
	}
	if id != "" {
		p += "/" + url.PathEscape(id)
	}
	return p
}

// sessions runs `sessions list [USER] [--json]` and
// `sessions revoke USER [--id ID] | --all`.
func sessions(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	verb := args[0]
	fs, path := adminFlags("sessions "+verb, stderr)
	asJSON := fs.Bool("json", false, "print JSON (list)")
	id := fs.String("id", "", "end only this session (revoke; a handle as list prints it)")
	all := fs.Bool("all", false, "end every session of every user (revoke)")
	user, rest, err := parseInterleaved(fs, args[1:])
	if err != nil || len(rest) > 0 {
		return errUsage
	}
	switch {
	case verb == "list" && *id == "" && !*all:
	case verb == "revoke" && !*asJSON && (user != "") != *all && (*id == "" || user != ""):
	default:
		return errUsage
	}
	cfg, err := loadConfig(*path, stderr)
	if err != nil {
		return err
	}
	return withSessionAdmin(ctx, cfg, stderr, func(a sessionAdmin) error {
		if verb == "list" {
			return listSessions(ctx, a, user, *asJSON, stdout)
		}
		n, err := a.RevokeSessions(ctx, user, *id)
		if err != nil {
			return err
		}
		who := "every user"
		if user != "" {
			who = user
		}
		fmt.Fprintf(stdout, "ended %d session(s) of %s\n", n, who)
		return nil
	})
}

func listSessions(ctx context.Context, a sessionAdmin, user string, asJSON bool, w io.Writer) error {
	rows, err := a.Sessions(ctx, user)
	if err != nil {
		return err
	}
	if asJSON {
		if rows == nil {
			rows = []session.Info{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSER\tLEVEL\tFACTORS\tCREATED\tLAST SEEN\tIP\tUSER AGENT")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Handle[:min(12, len(r.Handle))], r.Username, r.Level,
			strings.Join(r.Factors, "+"), r.CreatedAt.Format(time.RFC3339), r.LastSeen.Format(time.RFC3339),
			orDash(r.IP), orDash(r.UserAgent))
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// withSessionAdmin runs fn against the running daemon, or when none answers,
// against Redis (when sessions are there) or the existing bbolt file. It
// refuses, creating nothing, when there is neither.
func withSessionAdmin(ctx context.Context, cfg *config.Config, stderr io.Writer, fn func(sessionAdmin) error) error {
	if remote, ok := dialAdmin(adminSocketPath(cfg)); ok {
		return fn(remote)
	}
	logger := quietLogger(stderr)
	var sessionStore session.Store
	if cfg.Session.Redis.Enabled() {
		rs, err := session.NewRedisStore(cfg.Session.Redis, logger)
		if err != nil {
			return err
		}
		sessionStore = rs
	} else {
		if err := requireDatabase(cfg.Storage, adminSocketPath(cfg)); err != nil {
			return err
		}
		st, err := store.Open(ctx, cfg.Storage, logger)
		if err != nil {
			return err
		}
		defer st.Close()
		if sessionStore, err = newSessionStore(cfg.Session, st, logger); err != nil {
			return err
		}
	}
	m, err := session.NewManager(cfg.Session, sessionStore, logger)
	if err != nil {
		sessionStore.Close()
		return err
	}
	defer m.Close()
	return fn(localSessions{m})
}
