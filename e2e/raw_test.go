package e2e

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/keygate/keygate/internal/testenv"
)

// rawTimeout bounds one raw exchange with a proxy.
const rawTimeout = 10 * time.Second

// dialTLS opens a TLS connection to p's HTTPS listener with SNI app.example.com,
// offering only alpn.
func dialTLS(p proxy, pki testenv.PKI, alpn string) (*tls.Conn, error) {
	d := &net.Dialer{Timeout: rawTimeout}
	conn, err := tls.DialWithDialer(d, "tcp", p.https, &tls.Config{
		ServerName: "app.example.com", RootCAs: pki.Pool, NextProtos: []string{alpn}, MinVersion: tls.VersionTLS12,
	})
	if err != nil {
		return nil, err
	}
	_ = conn.SetDeadline(time.Now().Add(rawTimeout))
	return conn, nil
}

// sendHTTP1 writes head (a request line and header lines, each ending in CRLF,
// without the empty line that ends the head) to p and returns the status of the
// answer, 0 when the proxy closed or reset the connection without one.
func sendHTTP1(p proxy, pki testenv.PKI, head string) (int, error) {
	conn, err := dialTLS(p, pki, "http/1.1")
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	// A proxy may answer and close before it has read a long head: the write
	// then fails, and the answer, if any, is still there to read.
	_, _ = io.WriteString(conn, head+"\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0, nil // no answer: the proxy closed or reset
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// field is one header field of an HTTP/2 request, pseudo-headers included,
// sent as it is (HPACK literals, no validation).
type field struct{ name, value string }

// sendHTTP2 sends one request of fields on a new HTTP/2 connection to p and
// returns the answer's :status, 0 when the stream or connection was reset.
func sendHTTP2(p proxy, pki testenv.PKI, fields []field) (int, error) {
	conn, err := dialTLS(p, pki, "h2")
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	if got := conn.ConnectionState().NegotiatedProtocol; got != "h2" {
		return 0, fmt.Errorf("%s negotiated %q, want h2", p.name, got)
	}
	if _, err := io.WriteString(conn, http2.ClientPreface); err != nil {
		return 0, err
	}
	fr := http2.NewFramer(conn, conn)
	if err := fr.WriteSettings(); err != nil {
		return 0, err
	}
	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	for _, f := range fields {
		if err := enc.WriteField(hpack.HeaderField{Name: f.name, Value: f.value}); err != nil {
			return 0, err
		}
	}
	err = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block.Bytes(), EndStream: true, EndHeaders: true})
	if err != nil {
		return 0, err
	}
	return readHTTP2Status(fr)
}

// readHTTP2Status reads frames until the answer's headers on stream 1 arrive
// and returns their :status; 0 when the stream or connection ends first.
func readHTTP2Status(fr *http2.Framer) (int, error) {
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	for {
		f, err := fr.ReadFrame()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				_ = fr.WriteSettingsAck()
			}
		case *http2.MetaHeadersFrame:
			if f.StreamID == 1 {
				return strconv.Atoi(f.PseudoValue("status"))
			}
		case *http2.RSTStreamFrame, *http2.GoAwayFrame:
			return 0, nil
		}
	}
}

// sendPlain writes head (as for sendHTTP1) to p's plain-HTTP listener and
// returns the answer's status, 0 when there is none.
func sendPlain(t *testing.T, p proxy, head string) int {
	t.Helper()
	conn, err := net.DialTimeout("tcp", p.http, rawTimeout)
	if err != nil {
		t.Fatalf("dialling %s: %v", p.http, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(rawTimeout))
	_, _ = io.WriteString(conn, head+"Connection: close\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
