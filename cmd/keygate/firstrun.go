package main

import (
	"context"
	"fmt"
	"io"

	"github.com/keygate/keygate/config"
)

// defaultAdmin is the passkey-only user the embedded default creates.
const defaultAdmin = "admin"

// firstRun prints an enrollment link for the default admin while that user has
// no way to sign in yet: on the start that created the users file, and on every
// later start until a passkey is registered (an earlier link may be lost).
func firstRun(ctx context.Context, cfg *config.Config, a *app, stdout io.Writer) error {
	u, ok := a.users.Lookup(defaultAdmin)
	if !ok || u.HasPassword() || u.Disabled {
		return nil
	}
	creds, err := a.store.Credentials(ctx, defaultAdmin)
	if err != nil {
		return fmt.Errorf("reading the admin's credentials: %w", err)
	}
	if len(creds) > 0 || (!a.usersCreated && cfg.File != "") {
		return nil
	}
	link, err := a.admin.Invite(ctx, defaultAdmin)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nUser %q has no passkey yet. Open this one-time link to register one (valid %v):\n\n    %s\n\n",
		defaultAdmin, inviteTTL, link)
	return nil
}
