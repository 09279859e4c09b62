package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/bbolt"
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
	v, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("appending audit event: %w", err)
	}
	err = s.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketAudit)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		if err := b.Put(seqKey(seq), v); err != nil {
			return err
		}
		return trimAudit(b, seq, s.auditLimit)
	})
	if err != nil {
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
	user, limit := f.User, f.Limit
	var events []Event
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		for k, v := c.Last(); k != nil && (limit <= 0 || len(events) < limit); k, v = c.Prev() {
			var e Event
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decoding audit event: %w", err)
			}
			if !f.Since.IsZero() && e.Time.Before(f.Since) {
				break
			}
			if user == "" || e.User == user {
				events = append(events, e)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading audit events: %w", err)
	}
	for i, j := 0, len(events)-1; i < j; i, j = i+1, j-1 {
		events[i], events[j] = events[j], events[i]
	}
	return events, nil
}

// PruneAudit deletes the events older than before and returns how many. It
// deletes in batches, so that no one write transaction holds the file long.
func (s *Store) PruneAudit(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for {
		n, err := s.pruneBatch(ctx, before, 1000)
		total += n
		if err != nil {
			return total, fmt.Errorf("pruning audit events: %w", err)
		}
		if n < 1000 {
			return total, nil
		}
	}
}

// pruneBatch deletes up to max of the oldest events older than before.
func (s *Store) pruneBatch(ctx context.Context, before time.Time, max int) (int, error) {
	n := 0
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		for k, v := c.First(); k != nil && n < max; k, v = c.First() {
			var e Event
			if err := json.Unmarshal(v, &e); err == nil && !e.Time.Before(before) {
				return nil
			}
			if err := c.Delete(); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// trimAudit deletes every event at or below seq-limit.
func trimAudit(b *bbolt.Bucket, seq uint64, limit int) error {
	if limit <= 0 || seq <= uint64(limit) {
		return nil
	}
	cutoff := seqKey(seq - uint64(limit))
	c := b.Cursor()
	for k, _ := c.First(); k != nil && bytes.Compare(k, cutoff) <= 0; k, _ = c.First() {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

func seqKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, seq)
}
