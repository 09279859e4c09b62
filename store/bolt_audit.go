package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"

	"go.etcd.io/bbolt"
)

func (b *boltBackend) appendAudit(ctx context.Context, e Event, limit int) error {
	v, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return b.update(ctx, func(tx *bbolt.Tx) error {
		bk := tx.Bucket(bucketAudit)
		seq, err := bk.NextSequence()
		if err != nil {
			return err
		}
		if err := bk.Put(seqKey(seq), v); err != nil {
			return err
		}
		return trimAudit(bk, seq, limit)
	})
}

func (b *boltBackend) auditEvents(ctx context.Context, user string, limit int) ([]Event, error) {
	var events []Event
	err := b.view(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		for k, v := c.Last(); k != nil && (limit <= 0 || len(events) < limit); k, v = c.Prev() {
			var e Event
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decoding audit event: %w", err)
			}
			if user == "" || e.User == user {
				events = append(events, e)
			}
		}
		return nil
	})
	slices.Reverse(events)
	return events, err
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
