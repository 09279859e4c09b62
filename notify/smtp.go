package notify

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/smtp"
	"os"
	"slices"
	"strings"
	"time"
)

// ErrNoSTARTTLS is returned when the mail server offers no STARTTLS and a
// plain connection is not allowed, or would carry a password.
var ErrNoSTARTTLS = errors.New("notify: mail server does not offer STARTTLS")

// ErrRecipient is returned for a message whose To is not one email address.
var ErrRecipient = errors.New("notify: invalid recipient address")

// sendTimeout bounds one delivery when the caller's context has no deadline.
const sendTimeout = 30 * time.Second

// smtpNotifier sends each message over a new connection to a mail server.
type smtpNotifier struct {
	address     string // host:port
	host        string // the host of address, for AUTH PLAIN
	implicitTLS bool   // port 465: TLS from the first byte
	insecure    bool   // plain or unverified TLS allowed, for loopback peers only
	tls         *tls.Config
	username    string
	password    string
	from        *mail.Address
	logger      *slog.Logger
}

var _ Notifier = (*smtpNotifier)(nil)

// newSMTPNotifier reads the password and CA files named by a validated cfg.
func newSMTPNotifier(cfg SMTPConfig, logger *slog.Logger) (*smtpNotifier, error) {
	host, port, _ := net.SplitHostPort(cfg.Address)
	from, _ := mail.ParseAddress(cfg.Sender)
	n := &smtpNotifier{
		address:     cfg.Address,
		host:        host,
		implicitTLS: port == "465",
		insecure:    cfg.TLS.Insecure,
		tls:         &tls.Config{ServerName: cmp.Or(cfg.TLS.ServerName, host), MinVersion: tls.VersionTLS12},
		username:    cfg.Username,
		password:    cfg.Password,
		from:        from,
		logger:      logger,
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
	to, err := recipient(m.To)
	if err != nil {
		return err
	}
	msg, err := compose(n.from, to, m, time.Now())
	if err != nil {
		return err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, sendTimeout)
		defer cancel()
	}
	if err := n.deliver(ctx, to.Address, msg); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("sending mail: %w: %w", ctx.Err(), err)
		}
		return fmt.Errorf("sending mail: %w", err)
	}
	n.logger.Info("mail sent", "user", m.User, "subject", m.Subject)
	return nil
}

// deliver runs the SMTP session. Every read and write stops when ctx is done.
func (n *smtpNotifier) deliver(ctx context.Context, to string, msg []byte) error {
	conn, err := n.dial(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// Cut the connection only once ctx is done, so that a failed read or
	// write can always be told apart from a timeout by ctx.Err().
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	c, err := smtp.NewClient(conn, n.host)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := n.secure(c, conn); err != nil {
		return err
	}
	if err := n.auth(c); err != nil {
		return err
	}
	return send(c, n.from.Address, to, msg)
}

// dial connects to the server, with TLS from the start on port 465.
func (n *smtpNotifier) dial(ctx context.Context) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", n.address)
	if err != nil || !n.implicitTLS {
		return conn, err
	}
	tc := tls.Client(conn, n.tlsConfig(conn))
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return tc, nil
}

// tlsConfig skips certificate checks only when insecure is set and conn
// really goes to a loopback address.
func (n *smtpNotifier) tlsConfig(conn net.Conn) *tls.Config {
	if !n.insecure || !isLoopbackConn(conn) {
		return n.tls
	}
	cfg := n.tls.Clone()
	cfg.InsecureSkipVerify = true
	return cfg
}

// secure upgrades the connection with STARTTLS. Without STARTTLS it goes on
// in plain text only for an insecure loopback server.
func (n *smtpNotifier) secure(c *smtp.Client, conn net.Conn) error {
	if n.implicitTLS {
		return nil
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		return c.StartTLS(n.tlsConfig(conn))
	}
	if n.insecure && isLoopbackConn(conn) {
		return nil
	}
	return ErrNoSTARTTLS
}

// auth authenticates with AUTH PLAIN, and only over TLS.
func (n *smtpNotifier) auth(c *smtp.Client) error {
	if n.username == "" {
		return nil
	}
	if _, isTLS := c.TLSConnectionState(); !isTLS {
		return fmt.Errorf("%w: refusing to send the password in plain text", ErrNoSTARTTLS)
	}
	if ok, mechs := c.Extension("AUTH"); !ok || !slices.Contains(strings.Fields(strings.ToUpper(mechs)), "PLAIN") {
		return errors.New("mail server does not offer AUTH PLAIN")
	}
	return c.Auth(smtp.PlainAuth("", n.username, n.password, n.host))
}

// send runs MAIL, RCPT, DATA and QUIT.
func send(c *smtp.Client, from, to string, msg []byte) error {
	if err := c.Mail(from); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// isLoopbackConn reports whether conn's peer is a loopback address.
func isLoopbackConn(conn net.Conn) bool {
	addr, ok := conn.RemoteAddr().(*net.TCPAddr)
	return ok && addr.IP.IsLoopback()
}
