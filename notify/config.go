package notify

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"strings"
)

// Config is the notifier section: exactly one of File and SMTP.Address is set.
type Config struct {
	// File appends one JSON object per message to this path. Empty means SMTP is used.
	File string     `koanf:"file"`
	SMTP SMTPConfig `koanf:"smtp"`
	// Templates is a directory whose identity-code.txt, identity-code.html,
	// invite.txt and invite.html replace the embedded mail templates of the
	// same name; a file it lacks keeps the embedded one. Empty means the
	// embedded templates. Only mail uses them.
	Templates string `koanf:"templates"`
}

// SMTPConfig delivers messages through a mail server.
type SMTPConfig struct {
	// Address is host:port. TLS.Mode says how TLS starts; STARTTLS is required
	// unless TLS.Insecure is set for a loopback server.
	Address string `koanf:"address"`
	// Username authenticates with Auth, over TLS only. Empty means no authentication.
	Username string `koanf:"username"`
	// Auth is the SASL mechanism: plain, login or cram-md5. Empty means plain.
	Auth string `koanf:"auth"`
	// Password authenticates to the server; PasswordFile reads it from a file instead.
	// Both empty means no authentication; at most one may be set.
	Password     string `koanf:"password"`
	PasswordFile string `koanf:"password_file"`
	// Sender is the From address, optionally with a name: "Keygate <keygate@example.com>".
	// Required.
	Sender string    `koanf:"sender"`
	TLS    TLSConfig `koanf:"tls"`
}

// TLSConfig tunes TLS to the mail server.
type TLSConfig struct {
	// Mode is starttls (upgrade a plain connection) or implicit (TLS from the
	// first byte). Empty means implicit on port 465 and starttls elsewhere.
	Mode string `koanf:"mode"`
	// ServerName overrides the name checked in the certificate. Empty means the host of Address.
	ServerName string `koanf:"server_name"`
	// CAFile is a PEM bundle of roots to trust. Empty means the system roots.
	CAFile string `koanf:"ca_file"`
	// Insecure allows a plain connection without STARTTLS, and an unverified certificate.
	// Only honoured for loopback addresses. False means TLS with a verified certificate.
	Insecure bool `koanf:"insecure"`
}

// Validate reports every problem in the notifier section at once, each naming
// its key path. It reads no files.
func (c Config) Validate() error {
	switch {
	case c.File == "" && c.SMTP.Address == "":
		return errors.New("notifier: set notifier.file (a JSON-lines file) or notifier.smtp.address (a mail server)")
	case c.File != "" && c.SMTP.Address != "":
		return errors.New("notifier: notifier.file and notifier.smtp.address are both set; want exactly one")
	case c.File != "":
		return nil
	}
	return c.SMTP.validate()
}

func (c SMTPConfig) validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	host, port, err := net.SplitHostPort(c.Address)
	if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
		add("notifier.smtp.address: %q: want host:port, such as mail.example.com:587", c.Address)
	} else if c.TLS.Insecure && !isLoopbackName(host) {
		add("notifier.smtp.tls.insecure: only allowed for a loopback server (127.0.0.1, ::1 or localhost), got host %q", host)
	}
	switch c.TLS.Mode {
	case "", "starttls", "implicit":
	default:
		add("notifier.smtp.tls.mode: %q: want starttls or implicit (empty: implicit on port 465, starttls elsewhere)", c.TLS.Mode)
	}
	switch strings.ToLower(c.Auth) {
	case "", "plain", "login", "cram-md5":
		if c.Auth != "" && c.Username == "" {
			add("notifier.smtp.auth: %q set without notifier.smtp.username", c.Auth)
		}
	default:
		add("notifier.smtp.auth: %q: want plain, login or cram-md5", c.Auth)
	}
	if c.Sender == "" {
		add("notifier.smtp.sender: required; want an address such as Keygate <keygate@example.com>")
	} else if _, err := mail.ParseAddress(c.Sender); err != nil {
		add("notifier.smtp.sender: %q: want an address such as Keygate <keygate@example.com>", c.Sender)
	}
	hasPassword := c.Password != "" || c.PasswordFile != ""
	switch {
	case c.Password != "" && c.PasswordFile != "":
		add("notifier.smtp.password and notifier.smtp.password_file are both set; want at most one")
	case c.Username != "" && !hasPassword:
		add("notifier.smtp.password: required with notifier.smtp.username (or set notifier.smtp.password_file)")
	case c.Username == "" && hasPassword:
		add("notifier.smtp.username: required with a password")
	}
	return errors.Join(errs...)
}

// isLoopbackName reports whether host is a loopback IP address or localhost.
func isLoopbackName(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
