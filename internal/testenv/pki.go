package testenv

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// PKI is a throwaway certificate authority and one server certificate it
// signed, written into Dir as the servers under test read them.
type PKI struct {
	Dir        string // holds the files below
	CAFile     string // ca.pem: the CA certificate
	CertFile   string // fullchain.pem: the server certificate
	KeyFile    string // privkey.pem: its key (PKCS #8)
	BundleFile string // bundle.pem: the certificate and then the key, as HAProxy reads them
	Pool       *x509.CertPool
}

// NewPKI makes a CA and a certificate for names (the first is also its common
// name), valid from an hour ago for a day, in a fresh temporary directory.
func NewPKI(t testing.TB, names ...string) PKI {
	t.Helper()
	caKey, ca := newCA(t)
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: serial(t),
		Subject:      pkix.Name{CommonName: names[0]},
		DNSNames:     names,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatalf("testenv: creating server certificate: %v", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("testenv: encoding server key: %v", err)
	}
	p := PKI{Dir: t.TempDir(), Pool: x509.NewCertPool()}
	p.Pool.AddCert(ca)
	p.CAFile = writePEM(t, filepath.Join(p.Dir, "ca.pem"), "CERTIFICATE", ca.Raw)
	p.CertFile = writePEM(t, filepath.Join(p.Dir, "fullchain.pem"), "CERTIFICATE", der)
	p.KeyFile = writePEM(t, filepath.Join(p.Dir, "privkey.pem"), "PRIVATE KEY", keyDER)
	p.BundleFile = filepath.Join(p.Dir, "bundle.pem")
	bundle := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})...)
	if err := os.WriteFile(p.BundleFile, bundle, 0o600); err != nil {
		t.Fatalf("testenv: writing %s: %v", p.BundleFile, err)
	}
	return p
}

func newCA(t testing.TB) (*ecdsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          serial(t),
		Subject:               pkix.Name{CommonName: "keygate test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("testenv: creating CA certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("testenv: parsing CA certificate: %v", err)
	}
	return key, cert
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("testenv: generating key: %v", err)
	}
	return key
}

func serial(t testing.TB) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		t.Fatalf("testenv: generating serial number: %v", err)
	}
	return n
}

func writePEM(t testing.TB, path, typ string, der []byte) string {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatalf("testenv: writing %s: %v", path, err)
	}
	return path
}
