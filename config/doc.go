// Package config loads Keygate's configuration and hands each component its
// own Config.
//
// Load merges three layers, each overriding the one before:
//
//  1. the defaults of config's own sections: server.address 127.0.0.1:9091,
//     server.trusted_proxies loopback only, log level info and format text;
//  2. the YAML file given with --config, or, without one, the embedded
//     default.yml: a single-machine demo with the portal at
//     http://localhost:9091, RP ID and cookie domain localhost, data under
//     ./keygate-data, the embedded session store, one-time codes appended to
//     ./keygate-data/notifications.log, and default_policy one_factor;
//  3. environment variables: KEYGATE_SESSION__REDIS__ADDRESS sets
//     session.redis.address (the name after the prefix is lower-cased and "__"
//     nests). A list is comma-separated (KEYGATE_SERVER__TRUSTED_PROXIES=
//     "10.0.0.0/8, ::1"; blank items are dropped, so "" is the empty list);
//     numbers and booleans are parsed. Lists of sections (access_control.rules,
//     session.cookies) cannot be set from the environment.
//
// Mappings merge key by key; a list replaces the list below it. The embedded
// demo is not a layer under a file: a file's unset keys take the components'
// own defaults, so a production file never inherits the demo's localhost
// cookie domain, file notifier or one_factor default policy.
//
// Secrets may come from files: for every KEY_file whose section also has KEY
// (session.redis.password_file, notifier.smtp.password_file), config reads
// the file and sets KEY to its content without the trailing newline; the
// components never see KEY_file set. Setting both, or naming an unreadable
// file, is an error.
//
// Decoding is strict: an unknown key anywhere is an error naming its full path
// and the keys allowed there; a value must have its key's type (a string is not
// a number, a bare number is not a duration except 0, a scalar is not a list).
// Then every section's Validate runs (config's own: server.address is
// host:port, log level and format are known), and the Validate of the two
// configurations config composes: Config.Authz (server.trusted_proxies) and
// Config.UI (identity, regulation and a few session and webauthn keys). The
// check across sections, that the WebAuthn RP ID is each portal's host or a
// parent domain of it, runs in webauthn's Validate on the origins config
// derives from the portal URLs (below). A value that failed to decode is not
// reported a second time by validation. All problems are returned at once,
// each an *Error with its key path, message and, where known, the file line
// or environment variable that set it.
// FormatErrors prints them one per line for keygate check-config.
//
// Load also fills in what one section derives from another: webauthn.rp_id,
// when empty, becomes the primary cookie domain, and webauthn.Origins the
// origins of the portal URLs.
//
// Config does not apply the components' defaults (each component's New does),
// does not resolve relative paths (they are relative to the working
// directory), does not watch files, and creates nothing: loading only reads
// the config file and the secret files.
//
// Only cmd/keygate imports config. Config uses nothing of the components but
// their Config types and, through a one-method interface, their Validate
// methods. Each section goes to its component unchanged apart from the derived
// webauthn fields; Authz and UI build the two composed configurations.
package config
