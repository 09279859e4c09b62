package notify

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"os"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// ErrNoSTARTTLS is returned when the mail server offers no STARTTLS and a
// plain connection is not allowed, or would carry a password.
var ErrNoSTARTTLS = errors.New("notify: mail server does not offer STARTTLS")

// ErrRecipient is returned for a message whose To is not one email address.
var ErrRecipient = errors.New("notify: invalid recipient address")

// errNotLoopback refuses tls.insecure for a name that did not resolve to loopback.
var errNotLoopback = errors.New("notify: tls.insecure is set but the mail server is not on a loopback address")

// sendTimeout bounds one delivery when the caller's context has no deadline.
const sendTimeout = 30 * time.Second

// smtpNotifier sends each message over a new connection to a mail server.
type smtpNotifier struct {
	host        string
	port        int
	implicitTLS bool // TLS from the first byte
	insecure    bool // plain or unverified TLS allowed, for loopback peers only
	tls         *tls.Config
	auth        gomail.SMTPAuthType // empty: no authentication
	username    string
	password    string
	from        *mail.Address
	templates   *templates
	logger      *slog.Logger
}

var _ Notifier = (*smtpNotifier)(nil)

// authTypes maps notifier.smtp.auth to the mechanisms of the mail library.
var authTypes = map[string]gomail.SMTPAuthType{
	"": gomail.SMTPAuthPlain, "plain": gomail.SMTPAuthPlain,
	"login": gomail.SMTPAuthLogin, "cram-md5": gomail.SMTPAuthCramMD5,
}

// newSMTPNotifier reads the password, CA and template files named by a validated cfg.
func newSMTPNotifier(cfg SMTPConfig, tmpl *templates, logger *slog.Logger) (*smtpNotifier, error) {
	host, port, _ := net.SplitHostPort(cfg.Address)
	portNum, _ := strconv.Atoi(port)
	from, _ := mail.ParseAddress(cfg.Sender)
	n := &smtpNotifier{
		host:        host,
		port:        portNum,
		implicitTLS: cfg.TLS.Mode == "implicit" || cfg.TLS.Mode == "" && port == "465",
		insecure:    cfg.TLS.Insecure,
		tls: &tls.Config{ServerName: cmp.Or(cfg.TLS.ServerName, host), MinVersion: tls.VersionTLS12,
			InsecureSkipVerify: cfg.TLS.Insecure}, // only ever used on a loopback connection, see dial
		username:  cfg.Username,
		password:  cfg.Password,
		from:      from,
		templates: tmpl,
		logger:    logger,
	}
	if cfg.Username != "" {
		n.auth = authTypes[strings.ToLower(cfg.Auth)]
	}
	if cfg.PasswordFile != "" {
		b, err := os.ReadFile(cfg.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("reading notifier.smtp.password_file: %w", err)
		}
		n.password = strings.TrimRight(string(b), "\r\n")
	}
	if cfg.TLS.CAFile != "" {
		pem, err := os.ReadFile(cfg.TLS.CAFile)
		if err != nil {
			return nil, fmt.Errorf("reading notifier.smtp.tls.ca_file: %w", err)
		}
		n.tls.RootCAs = x509.NewCertPool()
		if !n.tls.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("notifier.smtp.tls.ca_file %s: no PEM certificate found", cfg.TLS.CAFile)
		}
	}
	return n, nil
}

// Send delivers m in one SMTP session: connect, secure, authenticate, send, quit.
func (n *smtpNotifier) Send(ctx context.Context, m Message) error {
	msg, err := n.message(m)
	if err != nil {
		return err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, sendTimeout)
		defer cancel()
	}
	if err := n.deliver(ctx, msg); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("sending mail: %w: %w", ctx.Err(), err)
		}
		if errors.Is(err, os.ErrDeadlineExceeded) { // the connection's deadline is the context's
			return fmt.Errorf("sending mail: %w: %w", context.DeadlineExceeded, err)
		}
		return fmt.Errorf("sending mail: %w", err)
	}
	n.logger.Info("mail sent", "user", m.User, "kind", m.kind(), "subject", m.Subject)
	return nil
}

// message builds the mail: headers, and the text and HTML bodies from the templates.
func (n *smtpNotifier) message(m Message) (*gomail.Msg, error) {
	to, err := recipient(m.To)
	if err != nil {
		return nil, err
	}
	text, html, err := n.templates.render(m)
	if err != nil {
		return nil, err
	}
	id, err := messageID(n.from.Address)
	if err != nil {
		return nil, err
	}
	msg := gomail.NewMsg()
	if err := msg.FromFormat(n.from.Name, n.from.Address); err != nil {
		return nil, fmt.Errorf("notifier.smtp.sender: %w", err)
	}
	if err := msg.AddToFormat(to.Name, to.Address); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRecipient, err)
	}
	msg.Subject(oneLine(m.Subject))
	msg.SetDate()
	msg.SetMessageIDWithValue(id)
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, text)
	msg.AddAlternativeString(gomail.TypeTextHTML, html)
	return msg, nil
}

// deliver runs the SMTP session; it ends by the deadline of ctx.
func (n *smtpNotifier) deliver(ctx context.Context, msg *gomail.Msg) error {
	deadline, _ := ctx.Deadline()
	opts := []gomail.Option{
		gomail.WithPort(n.port),
		gomail.WithTimeout(max(time.Until(deadline), time.Millisecond)),
		gomail.WithTLSConfig(n.tls),
		gomail.WithDialContextFunc(func(dialCtx context.Context, network, address string) (net.Conn, error) {
			return n.dial(dialCtx, ctx, network, address)
		}),
		gomail.WithTLSPolicy(n.tlsPolicy()),
	}
	if n.implicitTLS {
		opts = append(opts, gomail.WithSSL())
	}
	if n.auth != "" {
		opts = append(opts, gomail.WithSMTPAuth(n.auth), gomail.WithUsername(n.username), gomail.WithPassword(n.password))
	}
	c, err := gomail.NewClient(n.host, opts...)
	if err != nil {
		return err
	}
	err = c.DialAndSendWithContext(ctx, msg)
	if err != nil && strings.Contains(err.Error(), "does not support STARTTLS") {
		return fmt.Errorf("%w: %w", ErrNoSTARTTLS, err)
	}
	return err
}

// tlsPolicy requires STARTTLS unless the server is an insecure loopback relay
// and no password is sent.
func (n *smtpNotifier) tlsPolicy() gomail.TLSPolicy {
	if n.insecure && n.auth == "" {
		return gomail.TLSOpportunistic
	}
	return gomail.TLSMandatory
}

// dial connects to the server within dialCtx, with TLS from the first byte
// when implicit, and cuts the connection once sendCtx is done. With
// tls.insecure it refuses a peer that is not on a loopback address.
func (n *smtpNotifier) dial(dialCtx, sendCtx context.Context, network, address string) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(dialCtx, network, address)
	if err != nil {
		return nil, err
	}
	if n.insecure && !isLoopbackConn(conn) {
		conn.Close()
		return nil, errNotLoopback
	}
	// The mail library sets its own deadlines from sendCtx's; this also ends
	// the session when sendCtx is cancelled.
	context.AfterFunc(sendCtx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	if !n.implicitTLS {
		return conn, nil
	}
	tc := tls.Client(conn, n.tls)
	if err := tc.HandshakeContext(dialCtx); err != nil {
		conn.Close()
		return nil, err
	}
	return tc, nil
}

// isLoopbackConn reports whether conn's peer is a loopback address.
func isLoopbackConn(conn net.Conn) bool {
	addr, ok := conn.RemoteAddr().(*net.TCPAddr)
	return ok && addr.IP.IsLoopback()
}

// messageID returns a random id@domain using the sender's domain.
func messageID(sender string) (string, error) {
	var r [16]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", fmt.Errorf("making message id: %w", err)
	}
	_, domain, _ := strings.Cut(sender, "@")
	return fmt.Sprintf("%s@%s", hex.EncodeToString(r[:]), cmp.Or(domain, "keygate")), nil
}
