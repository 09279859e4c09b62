package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Event is one entry of the audit trail: who did what to which credential, from where.
type Event struct {
	Time time.Time `json:"time"`
	User string    `json:"user"`
	// Action names what happened, e.g. "credential_added", "sign_in_failed".
	Action string `json:"action"`
	// CredentialID is the credential concerned, if any.
	CredentialID []byte `json:"credential_id,omitempty"`
	// IP is the client address as the portal saw it.
	IP string `json:"ip,omitempty"`
	// Method is how a sign-in was made: password, passkey or webauthn.
	Method string `json:"method,omitempty"`
	// Result is how it ended, e.g. success, failure, banned.
	Result string `json:"result,omitempty"`
	// UserAgent is the browser's User-Agent header, cut to MaxUserAgent bytes.
	UserAgent string `json:"user_agent,omitempty"`
	// Actor is who acted when not the user: "admin" for the admin commands.
	Actor string `json:"actor,omitempty"`
}

// MaxUserAgent bounds the User-Agent kept in an event.
const MaxUserAgent = 256

// AppendAudit adds e to the audit trail, setting Time when zero. The trail
// keeps the latest DefaultAuditLimit events; older ones are dropped in the same
// transaction.
func (s *Store) AppendAudit(ctx context.Context, e Event) error {
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	if len(e.UserAgent) > MaxUserAgent {
		e.UserAgent = strings.ToValidUTF8(e.UserAgent[:MaxUserAgent], "")
	}
	if err := s.observe(s.b.appendAudit(ctx, e, s.auditLimit)); err != nil {
		return fmt.Errorf("appending audit event: %w", err)
	}
	return nil
}

// AuditEvents returns up to limit of the latest events, oldest first, only
// those of user unless user is "". A limit of zero or less means all kept.
func (s *Store) AuditEvents(ctx context.Context, user string, limit int) ([]Event, error) {
	return s.AuditQuery(ctx, AuditFilter{User: user, Limit: limit})
}

// AuditFilter selects audit events; its zero value selects all.
type AuditFilter struct {
	// User keeps only this user's events; "" keeps everyone's.
	User string
	// Since keeps only events at or after it; zero keeps all.
	Since time.Time
	// Limit keeps only the latest Limit events; zero or less keeps all.
	Limit int
}

// AuditQuery returns the events f selects, oldest first.
func (s *Store) AuditQuery(ctx context.Context, f AuditFilter) ([]Event, error) {
	events, err := s.b.auditEvents(ctx, f)
	if err = s.observe(err); err != nil {
		return nil, fmt.Errorf("reading audit events: %w", err)
	}
	return events, nil
}

// auditPruneBatch is how many events one pruning transaction deletes at most,
// so that no write holds the store long.
const auditPruneBatch = 1000

// PruneAudit deletes the events older than before and returns how many.
func (s *Store) PruneAudit(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for {
		n, err := s.b.pruneAudit(ctx, before, auditPruneBatch)
		total += n
		if err = s.observe(err); err != nil {
			return total, fmt.Errorf("pruning audit events: %w", err)
		}
		if n < auditPruneBatch {
			return total, nil
		}
	}
}
