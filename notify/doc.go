// Package notify delivers one-time codes and links to people: by mail through
// an SMTP server, or, for development and tests, as JSON lines appended to a
// file.
//
// The file notifier writes one JSON object per message with time (RFC 3339),
// user, to, subject, and code and/or link, each line in a single write under
// a mutex so lines never interleave. The file is created with mode 0600.
//
// The SMTP notifier speaks SMTP through the go-mail library, imported only in
// smtp.go, and opens one connection per message. It requires TLS: from the
// first byte (tls.mode implicit, the default on port 465) or by STARTTLS
// (tls.mode starttls, the default elsewhere). A server that offers no
// STARTTLS is refused, unless tls.insecure is set and the connection really
// goes to a loopback address; a password is never sent without TLS. AUTH is
// PLAIN, LOGIN or CRAM-MD5. Each message carries From, To, Subject, Date, a
// random Message-ID on the sender's domain, Auto-Submitted, and a
// multipart/alternative body: text from KIND.txt (text/template) and HTML
// from KIND.html (html/template, so values are escaped), where KIND is the
// message's Kind (identity-code or invite). The templates are embedded and
// parsed once at New; notifier.templates names a directory whose files of the
// same names replace them one by one. A template that does not parse stops
// New; one that names an unknown field fails the Send.
//
// The package does not compose the codes or links, rate-limit, retry or
// queue: Send delivers now or returns an error, and stops when its context is
// done (30 s when the context has no deadline). ui and cmd may import it.
package notify
