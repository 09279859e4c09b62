package notify

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/keygate/keygate/internal/testenv"
)

// fakeSMTP is a small mail server on loopback. With a certificate it offers
// STARTTLS (or speaks TLS at once when implicit), and over TLS AUTH PLAIN,
// LOGIN and CRAM-MD5, checking the credentials against username and password.
type fakeSMTP struct {
	cert     *tls.Certificate
	implicit bool
	silent   bool // accept and say nothing
	got      chan received
}

// received is what one session delivered.
type received struct {
	TLS  bool
	Auth string // "MECHANISM username" once authenticated
	From string
	To   []string
	Data string
}

const (
	fakeUser     = "keygate"
	fakePassword = "pw"
)

func (f *fakeSMTP) start(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	f.got = make(chan received, 1)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go f.serve(conn)
		}
	}()
	return ln.Addr().String()
}

func (f *fakeSMTP) serve(conn net.Conn) {
	defer func() { conn.Close() }()
	if f.silent {
		io.Copy(io.Discard, conn)
		return
	}
	var r received
	if f.implicit {
		conn = tls.Server(conn, &tls.Config{Certificates: []tls.Certificate{*f.cert}})
		r.TLS = true
	}
	tp := textproto.NewConn(conn)
	tp.PrintfLine("220 fake ESMTP")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			tp.PrintfLine("250-fake")
			if f.cert != nil && !r.TLS {
				tp.PrintfLine("250-STARTTLS")
			}
			if r.TLS {
				tp.PrintfLine("250-AUTH PLAIN LOGIN CRAM-MD5")
			}
			tp.PrintfLine("250 8BITMIME")
		case "STARTTLS":
			tp.PrintfLine("220 go ahead")
			conn = tls.Server(conn, &tls.Config{Certificates: []tls.Certificate{*f.cert}})
			tp, r.TLS = textproto.NewConn(conn), true
		case "AUTH":
			if !r.TLS {
				tp.PrintfLine("538 encryption required")
				continue
			}
			if mech, ok := authenticate(tp, arg); ok {
				r.Auth = mech + " " + fakeUser
				tp.PrintfLine("235 ok")
			} else {
				tp.PrintfLine("535 bad credentials")
			}
		case "MAIL":
			r.From = arg
			tp.PrintfLine("250 ok")
		case "RCPT":
			r.To = append(r.To, arg)
			tp.PrintfLine("250 ok")
		case "DATA":
			tp.PrintfLine("354 go on")
			data, _ := tp.ReadDotBytes()
			r.Data = string(data)
			tp.PrintfLine("250 queued")
			f.got <- r
		case "RSET", "NOOP":
			tp.PrintfLine("250 ok")
		case "QUIT":
			tp.PrintfLine("221 bye")
			return
		default:
			tp.PrintfLine("502 no")
		}
	}
}

// authenticate runs one AUTH exchange and reports the mechanism and whether
// the credentials were right.
func authenticate(tp *textproto.Conn, arg string) (string, bool) {
	mech, initial, _ := strings.Cut(arg, " ")
	ask := func(challenge string) string {
		tp.PrintfLine("334 %s", base64.StdEncoding.EncodeToString([]byte(challenge)))
		line, _ := tp.ReadLine()
		b, _ := base64.StdEncoding.DecodeString(line)
		return string(b)
	}
	switch strings.ToUpper(mech) {
	case "PLAIN":
		b, _ := base64.StdEncoding.DecodeString(initial)
		creds := string(b)
		if initial == "" {
			creds = ask("")
		}
		return "PLAIN", creds == "\x00"+fakeUser+"\x00"+fakePassword
	case "LOGIN":
		user := ask("Username:")
		return "LOGIN", user == fakeUser && ask("Password:") == fakePassword
	case "CRAM-MD5":
		challenge := "<1896.697170952@fake.test>"
		user, digest, _ := strings.Cut(ask(challenge), " ")
		mac := hmac.New(md5.New, []byte(fakePassword))
		mac.Write([]byte(challenge))
		return "CRAM-MD5", user == fakeUser && digest == hex.EncodeToString(mac.Sum(nil))
	}
	return mech, false
}

func TestSMTPNotifier(t *testing.T) {
	pki := testenv.NewPKI(t, "mail.test")
	pair, err := tls.LoadX509KeyPair(pki.CertFile, pki.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	cert := &pair
	trusted := TLSConfig{ServerName: "mail.test", CAFile: pki.CAFile}
	withAuth := func(mech string, tc TLSConfig) SMTPConfig {
		return SMTPConfig{Username: fakeUser, Password: fakePassword, Auth: mech, TLS: tc}
	}
	tests := []struct {
		name     string
		server   fakeSMTP
		cfg      SMTPConfig // Address and Sender are filled in
		wantTLS  bool
		wantAuth string
		wantErr  func(error) bool // nil: delivered
		timeout  time.Duration    // 0: 10 s
	}{
		{name: "STARTTLS, AUTH PLAIN", server: fakeSMTP{cert: cert}, cfg: withAuth("", trusted),
			wantTLS: true, wantAuth: "PLAIN keygate"},
		{name: "STARTTLS, AUTH LOGIN", server: fakeSMTP{cert: cert}, cfg: withAuth("login", trusted),
			wantTLS: true, wantAuth: "LOGIN keygate"},
		{name: "STARTTLS, AUTH CRAM-MD5", server: fakeSMTP{cert: cert}, cfg: withAuth("cram-md5", trusted),
			wantTLS: true, wantAuth: "CRAM-MD5 keygate"},
		{name: "implicit TLS, AUTH PLAIN", server: fakeSMTP{cert: cert, implicit: true},
			cfg:     withAuth("plain", TLSConfig{Mode: "implicit", ServerName: "mail.test", CAFile: pki.CAFile}),
			wantTLS: true, wantAuth: "PLAIN keygate"},
		{name: "implicit TLS, no auth", server: fakeSMTP{cert: cert, implicit: true},
			cfg: SMTPConfig{TLS: TLSConfig{Mode: "implicit", ServerName: "mail.test", CAFile: pki.CAFile}}, wantTLS: true},
		{name: "wrong password", server: fakeSMTP{cert: cert},
			cfg:     SMTPConfig{Username: fakeUser, Password: "nope", TLS: trusted},
			wantErr: func(err error) bool { return err != nil && strings.Contains(err.Error(), "535") }},
		{name: "insecure loopback, untrusted certificate", server: fakeSMTP{cert: cert},
			cfg: SMTPConfig{TLS: TLSConfig{Insecure: true}}, wantTLS: true},
		{name: "insecure loopback, plain", server: fakeSMTP{}, cfg: SMTPConfig{TLS: TLSConfig{Insecure: true}}},
		{name: "no STARTTLS", server: fakeSMTP{}, wantErr: is(ErrNoSTARTTLS)},
		{name: "no STARTTLS, insecure, with password", server: fakeSMTP{},
			cfg: withAuth("", TLSConfig{Insecure: true}), wantErr: is(ErrNoSTARTTLS)},
		{name: "untrusted certificate", server: fakeSMTP{cert: cert}, cfg: SMTPConfig{TLS: TLSConfig{ServerName: "mail.test"}},
			wantErr: unknownAuthority},
		{name: "wrong server name", server: fakeSMTP{cert: cert}, cfg: SMTPConfig{TLS: TLSConfig{CAFile: pki.CAFile}},
			wantErr: func(err error) bool { return errors.As(err, new(x509.HostnameError)) }},
		{name: "silent server", server: fakeSMTP{silent: true}, wantErr: is(context.DeadlineExceeded),
			timeout: 100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Address = tt.server.start(t)
			tt.cfg.Sender = "Keygate <keygate@example.com>"
			n, err := New(Config{SMTP: tt.cfg}, nil)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), cmp.Or(tt.timeout, 10*time.Second))
			defer cancel()
			m := Message{User: "alice", To: "Alice <alice@example.com>", Subject: "Your code ✓", Name: "Example <Login>",
				Code: "1234 5678", Lifetime: 10 * time.Minute}
			err = n.Send(ctx, m)
			if tt.wantErr != nil {
				if !tt.wantErr(err) {
					t.Fatalf("Send: got %v, want another error", err)
				}
				if len(tt.server.got) > 0 {
					t.Errorf("the server received a message despite %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := <-tt.server.got
			if got.TLS != tt.wantTLS || got.Auth != tt.wantAuth {
				t.Errorf("TLS, auth: got %v, %q, want %v, %q", got.TLS, got.Auth, tt.wantTLS, tt.wantAuth)
			}
			checkEnvelope(t, got)
			text, html := bodies(t, got.Data)
			for _, want := range []string{"Your Example <Login> verification code is:", "    1234 5678", "valid for 10 minutes"} {
				if !strings.Contains(text, want) {
					t.Errorf("text body %q lacks %q", text, want)
				}
			}
			for _, want := range []string{"Example &lt;Login&gt;", "<strong>1234 5678</strong>", "valid for 10 minutes"} {
				if !strings.Contains(html, want) {
					t.Errorf("HTML body %q lacks %q", html, want)
				}
			}
		})
	}
}

func is(target error) func(error) bool {
	return func(err error) bool { return errors.Is(err, target) }
}

func unknownAuthority(err error) bool {
	return errors.As(err, new(x509.UnknownAuthorityError))
}

// checkEnvelope checks the envelope and headers of the test message.
func checkEnvelope(t *testing.T, got received) {
	t.Helper()
	if !strings.HasPrefix(got.From, "FROM:<keygate@example.com>") || !gocmp.Equal(got.To, []string{"TO:<alice@example.com>"}) {
		t.Errorf("envelope: got %q %q", got.From, got.To)
	}
	msg, err := mail.ReadMessage(strings.NewReader(got.Data))
	if err != nil {
		t.Fatalf("reading the message: %v", err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	from, _ := mail.ParseAddress(msg.Header.Get("From"))
	to, _ := mail.ParseAddress(msg.Header.Get("To"))
	gotHeaders := map[string]string{"Subject": subject, "From": from.String(), "To": to.String(),
		"Auto-Submitted": msg.Header.Get("Auto-Submitted")}
	want := map[string]string{"Subject": "Your code ✓", "From": `"Keygate" <keygate@example.com>`,
		"To": `"Alice" <alice@example.com>`, "Auto-Submitted": "auto-generated"}
	if diff := gocmp.Diff(want, gotHeaders); diff != "" {
		t.Errorf("headers (-want +got):\n%s", diff)
	}
	if _, err := msg.Header.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	if id := msg.Header.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@example.com>") {
		t.Errorf("Message-ID: got %q, want <random@example.com>", id)
	}
}

// bodies returns the text/plain and text/html parts of a multipart/alternative mail.
func bodies(t *testing.T, data string) (text, html string) {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type: got %q (%v), want multipart/alternative", mediaType, err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart() // decodes quoted-printable
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		switch ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); ct {
		case "text/plain":
			text = string(b)
		case "text/html":
			html = string(b)
		}
	}
	if text == "" || html == "" {
		t.Fatalf("parts: text %q, html %q; want both", text, html)
	}
	return text, html
}

func TestSMTPBadRecipient(t *testing.T) {
	n, err := New(Config{SMTP: SMTPConfig{Address: "127.0.0.1:1", Sender: "k@example.com"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{"", "alice", "a@example.com\r\nBcc: b@example.com", "a@example.com, b@example.com"} {
		if err := n.Send(context.Background(), Message{To: to}); !errors.Is(err, ErrRecipient) {
			t.Errorf("Send to %q: got %v, want %v", to, err, ErrRecipient)
		}
	}
}
