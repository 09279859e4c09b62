package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/keygate/keygate/config"
	"github.com/keygate/keygate/store"
)

// maxExportSize bounds the export file and the admin socket's import request.
const maxExportSize = 64 << 20

// importCredentials runs `import-credentials FILE`: it reads a WebAuthn export
// in the common YAML form and stores its credentials, through the running
// daemon when there is one. An error anywhere in the file refuses all of it
// before anything is written. Credentials of users absent from the users file,
// with an ID or description already taken, or registered for another RP ID
// are skipped and reported; each other credential is stored in its own
// transaction.
func importCredentials(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, path := adminFlags("import-credentials", stderr)
	file, rest, err := parseInterleaved(fs, args)
	if err != nil || file == "" || len(rest) > 0 {
		return errUsage
	}
	cfg, err := loadConfig(*path, stderr)
	if err != nil {
		return err
	}
	data, err := readExport(file)
	if err != nil {
		return err
	}
	target, err := newImportTarget(cfg)
	if err != nil {
		return err
	}
	entries, err := parseExport(data, target)
	if err != nil {
		return fmt.Errorf("%s refused, nothing imported:\n%w", file, err)
	}
	return withAdminConfig(ctx, cfg, stderr, func(a admin) error {
		var items []importItem
		var at []int
		for i, e := range entries {
			if e.skip == "" {
				items, at = append(items, e.item), append(at, i)
			}
		}
		skipped, err := a.ImportCredentials(ctx, items)
		if err != nil {
			return err
		}
		for j, reason := range skipped {
			entries[at[j]].skip = reason
		}
		printImportSummary(stdout, entries)
		return nil
	})
}

func readExport(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxExportSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	if len(data) > maxExportSize {
		return nil, fmt.Errorf("%s is larger than %d MiB", file, maxExportSize>>20)
	}
	return data, nil
}

func newImportTarget(cfg *config.Config) (importTarget, error) {
	if len(cfg.WebAuthn.Origins) == 0 || cfg.WebAuthn.RPID == "" {
		return importTarget{}, errors.New("the configuration names no portal or RP ID")
	}
	return importTarget{rpID: cfg.WebAuthn.RPID, portalOrigin: cfg.WebAuthn.Origins[0]}, nil
}

// printImportSummary prints one line per credential, then the counts.
func printImportSummary(w io.Writer, entries []importEntry) {
	imported, passkeys := 0, 0
	for _, e := range entries {
		name := fmt.Sprintf("%s %q", e.item.User, e.item.Credential.Description)
		if e.skip != "" {
			fmt.Fprintf(w, "skipped  %s: %s\n", name, e.skip)
			continue
		}
		imported++
		kind := "security key"
		switch {
		case e.note != "":
			kind = e.note
		case e.item.Credential.Discoverable:
			kind = "passkey"
			passkeys++
		}
		fmt.Fprintf(w, "imported %s (%s)\n", name, kind)
	}
	fmt.Fprintf(w, "imported %d, skipped %d\n", imported, len(entries)-imported)
	if passkeys > 0 {
		fmt.Fprintf(w, "note: the %d imported passkey(s) keep the user handle of the system that registered them,\n"+
			"which an export does not carry: sign-in without a username cannot find their user.\n", passkeys)
	}
}

// ImportCredentials stores credentials read from an export, each in its own
// transaction, and returns for each why it was skipped, or "" when it was
// stored. An error means the store failed; the credentials before it were
// handled, and importing the file again skips them.
func (a *localAdmin) ImportCredentials(ctx context.Context, items []importItem) ([]string, error) {
	skipped := make([]string, len(items))
	for i, it := range items {
		reason, err := a.importOne(ctx, it)
		if err != nil {
			return nil, fmt.Errorf("importing credential %d of %d (user %q): %w", i+1, len(items), it.User, err)
		}
		skipped[i] = reason
	}
	return skipped, nil
}

func (a *localAdmin) importOne(ctx context.Context, it importItem) (string, error) {
	u, ok := a.users.Lookup(it.User)
	if !ok {
		return it.User + " is not in the users file", nil
	}
	err := a.store.AddCredential(ctx, u.Username, it.Credential)
	switch {
	case errors.Is(err, store.ErrDuplicateID):
		_, err := a.store.Credential(ctx, u.Username, it.Credential.ID)
		if errors.Is(err, store.ErrNotFound) {
			return "its credential ID is registered for another user", nil
		}
		if err != nil {
			return "", err
		}
		return "already registered for " + u.Username, nil
	case errors.Is(err, store.ErrDuplicateDescription):
		return fmt.Sprintf("%s already has a credential named %q", u.Username, it.Credential.Description), nil
	case err != nil:
		return "", err
	}
	return "", a.record(ctx, u.Username, "credential_imported", it.Credential.ID)
}
