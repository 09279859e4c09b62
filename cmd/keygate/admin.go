package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"time"

	"github.com/keygate/keygate/config"
	"github.com/keygate/keygate/directory"
	"github.com/keygate/keygate/session"
	"github.com/keygate/keygate/store"
)

// inviteTTL is how long an enrollment link printed by `keygate invite` stays valid.
const inviteTTL = 24 * time.Hour

// errUnknownUser means an admin command named a user absent from the users file.
var errUnknownUser = errors.New("no such user in the users file")

// admin is what the administration commands do, either in this process (daemon
// stopped) or through the running daemon's admin socket.
type admin interface {
	Invite(ctx context.Context, user string) (string, error)
	Credentials(ctx context.Context, user string) ([]credentialRow, error)
	DeleteCredential(ctx context.Context, user, id string) error
	Reset(ctx context.Context, user string) (int, error)
	ClearWarning(ctx context.Context, user, id string) error
	ImportCredentials(ctx context.Context, items []importItem) ([]string, error)
	sessionAdmin
	Audit(ctx context.Context, user string, since time.Time) ([]auditRow, error)
	tokenAdmin
}

// credentialRow is one credential as the admin commands show it.
type credentialRow struct {
	ID           string    `json:"id"`
	Description  string    `json:"description"`
	Discoverable bool      `json:"discoverable"`
	Attachment   string    `json:"attachment"`
	SignCount    uint32    `json:"sign_count"`
	CloneWarning bool      `json:"clone_warning"`
	CreatedAt    time.Time `json:"created_at"`
	LastUsedAt   time.Time `json:"last_used_at,omitzero"`
}

// userLookup is the part of the directory the admin commands need.
type userLookup interface {
	Lookup(username string) (directory.User, bool)
}

// localAdmin works on the store directly; the daemon serves it on its socket.
type localAdmin struct {
	store  *store.Store
	users  userLookup
	portal *url.URL
	localSessions
}

var _ admin = (*localAdmin)(nil)

// Invite creates a one-time enrollment token for an existing, enabled user and
// returns the URL that redeems it.
func (a *localAdmin) Invite(ctx context.Context, user string) (string, error) {
	u, ok := a.users.Lookup(user)
	if !ok {
		return "", fmt.Errorf("%q: %w", user, errUnknownUser)
	}
	if u.Disabled {
		return "", fmt.Errorf("%q is disabled in the users file", user)
	}
	token, err := a.store.CreateInvite(ctx, u.Username, inviteTTL)
	if err != nil {
		return "", fmt.Errorf("creating invite: %w", err)
	}
	if err := a.record(ctx, u.Username, "invite_created", nil); err != nil {
		return "", err
	}
	return enrollURL(a.portal, token), nil
}

// Credentials lists the user's credentials.
func (a *localAdmin) Credentials(ctx context.Context, user string) ([]credentialRow, error) {
	creds, err := a.store.Credentials(ctx, user)
	if err != nil {
		return nil, err
	}
	rows := make([]credentialRow, len(creds))
	for i, c := range creds {
		rows[i] = credentialRow{
			ID: base64.RawURLEncoding.EncodeToString(c.ID), Description: c.Description,
			Discoverable: c.Discoverable, Attachment: c.Attachment, SignCount: c.SignCount,
			CloneWarning: c.CloneWarning, CreatedAt: c.CreatedAt, LastUsedAt: c.LastUsedAt,
		}
	}
	return rows, nil
}

// DeleteCredential removes one credential, named by its base64url ID.
func (a *localAdmin) DeleteCredential(ctx context.Context, user, id string) error {
	raw, err := decodeCredentialID(id)
	if err != nil {
		return err
	}
	if err := a.store.DeleteCredential(ctx, user, raw); err != nil {
		return err
	}
	return a.record(ctx, user, "credential_deleted", raw)
}

// Reset removes all of the user's credentials and ends their sessions, so
// that no browser signed in with a lost key stays signed in.
func (a *localAdmin) Reset(ctx context.Context, user string) (int, error) {
	n, err := a.store.DeleteUserCredentials(ctx, user)
	if err != nil {
		return n, err
	}
	if _, err := a.m.EndUser(ctx, user); err != nil {
		return n, fmt.Errorf("credentials deleted, but: %w", err)
	}
	return n, a.record(ctx, user, "credentials_reset", nil)
}

// ClearWarning clears a credential's clone warning so it may sign in again.
func (a *localAdmin) ClearWarning(ctx context.Context, user, id string) error {
	raw, err := decodeCredentialID(id)
	if err != nil {
		return err
	}
	if err := a.store.ClearCloneWarning(ctx, user, raw); err != nil {
		return err
	}
	return a.record(ctx, user, "clone_warning_cleared", raw)
}

func decodeCredentialID(id string) ([]byte, error) {
	raw, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil || len(raw) == 0 {
		return nil, fmt.Errorf("credential ID %q is not base64url (as `keygate credentials list` prints it)", id)
	}
	return raw, nil
}

// enrollURL is <portal>/enroll?token=TOKEN.
func enrollURL(portal *url.URL, token string) string {
	u := *portal
	u.Path = "/enroll"
	u.RawQuery = url.Values{"token": {token}}.Encode()
	u.Fragment = ""
	return u.String()
}

// adminSocketPath is the daemon's admin socket, beside the bbolt file.
func adminSocketPath(cfg *config.Config) string {
	path := cfg.Storage.Path
	if path == "" {
		path = store.DefaultPath
	}
	return filepath.Join(filepath.Dir(path), "admin.sock")
}

// primaryPortal is the portal URL of the first cookie domain (config has validated it).
func primaryPortal(c session.Config) (*url.URL, error) {
	raw := c.PortalURL
	if raw == "" && len(c.Cookies) > 0 {
		raw = c.Cookies[0].PortalURL
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("session.portal_url: %w", err)
	}
	return u, nil
}
