package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/keygate/keygate/authz"
	"github.com/keygate/keygate/store"
	"github.com/keygate/keygate/token"
)

// tokenAdmin is what `keygate tokens` does: list every user's API tokens (or
// one user's) and revoke one. Part of admin, so the daemon's socket serves it.
type tokenAdmin interface {
	Tokens(ctx context.Context, user string) ([]tokenRow, error)
	RevokeToken(ctx context.Context, id string) (tokenRow, error)
}

// tokenRow is one API token as the admin commands show it: never its hash.
type tokenRow struct {
	ID         string      `json:"id"`
	User       string      `json:"user"`
	Name       string      `json:"name"`
	Scope      token.Scope `json:"scope"`
	CreatedAt  time.Time   `json:"created_at"`
	ExpiresAt  time.Time   `json:"expires_at"`
	LastUsedAt time.Time   `json:"last_used_at,omitzero"`
	LastUsedIP string      `json:"last_used_ip,omitempty"`
}

// newTokenRow drops the hash.
func newTokenRow(t token.Token) tokenRow {
	return tokenRow{ID: t.ID, User: t.User, Name: t.Name, Scope: t.Scope, CreatedAt: t.CreatedAt,
		ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt, LastUsedIP: t.LastUsedIP}
}

// Tokens lists user's tokens, or everyone's when user is "".
func (a *localAdmin) Tokens(ctx context.Context, user string) ([]tokenRow, error) {
	list, err := a.store.Tokens(ctx, user)
	if err != nil {
		return nil, err
	}
	rows := make([]tokenRow, len(list))
	for i, t := range list {
		rows[i] = newTokenRow(t)
	}
	return rows, nil
}

// RevokeToken deletes a token of any user and records it in the audit trail.
func (a *localAdmin) RevokeToken(ctx context.Context, id string) (tokenRow, error) {
	t, err := a.store.DeleteToken(ctx, "", id)
	if err != nil {
		return tokenRow{}, err
	}
	ev := store.Event{User: t.User, Action: "token_revoked_by_admin", CredentialID: []byte(t.ID)}
	if err := a.store.AppendAudit(ctx, ev); err != nil {
		return tokenRow{}, fmt.Errorf("token revoked, audit not written: %w", err)
	}
	return newTokenRow(t), nil
}

func (s *socketAdmin) Tokens(ctx context.Context, user string) ([]tokenRow, error) {
	var rows []tokenRow
	err := s.call(ctx, http.MethodGet, "/tokens?user="+url.QueryEscape(user), nil, &rows)
	return rows, err
}

func (s *socketAdmin) RevokeToken(ctx context.Context, id string) (tokenRow, error) {
	var row tokenRow
	err := s.call(ctx, http.MethodDelete, "/tokens/"+url.PathEscape(id), nil, &row)
	return row, err
}

// tokenRoutes adds the token operations to the admin socket.
func tokenRoutes(mux *http.ServeMux, a tokenAdmin) {
	mux.HandleFunc("GET /tokens", func(w http.ResponseWriter, r *http.Request) {
		rows, err := a.Tokens(r.Context(), r.URL.Query().Get("user"))
		answer(w, rows, err)
	})
	mux.HandleFunc("DELETE /tokens/{id}", func(w http.ResponseWriter, r *http.Request) {
		row, err := a.RevokeToken(r.Context(), r.PathValue("id"))
		answer(w, row, err)
	})
}

// tokens runs `tokens list [USER]` and `tokens revoke ID`.
func tokens(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	verb := args[0]
	fs, path := adminFlags("tokens "+verb, stderr)
	first, rest, err := parseInterleaved(fs, args[1:])
	if err != nil || len(rest) > 0 || (verb == "revoke" && first == "") || (verb != "list" && verb != "revoke") {
		return errUsage
	}
	return withAdmin(ctx, *path, stderr, func(a admin) error {
		if verb == "list" {
			rows, err := a.Tokens(ctx, first)
			if err != nil {
				return err
			}
			printTokens(stdout, rows)
			return nil
		}
		row, err := a.RevokeToken(ctx, first)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked token %s (%q) of %s\n", row.ID, row.Name, row.User)
		return nil
	})
}

// printTokens writes a table of tokens.
func printTokens(w io.Writer, rows []tokenRow) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSER\tNAME\tHOSTS\tPATHS\tMETHODS\tEXPIRES\tLAST USED")
	for _, r := range rows {
		last := "never"
		if !r.LastUsedAt.IsZero() {
			last = r.LastUsedAt.Format(time.RFC3339) + " from " + r.LastUsedIP
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.User, r.Name, strings.Join(r.Scope.Hosts, ","),
			orAny(r.Scope.Paths), orAny(r.Scope.Methods), r.ExpiresAt.Format(time.RFC3339), last)
	}
	tw.Flush()
}

// orAny joins a scope list, "any" when empty.
func orAny(list []string) string {
	if len(list) == 0 {
		return "any"
	}
	return strings.Join(list, ",")
}

// tokenAudit writes authz's refusals of existing tokens to the audit trail.
type tokenAudit struct{ store *store.Store }

var _ authz.TokenAuditor = tokenAudit{}

// TokenRefused appends a token_refused event for user's token id from ip.
func (a tokenAudit) TokenRefused(ctx context.Context, user, id, ip string) error {
	return a.store.AppendAudit(ctx, store.Event{User: user, Action: "token_refused", CredentialID: []byte(id), IP: ip})
}
