package webauthn

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/metadata"
	"github.com/go-webauthn/webauthn/metadata/providers/memory"
	"github.com/google/uuid"
)

// mdsIndex is a verified FIDO metadata blob: the models it names and their
// status, and a provider the library uses to check attestation trust paths.
type mdsIndex struct {
	entries    map[uuid.UUID]*metadata.Entry
	provider   metadata.Provider
	nextUpdate time.Time
}

// loadMetadata reads the MDS3 blob at path and verifies it against the FIDO
// Alliance's production root, offline.
func loadMetadata(path string, now time.Time) (*mdsIndex, error) {
	root, err := parseBase64Cert(metadata.ProductionMDSRoot)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(root)
	blob, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseMetadata(blob, roots, now)
}

// parseMetadata verifies a blob (a JWS signed by a certificate chaining to
// roots at now) and indexes its entries. Revocation of the signing chain is not
// checked: that would need the network, and the operator chose the blob.
func parseMetadata(blob []byte, roots *x509.CertPool, now time.Time) (*mdsIndex, error) {
	payload, err := verifyJWS(strings.TrimSpace(string(blob)), roots, now)
	if err != nil {
		return nil, fmt.Errorf("verifying metadata blob: %w", err)
	}
	var pj metadata.PayloadJSON
	if err := json.Unmarshal(payload, &pj); err != nil {
		return nil, fmt.Errorf("decoding metadata blob: %w", err)
	}
	decoder, err := metadata.NewDecoder(metadata.WithIgnoreEntryParsingErrors())
	if err != nil {
		return nil, err
	}
	md, err := decoder.Parse(&pj)
	if err != nil {
		return nil, fmt.Errorf("parsing metadata blob: %w", err)
	}
	entries := md.ToMap()
	provider, err := memory.New(
		memory.WithMetadata(entries),
		// A model missing from the blob is not refused: many authenticators
		// are not certified, and attestation "none" carries no model proof.
		memory.WithValidateEntry(false),
		memory.WithValidateStatus(true),
		memory.WithValidateTrustAnchor(true),
	)
	if err != nil {
		return nil, err
	}
	return &mdsIndex{entries: entries, provider: provider, nextUpdate: md.Parsed.NextUpdate}, nil
}

// name is the model's description in the blob, or "".
func (m *mdsIndex) name(id uuid.UUID) string {
	if e, ok := m.entries[id]; ok {
		return e.MetadataStatement.Description
	}
	return ""
}

// checkStatus fails when the blob lists the model with an undesired status in
// effect at now (revoked, compromised keys, user verification bypass...).
func (m *mdsIndex) checkStatus(id uuid.UUID, now time.Time) error {
	e, ok := m.entries[id]
	if !ok {
		return nil
	}
	return metadata.ValidateStatusReportsAt(e.StatusReports, nil, metadata.DefaultUndesiredAuthenticatorStatuses(), now)
}

// verifyJWS checks a compact JWS whose header carries an x5c chain and returns
// its payload.
func verifyJWS(token string, roots *x509.CertPool, now time.Time) ([]byte, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a compact JWS")
	}
	var header struct {
		Alg string   `json:"alg"`
		X5C []string `json:"x5c"`
	}
	if err := decodeSegment(parts[0], &header); err != nil {
		return nil, err
	}
	leaf, err := verifyChain(header.X5C, roots, now)
	if err != nil {
		return nil, err
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, fmt.Errorf("decoding signature: %w", err)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := verifySignature(header.Alg, leaf, digest[:], sig); err != nil {
		return nil, err
	}
	return base64.RawURLEncoding.DecodeString(parts[1])
}

func decodeSegment(seg string, v any) error {
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return fmt.Errorf("decoding header: %w", err)
	}
	return json.Unmarshal(raw, v)
}

// verifyChain returns the signing certificate after checking that the x5c
// chain leads to roots.
func verifyChain(x5c []string, roots *x509.CertPool, now time.Time) (*x509.Certificate, error) {
	if len(x5c) == 0 {
		return nil, errors.New("no x5c certificate chain in the header")
	}
	certs := make([]*x509.Certificate, len(x5c))
	for i, s := range x5c {
		c, err := parseBase64Cert(s)
		if err != nil {
			return nil, fmt.Errorf("x5c[%d]: %w", i, err)
		}
		certs[i] = c
	}
	intermediates := x509.NewCertPool()
	for _, c := range certs[1:] {
		intermediates.AddCert(c)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: intermediates,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return nil, fmt.Errorf("signing certificate: %w", err)
	}
	return certs[0], nil
}

func verifySignature(alg string, cert *x509.Certificate, digest, sig []byte) error {
	switch key := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		switch alg {
		case "RS256":
			return rsa.VerifyPKCS1v15(key, crypto.SHA256, digest, sig)
		case "PS256":
			return rsa.VerifyPSS(key, crypto.SHA256, digest, sig, nil)
		}
	case *ecdsa.PublicKey:
		if alg == "ES256" && len(sig) == 64 {
			r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
			if ecdsa.Verify(key, digest, r, s) {
				return nil
			}
			return errors.New("bad ES256 signature")
		}
	}
	return fmt.Errorf("unsupported signature algorithm %q for a %T key", alg, cert.PublicKey)
}

func parseBase64Cert(s string) (*x509.Certificate, error) {
	der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("decoding certificate: %w", err)
	}
	return x509.ParseCertificate(der)
}
