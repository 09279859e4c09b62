package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/keygate/keygate/config"
	"github.com/keygate/keygate/store"
)

// errEmbeddedSessionsNeedFile means sessions were to be embedded in a store
// that has no bbolt file; config refuses such a configuration first.
var errEmbeddedSessionsNeedFile = errors.New("embedded sessions need the bbolt file; with storage.postgres, configure session.redis")

// quietLogger logs warnings and errors of a command to stderr.
func quietLogger(stderr io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// migrateStorage copies everything the store of the --from config holds into
// the store of the --to config, in one transaction of the target, and prints
// the counts of both afterwards. The target must be empty unless --replace.
// Sessions are not copied: users sign in again.
func migrateStorage(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate-storage", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "config file whose storage is the source")
	to := fs.String("to", "", "config file whose storage is the target")
	replace := fs.Bool("replace", false, "delete what the target holds first")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || *from == "" || *to == "" {
		return errUsage
	}
	src, err := openStorage(ctx, *from, stderr)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	defer src.Close()
	dst, err := openStorage(ctx, *to, stderr)
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	defer dst.Close()
	return copyStore(ctx, src, dst, *replace, stdout)
}

// openStorage opens the store of the config file at path. KEYGATE_
// variables are not read: they would apply to both files alike.
func openStorage(ctx context.Context, path string, stderr io.Writer) (*store.Store, error) {
	cfg, err := config.Load(path, nil)
	if err != nil {
		fmt.Fprintln(stderr, config.FormatErrors(err))
		return nil, fmt.Errorf("loading %s: %w", path, errReported)
	}
	return store.Open(ctx, cfg.Storage, quietLogger(stderr))
}

// copyStore loads src's snapshot into dst and checks that dst then holds
// exactly as many of each kind.
func copyStore(ctx context.Context, src, dst *store.Store, replace bool, stdout io.Writer) error {
	snap, err := src.Export(ctx)
	if err != nil {
		return err
	}
	if err := dst.Load(ctx, snap, replace); err != nil {
		if errors.Is(err, store.ErrNotEmpty) {
			return fmt.Errorf("%w; pass --replace to delete what the target holds", err)
		}
		return err
	}
	after, err := dst.Export(ctx)
	if err != nil {
		return err
	}
	want, got := snap.Counts(), after.Counts()
	fmt.Fprintf(stdout, "source (%s): %s\n", src.Backend(), want)
	fmt.Fprintf(stdout, "target (%s): %s\n", dst.Backend(), got)
	if want != got {
		return fmt.Errorf("the target's counts differ from the source's")
	}
	fmt.Fprintln(stdout, "copied; sessions are not copied, so users sign in again")
	return nil
}
