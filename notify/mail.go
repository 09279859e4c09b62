package notify

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"
	"unicode"
)

// recipient parses To as exactly one address.
func recipient(s string) (*mail.Address, error) {
	if strings.ContainsFunc(s, unicode.IsControl) {
		return nil, fmt.Errorf("%w: %q", ErrRecipient, s)
	}
	addr, err := mail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %q", ErrRecipient, s)
	}
	return addr, nil
}

// compose renders m as a plain-text UTF-8 mail, quoted-printable encoded,
// with CRLF line ends.
func compose(from, to *mail.Address, m Message, now time.Time) ([]byte, error) {
	id, err := messageID(from.Address)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", from.String())
	header("To", to.String())
	header("Subject", mime.QEncoding.Encode("utf-8", oneLine(m.Subject)))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", id)
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	header("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(body(m))); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// body is m.Body, or a body made of the code and the link.
func body(m Message) string {
	if m.Body != "" {
		return strings.ReplaceAll(m.Body, "\r\n", "\n")
	}
	var b strings.Builder
	if m.Code != "" {
		fmt.Fprintf(&b, "Your code: %s\n", m.Code)
	}
	if m.Link != "" {
		fmt.Fprintf(&b, "Your link: %s\n", m.Link)
	}
	return b.String()
}

// oneLine turns control characters, line breaks included, into spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// messageID returns a random <id@domain> using the sender's domain.
func messageID(sender string) (string, error) {
	var r [16]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", fmt.Errorf("making message id: %w", err)
	}
	_, domain, _ := strings.Cut(sender, "@")
	return fmt.Sprintf("<%s@%s>", hex.EncodeToString(r[:]), cmp.Or(domain, "keygate")), nil
}
