package notify

import (
	"bufio"
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
)

// fakeSMTP is a minimal mail server on loopback. With a certificate it offers
// STARTTLS (or speaks TLS at once when implicit), and AUTH PLAIN over TLS.
type fakeSMTP struct {
	cert     *tls.Certificate
	implicit bool
	silent   bool // accept and say nothing
	got      chan received
}

// received is what one session delivered.
type received struct {
	TLS  bool
	Auth string
	From string
	To   []string
	Data string
}

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
		case "EHLO":
			tp.PrintfLine("250-fake")
			if f.cert != nil && !r.TLS {
				tp.PrintfLine("250-STARTTLS")
			}
			if r.TLS {
				tp.PrintfLine("250-AUTH LOGIN PLAIN")
			}
			tp.PrintfLine("250 HELP")
		case "STARTTLS":
			tp.PrintfLine("220 go ahead")
			conn = tls.Server(conn, &tls.Config{Certificates: []tls.Certificate{*f.cert}})
			tp, r.TLS = textproto.NewConn(conn), true
		case "AUTH":
			creds, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(arg, "PLAIN "))
			r.Auth = string(creds)
			tp.PrintfLine("235 ok")
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
		case "QUIT":
			tp.PrintfLine("221 bye")
			return
		default:
			tp.PrintfLine("502 no")
		}
	}
}

// selfSigned returns a certificate for 127.0.0.1 and a PEM file holding it.
func selfSigned(t *testing.T) (*tls.Certificate, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, path
}

func TestSMTPNotifier(t *testing.T) {
	cert, caFile := selfSigned(t)
	tests := []struct {
		name     string
		server   fakeSMTP
		cfg      SMTPConfig // Address and Sender are filled in
		implicit bool
		wantTLS  bool
		wantAuth string
		wantErr  func(error) bool // nil: delivered
		timeout  time.Duration    // 0: 10 s
	}{
		{name: "STARTTLS with auth", server: fakeSMTP{cert: cert},
			cfg:     SMTPConfig{Username: "keygate", Password: "pw", TLS: TLSConfig{CAFile: caFile}},
			wantTLS: true, wantAuth: "\x00keygate\x00pw"},
		{name: "implicit TLS", server: fakeSMTP{cert: cert, implicit: true}, implicit: true,
			cfg: SMTPConfig{TLS: TLSConfig{CAFile: caFile}}, wantTLS: true},
		{name: "insecure loopback, self-signed", server: fakeSMTP{cert: cert},
			cfg: SMTPConfig{TLS: TLSConfig{Insecure: true}}, wantTLS: true},
		{name: "insecure loopback, plain", server: fakeSMTP{}, cfg: SMTPConfig{TLS: TLSConfig{Insecure: true}}},
		{name: "no STARTTLS", server: fakeSMTP{}, wantErr: is(ErrNoSTARTTLS)},
		{name: "no STARTTLS, insecure, with password", server: fakeSMTP{},
			cfg:     SMTPConfig{Username: "keygate", Password: "pw", TLS: TLSConfig{Insecure: true}},
			wantErr: is(ErrNoSTARTTLS)},
		{name: "untrusted certificate", server: fakeSMTP{cert: cert}, wantErr: unknownAuthority},
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
			n.(*smtpNotifier).implicitTLS = tt.implicit
			ctx, cancel := context.WithTimeout(context.Background(), cmp.Or(tt.timeout, 10*time.Second))
			defer cancel()
			m := Message{User: "alice", To: "Alice <alice@example.com>", Subject: "Your code ✓", Code: "1234 5678"}
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
		})
	}
}

func is(target error) func(error) bool {
	return func(err error) bool { return errors.Is(err, target) }
}

func unknownAuthority(err error) bool {
	return errors.As(err, new(x509.UnknownAuthorityError))
}

// checkEnvelope checks the envelope, headers and body of the test message.
func checkEnvelope(t *testing.T, got received) {
	t.Helper()
	if got.From != "FROM:<keygate@example.com>" || !gocmp.Equal(got.To, []string{"TO:<alice@example.com>"}) {
		t.Errorf("envelope: got %q %q", got.From, got.To)
	}
	msg, err := mail.ReadMessage(strings.NewReader(got.Data))
	if err != nil {
		t.Fatalf("reading the message: %v", err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	want := map[string]string{
		"From": `"Keygate" <keygate@example.com>`, "To": `"Alice" <alice@example.com>`, "Subject": "Your code ✓",
		"Content-Type": "text/plain; charset=utf-8", "Content-Transfer-Encoding": "quoted-printable",
	}
	for k := range want {
		if g := msg.Header.Get(k); k != "Subject" && g != want[k] || k == "Subject" && subject != want[k] {
			t.Errorf("header %s: got %q, want %q", k, g, want[k])
		}
	}
	if _, err := msg.Header.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	if id := msg.Header.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@example.com>") {
		t.Errorf("Message-ID: got %q, want <random@example.com>", id)
	}
	b, err := io.ReadAll(quotedprintable.NewReader(bufio.NewReader(msg.Body)))
	if err != nil || string(b) != "Your code: 1234 5678\n" { // the server reads CRLF as LF
		t.Errorf("body: got %q, %v, want %q", b, err, "Your code: 1234 5678\n")
	}
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
