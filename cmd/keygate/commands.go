package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/keygate/keygate/config"
	"github.com/keygate/keygate/directory"
	"github.com/keygate/keygate/session"
	"github.com/keygate/keygate/store"
)

// invite prints a one-time enrollment URL for a user, as the last line of stdout.
func invite(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, path := adminFlags("invite", stderr)
	user, rest, err := parseInterleaved(fs, args)
	if err != nil || user == "" || len(rest) > 0 {
		return errUsage
	}
	return withAdmin(ctx, *path, stderr, func(a admin) error {
		link, err := a.Invite(ctx, user)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "One-time enrollment link for %s (valid %v):\n%s\n", user, inviteTTL, link)
		return nil
	})
}

// credentials runs `credentials list|delete|reset|clear-warning`.
func credentials(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	verb := args[0]
	fs, path := adminFlags("credentials "+verb, stderr)
	first, rest, err := parseInterleaved(fs, args[1:])
	if err != nil || first == "" {
		return errUsage
	}
	want := map[string]int{"list": 0, "reset": 0, "delete": 1, "clear-warning": 1}
	n, ok := want[verb]
	if !ok || len(rest) != n {
		return errUsage
	}
	return withAdmin(ctx, *path, stderr, func(a admin) error {
		switch verb {
		case "list":
			rows, err := a.Credentials(ctx, first)
			if err != nil {
				return err
			}
			printCredentials(stdout, rows)
		case "reset":
			deleted, err := a.Reset(ctx, first)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "deleted %d credential(s) of %s and ended their sessions\n", deleted, first)
		case "delete":
			if err := a.DeleteCredential(ctx, first, rest[0]); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "deleted credential %s of %s\n", rest[0], first)
		case "clear-warning":
			if err := a.ClearWarning(ctx, first, rest[0]); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "cleared the clone warning of credential %s of %s\n", rest[0], first)
		}
		return nil
	})
}

func printCredentials(w io.Writer, rows []credentialRow) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tDESCRIPTION\tTYPE\tSIGN COUNT\tCLONE WARNING\tCREATED\tLAST USED")
	for _, r := range rows {
		kind := "security key"
		if r.Discoverable {
			kind = "passkey"
		}
		last := "never"
		if !r.LastUsedAt.IsZero() {
			last = r.LastUsedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%v\t%s\t%s\n", r.ID, r.Description, kind, r.SignCount,
			r.CloneWarning, r.CreatedAt.Format(time.RFC3339), last)
	}
	tw.Flush()
}

func adminFlags(name string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs, fs.String("config", "", "config file (default: the embedded default)")
}

// parseInterleaved parses flags that may come before or after the positional
// arguments, returning the first positional argument and the rest.
func parseInterleaved(fs *flag.FlagSet, args []string) (string, []string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return "", nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) == 0 {
		return "", nil, nil
	}
	return pos[0], pos[1:], nil
}

// withAdmin runs fn against the running daemon's admin socket, or, when no daemon
// answers, against the bbolt file opened here.
func withAdmin(ctx context.Context, path string, stderr io.Writer, fn func(admin) error) error {
	cfg, err := loadConfig(path, stderr)
	if err != nil {
		return err
	}
	return withAdminConfig(ctx, cfg, stderr, fn)
}

// withAdminConfig is withAdmin with the configuration already loaded.
func withAdminConfig(ctx context.Context, cfg *config.Config, stderr io.Writer, fn func(admin) error) error {
	socket := adminSocketPath(cfg)
	if remote, ok := dialAdmin(socket); ok {
		return fn(remote)
	}
	if err := requireDatabase(cfg.Storage, socket); err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.Storage, quietLogger(stderr))
	if err != nil {
		return err
	}
	defer st.Close()
	sessionStore, err := newSessionStore(cfg.Session, st, quietLogger(stderr))
	if err != nil {
		return err
	}
	sessions, err := session.NewManager(cfg.Session, sessionStore, quietLogger(stderr))
	if err != nil {
		sessionStore.Close()
		return err
	}
	defer sessions.Close()
	users, err := directory.New(cfg.Users, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return err
	}
	portal, err := primaryPortal(cfg.Session)
	if err != nil {
		return err
	}
	return fn(&localAdmin{store: st, users: users, portal: portal, localSessions: localSessions{sessions}})
}
