package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// errUsage marks a command line that could not be understood; main exits 2 for it.
var errUsage = errors.New("usage")

// errReported marks a failure already explained on stderr; main exits 1 without repeating it.
var errReported = errors.New("reported")

const usage = `Keygate: passkey forward-auth gateway.

Usage:
  keygate [serve] [--config FILE]        run the daemon (embedded default without --config)
  keygate check-config [--config FILE]   validate the configuration, print every error
  keygate hash-password                  read a password from stdin, print an argon2id hash
  keygate invite USER [--config FILE]    print a one-time enrollment URL for USER
  keygate credentials list USER          list USER's WebAuthn credentials
  keygate credentials delete USER ID     delete one credential
  keygate credentials reset USER         delete all of USER's credentials
  keygate credentials clear-warning USER ID   clear a credential's clone warning
  keygate sessions list [USER] [--json]  list USER's sessions (everyone's without USER)
  keygate sessions revoke USER [--id ID] | --all   end one, all of USER's, or every session
  keygate import-credentials FILE [--config FILE]   import a WebAuthn export (YAML), U2F keys included
  keygate migrate-storage --from FILE --to FILE [--replace]   copy the store between two configs' storage
  keygate backup FILE [--config FILE]    write a consistent copy of the bbolt file, live or not
  keygate audit [--user U] [--since T] [--json] [--config FILE]   print the audit trail
  keygate healthcheck [--ready] [--config FILE]   exit 0 when the daemon answers /api/health (/api/ready)
  keygate version                        print the version and build information
  keygate tokens list [USER]             list API tokens (every user's without USER)
  keygate tokens revoke ID               revoke an API token
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil:
	case errors.Is(err, errUsage):
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	case errors.Is(err, errReported):
		os.Exit(1)
	default:
		fmt.Fprintf(os.Stderr, "keygate: %v\n", err)
		os.Exit(1)
	}
}

// run dispatches to a subcommand. With no arguments, or with flags only, it serves.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	name := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	switch name {
	case "serve":
		return serve(ctx, args, stdout, stderr)
	case "check-config":
		return checkConfig(args, stdout, stderr)
	case "hash-password":
		return hashPassword(args, stdin, stdout, stderr)
	case "invite":
		return invite(ctx, args, stdout, stderr)
	case "credentials":
		return credentials(ctx, args, stdout, stderr)
	case "sessions":
		return sessions(ctx, args, stdout, stderr)
	case "import-credentials":
		return importCredentials(ctx, args, stdout, stderr)
	case "migrate-storage":
		return migrateStorage(ctx, args, stdout, stderr)
	case "backup":
		return backup(ctx, args, stdout, stderr)
	case "audit":
		return audit(ctx, args, stdout, stderr)
	case "healthcheck":
		return healthcheck(ctx, args, stdout, stderr)
	case "version", "--version":
		return printVersion(args, stdout)
	case "tokens":
		return tokens(ctx, args, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprintf(stderr, "keygate: unknown command %q\n", name)
		return errUsage
	}
}
