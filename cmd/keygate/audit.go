package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/keygate/keygate/store"
)

// auditPruneEvery is how often the daemon deletes audit events past retention.
const auditPruneEvery = time.Hour

// auditRow is one audit event as `keygate audit` prints it.
type auditRow struct {
	Time         time.Time `json:"time"`
	User         string    `json:"user"`
	Action       string    `json:"action"`
	Method       string    `json:"method,omitempty"`
	Result       string    `json:"result,omitempty"`
	CredentialID string    `json:"credential_id,omitempty"`
	IP           string    `json:"ip,omitempty"`
	UserAgent    string    `json:"user_agent,omitempty"`
	Actor        string    `json:"actor,omitempty"`
}

func toAuditRow(e store.Event) auditRow {
	r := auditRow{Time: e.Time, User: e.User, Action: e.Action, Method: e.Method, Result: e.Result,
		IP: e.IP, UserAgent: e.UserAgent, Actor: e.Actor}
	if len(e.CredentialID) > 0 {
		r.CredentialID = base64.RawURLEncoding.EncodeToString(e.CredentialID)
	}
	return r
}

// audit runs `keygate audit [--user U] [--since T] [--json]`. T is an RFC 3339
// time or a duration back from now (24h).
func audit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, path := adminFlags("audit", stderr)
	user := fs.String("user", "", "only this user's events")
	since := fs.String("since", "", "only events since this time (RFC 3339) or this long ago (e.g. 24h)")
	asJSON := fs.Bool("json", false, "print a JSON array")
	first, _, err := parseInterleaved(fs, args)
	if err != nil || first != "" {
		return errUsage
	}
	from, err := parseSince(*since, time.Now())
	if err != nil {
		return err
	}
	return withAdmin(ctx, *path, stderr, func(a admin) error {
		rows, err := a.Audit(ctx, *user, from)
		if err != nil {
			return err
		}
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(rows)
		}
		printAudit(stdout, rows)
		return nil
	})
}

// parseSince reads --since: empty (all), an RFC 3339 time, or a duration before now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--since %q is neither an RFC 3339 time (2030-01-02T15:04:05Z) nor a duration (24h)", s)
	}
	return t, nil
}

func printAudit(w io.Writer, rows []auditRow) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tUSER\tACTION\tMETHOD\tRESULT\tCREDENTIAL\tIP\tACTOR")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Time.Format(time.RFC3339), r.User, r.Action,
			dash(r.Method), dash(r.Result), dash(r.CredentialID), dash(r.IP), dash(r.Actor))
	}
	tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Audit returns the events of user ("" for all) since from, oldest first.
func (a *localAdmin) Audit(ctx context.Context, user string, from time.Time) ([]auditRow, error) {
	events, err := a.store.AuditQuery(ctx, store.AuditFilter{User: user, Since: from})
	if err != nil {
		return nil, err
	}
	rows := make([]auditRow, len(events))
	for i, e := range events {
		rows[i] = toAuditRow(e)
	}
	return rows, nil
}

// record adds an admin action to the audit trail.
func (a *localAdmin) record(ctx context.Context, user, action string, credential []byte) error {
	return a.store.AppendAudit(ctx, store.Event{User: user, Action: action, CredentialID: credential, Actor: "admin"})
}

// pruneAuditLoop deletes audit events older than retention now and every
// auditPruneEvery until ctx ends.
func pruneAuditLoop(ctx context.Context, st *store.Store, retention time.Duration, logger *slog.Logger) {
	t := time.NewTicker(auditPruneEvery)
	defer t.Stop()
	for {
		n, err := st.PruneAudit(ctx, time.Now().Add(-retention))
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Error("pruning the audit trail", "err", err)
		case n > 0:
			logger.Info("pruned the audit trail", "deleted", n, "retention", retention)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// errNoDaemon means an admin command found neither a running daemon nor a
// database file: it refuses rather than create an empty database the daemon
// would never read.
var errNoDaemon = errors.New("no keygate daemon answers and no database exists")

// requireDatabase refuses an admin command whose database file does not exist,
// naming where it looked.
func requireDatabase(cfg store.Config, socket string) error {
	if cfg.Postgres.Enabled() {
		return nil // the server is there or store.Open says it is not; it creates no file
	}
	path := cfg.Path
	if path == "" {
		path = store.DefaultPath
	}
	if _, err := os.Stat(path); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("database %s: %w", path, err)
	}
	abs, _ := filepath.Abs(path)
	sock, _ := filepath.Abs(socket)
	return fmt.Errorf("%w: nothing listens on %s and there is no %s; run this command where the daemon runs, "+
		"with the --config it was started with (storage.path), or start the daemon first", errNoDaemon, sock, abs)
}
