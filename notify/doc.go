// Package notify delivers one-time codes and links to people: by mail through
// an SMTP server, or, for development and tests, as JSON lines appended to a
// file.
//
// The file notifier writes one JSON object per message with time (RFC 3339),
// user, to, subject, and code and/or link, each line in a single write under
// a mutex so lines never interleave. The file is created with mode 0600.
//
// The SMTP notifier opens one connection per message. It requires TLS: from
// the first byte on port 465, by STARTTLS on any other port. A server that
// offers no STARTTLS is refused, unless tls.insecure is set and the
// connection really goes to a loopback address; a password is never sent
// without TLS, and AUTH PLAIN is the only mechanism. Each message carries
// From, To, Subject, Date, a random Message-ID and a text/plain UTF-8 body.
//
// The package does not compose the codes or links, rate-limit, retry or
// queue: Send delivers now or returns an error, and stops when its context is
// done (30 s when the context has no deadline). It imports only the standard
// library; ui and cmd may import it.
package notify
