// Command keygate is the Keygate daemon and its administration commands.
//
//	keygate [serve] [--config FILE]      run the daemon (embedded default without --config)
//	keygate check-config [--config FILE] validate the configuration, print every error, exit 1 on any
//	keygate hash-password                read a password from stdin, print its argon2id hash
//	keygate invite USER [--config FILE]  print a one-time enrollment URL for USER
//	keygate credentials list|delete|reset ...  manage WebAuthn credentials
//	keygate sessions list [USER] [--json]  list sessions; revoke USER [--id ID] | --all ends them
//	keygate import-credentials FILE      import a WebAuthn export in the common YAML form
//	keygate migrate-storage --from FILE --to FILE [--replace]  copy the store between backends
//	keygate backup FILE [--config FILE]  write a consistent copy of the live bbolt file
//	keygate tokens list [USER] | revoke ID    list and revoke users' API tokens
//	keygate audit [--user U] [--since T] [--json]  print the audit trail
//	keygate healthcheck [--ready]        exit 0 when the daemon answers /api/health (/api/ready)
//	keygate version                      print the stamped version and the build information
//
// The admin commands talk to the running daemon over admin.sock beside the
// database; with no daemon they open the database file themselves (the
// sessions commands go to Redis directly when sessions are there), and with
// no database file either they refuse rather than create an empty one.
// credentials reset also ends the user's sessions.
//
// With server.metrics_address set, serve also serves GET /metrics there, from
// the internal/metrics registry that it hands to authz and ui. go-redis's
// process-wide logger and echo's logger are pointed at the daemon's slog
// logger here, once.
//
// Main wires every component by hand: it loads the configuration, opens the store
// (the bbolt file or PostgreSQL) once and hands the session package the store's
// file when sessions are embedded, builds each component from its own Config,
// registers the HTTP routes and shuts down gracefully on SIGINT or SIGTERM. It holds
// no package state; each subcommand is a function of its arguments and streams.
//
// On the embedded default, serve also runs an example app on the port after the
// daemon's (http://localhost:9092/): a page it shows only when the daemon's
// forward-auth check lets the request through, with the identity headers of that
// answer. It asks the daemon over HTTP like any proxy, and sign-ins without rd
// land there. A port already taken only leaves the app out.
package main
