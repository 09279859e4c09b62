package store

import (
	"context"
	"fmt"
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
}

// AppendAudit adds e to the audit trail, setting Time when zero. The trail
// keeps the latest DefaultAuditLimit events; older ones are dropped in the same
// transaction.
func (s *Store) AppendAudit(ctx context.Context, e Event) error {
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	if err := s.b.appendAudit(ctx, e, s.auditLimit); err != nil {
		return fmt.Errorf("appending audit event: %w", err)
	}
	return nil
}

// AuditEvents returns up to limit of the latest events, oldest first, only
// those of user unless user is "". A limit of zero or less means all kept.
func (s *Store) AuditEvents(ctx context.Context, user string, limit int) ([]Event, error) {
	events, err := s.b.auditEvents(ctx, user, limit)
	if err != nil {
		return nil, fmt.Errorf("reading audit events: %w", err)
	}
	return events, nil
}
