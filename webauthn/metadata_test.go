package webauthn

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"
	"github.com/fxamacker/cbor/v2"
	"github.com/google/uuid"
)

// testCA is a root and a signing certificate standing in for the FIDO
// Alliance's, to sign test metadata blobs.
type testCA struct {
	root, leaf *x509.Certificate
	key        *ecdsa.PrivateKey
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	rootKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := func(serial int64, cn string, ca bool) *x509.Certificate {
		return &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			IsCA: ca, BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		}
	}
	rootTmpl := tmpl(1, "Test MDS Root", true)
	rootDER, err := x509.CreateCertificate(rand.Reader, rootTmpl, rootTmpl, &rootKey.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := x509.ParseCertificate(rootDER)
	leafDER, err := x509.CreateCertificate(rand.Reader, tmpl(2, "Test MDS Signer", false), root, &leafKey.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(leafDER)
	return &testCA{root: root, leaf: leaf, key: leafKey}
}

func (ca *testCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.root)
	return p
}

// sign returns a compact JWS of payload with an x5c chain.
func (ca *testCA) sign(t *testing.T, payload any) []byte {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	header := map[string]any{"alg": "ES256", "typ": "JWT", "x5c": []string{
		base64.StdEncoding.EncodeToString(ca.leaf.Raw), base64.StdEncoding.EncodeToString(ca.root.Raw),
	}}
	input := enc(header) + "." + enc(payload)
	digest := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, ca.key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	return []byte(input + "." + base64.RawURLEncoding.EncodeToString(sig))
}

var (
	certifiedAAGUID = uuid.MustParse("11111111-2222-4333-8444-555555555555")
	revokedAAGUID   = uuid.MustParse("99999999-8888-4777-8666-555555555555")
)

func testBlob() map[string]any {
	entry := func(id uuid.UUID, name, status string) map[string]any {
		return map[string]any{
			"aaguid": id.String(),
			"metadataStatement": map[string]any{
				"description": name, "aaguid": id.String(), "schema": 3,
				"attestationTypes": []string{"basic_full", "basic_surrogate"},
			},
			"statusReports":          []map[string]any{{"status": status, "effectiveDate": "2020-01-01"}},
			"timeOfLastStatusChange": "2020-01-01",
		}
	}
	return map[string]any{
		"legalHeader": "test", "no": 1, "nextUpdate": "2099-01-01",
		"entries": []any{
			entry(certifiedAAGUID, "Certified Test Key", "FIDO_CERTIFIED"),
			entry(revokedAAGUID, "Revoked Test Key", "REVOKED"),
		},
	}
}

func TestParseMetadata(t *testing.T) {
	ca := newTestCA(t)
	idx, err := parseMetadata(ca.sign(t, testBlob()), ca.pool(), time.Now())
	if err != nil {
		t.Fatalf("parseMetadata: %v", err)
	}
	if got := idx.name(certifiedAAGUID); got != "Certified Test Key" {
		t.Errorf("name: got %q, want Certified Test Key", got)
	}
	if err := idx.checkStatus(certifiedAAGUID, time.Now()); err != nil {
		t.Errorf("checkStatus of a certified model: %v", err)
	}
	if err := idx.checkStatus(revokedAAGUID, time.Now()); err == nil {
		t.Error("checkStatus of a revoked model: got nil error")
	}
	if err := idx.checkStatus(uuid.New(), time.Now()); err != nil {
		t.Errorf("checkStatus of an unlisted model: %v", err)
	}
}

func TestParseMetadataRefusals(t *testing.T) {
	ca, other := newTestCA(t), newTestCA(t)
	good := string(ca.sign(t, testBlob()))
	parts := strings.Split(good, ".")
	tampered := testBlob()
	tampered["no"] = 2
	tamperedParts := strings.Split(string(ca.sign(t, tampered)), ".")
	tests := map[string]struct {
		blob string
		when time.Time
	}{
		"other root":        {string(other.sign(t, testBlob())), time.Now()},
		"payload swapped":   {parts[0] + "." + tamperedParts[1] + "." + parts[2], time.Now()},
		"not a jws":         {"hello", time.Now()},
		"bad header":        {"!!." + parts[1] + "." + parts[2], time.Now()},
		"expired signer":    {good, time.Now().Add(48 * time.Hour)},
		"no x5c":            {base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES256"}`)) + "." + parts[1] + "." + parts[2], time.Now()},
		"bad signature b64": {parts[0] + "." + parts[1] + ".%%%", time.Now()},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := parseMetadata([]byte(tc.blob), ca.pool(), tc.when); err == nil {
				t.Error("got nil error")
			}
		})
	}
}

func TestLoadMetadataUsesProductionRoot(t *testing.T) {
	ca := newTestCA(t)
	path := filepath.Join(t.TempDir(), "blob.jwt")
	if err := os.WriteFile(path, ca.sign(t, testBlob()), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadMetadata(path, time.Now()); err == nil {
		t.Error("a blob not signed under the FIDO root was accepted")
	}
}

// withMetadata gives e's relying party a metadata blob signed by a test CA.
func withMetadata(t *testing.T, e *env) {
	t.Helper()
	ca := newTestCA(t)
	idx, err := parseMetadata(ca.sign(t, testBlob()), ca.pool(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	e.rp.mds = idx
	if e.rp.wa, err = newLibrary(e.rp.cfg, idx.provider); err != nil {
		t.Fatal(err)
	}
}

func TestRegistrationWithMetadata(t *testing.T) {
	tests := []struct {
		name     string
		aaguid   uuid.UUID
		none     bool // the browser stripped the attestation (conveyance "none")
		code     string
		wantName string
	}{
		{"certified", certifiedAAGUID, false, "", "Certified Test Key"},
		{"certified, no attestation", certifiedAAGUID, true, "", "Certified Test Key"},
		{"unlisted", uuid.MustParse("ee882879-721c-4913-9775-3dfcce97072a"), false, "", "YubiKey 5 Series"},
		{"revoked", revokedAAGUID, false, "authenticator_refused", ""},
		{"revoked, no attestation", revokedAAGUID, true, "authenticator_refused", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			withMetadata(t, e)
			d := newDevice(virtualwebauthn.KeyTypeEC2)
			d.auth.Aaguid = tc.aaguid
			state, resp := e.attest("alice", d, "Key")
			if tc.none {
				resp = stripAttestation(t, resp)
			}
			s, err := e.rp.FinishRegistration(context.Background(), "alice", state, resp, "")
			wantCode(t, err, tc.code)
			if s.Authenticator != tc.wantName {
				t.Errorf("authenticator: got %q, want %q", s.Authenticator, tc.wantName)
			}
			if err != nil {
				return
			}
			d.cred.Counter = 1
			if _, err := e.login("alice", d); err != nil {
				t.Errorf("sign-in with metadata: %v", err)
			}
		})
	}
}

// stripAttestation rewrites a registration response's attestation object to
// the "none" format, as a browser does under attestation conveyance "none".
func stripAttestation(t *testing.T, resp []byte) []byte {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal(resp, &body); err != nil {
		t.Fatal(err)
	}
	response := body["response"].(map[string]any)
	raw, err := base64.RawURLEncoding.DecodeString(response["attestationObject"].(string))
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := cbor.Unmarshal(raw, &obj); err != nil {
		t.Fatal(err)
	}
	obj["fmt"], obj["attStmt"] = "none", map[string]any{}
	if raw, err = cbor.Marshal(obj); err != nil {
		t.Fatal(err)
	}
	response["attestationObject"] = base64.RawURLEncoding.EncodeToString(raw)
	return mustJSON(t, body)
}
