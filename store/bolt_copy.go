package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"go.etcd.io/bbolt"
)

func (b *boltBackend) export(ctx context.Context) (Snapshot, error) {
	snap := Snapshot{Credentials: map[string][]Credential{}, Handles: map[string][]byte{}}
	err := b.view(ctx, func(tx *bbolt.Tx) error {
		err := tx.Bucket(bucketCredentials).ForEachBucket(func(user []byte) error {
			creds, err := userCredentials(tx, string(user))
			if len(creds) > 0 {
				snap.Credentials[string(user)] = creds
			}
			return err
		})
		if err != nil {
			return err
		}
		err = tx.Bucket(bucketHandles).ForEach(func(user, h []byte) error {
			snap.Handles[string(user)] = bytes.Clone(h)
			return nil
		})
		if err != nil {
			return err
		}
		if snap.Invites, err = exportInvites(tx); err != nil {
			return err
		}
		if snap.Audit, err = exportAudit(tx); err != nil {
			return err
		}
		snap.Tokens, err = exportTokens(tx)
		return err
	})
	return snap, err
}

func exportInvites(tx *bbolt.Tx) ([]StoredInvite, error) {
	var out []StoredInvite
	err := tx.Bucket(bucketInvites).ForEach(func(k, v []byte) error {
		var inv invite
		if err := json.Unmarshal(v, &inv); err != nil {
			return fmt.Errorf("decoding invite: %w", err)
		}
		out = append(out, StoredInvite{TokenHash: bytes.Clone(k), User: inv.User, CreatedAt: inv.CreatedAt, ExpiresAt: inv.ExpiresAt})
		return nil
	})
	return out, err
}

func exportAudit(tx *bbolt.Tx) ([]Event, error) {
	var out []Event
	err := tx.Bucket(bucketAudit).ForEach(func(_, v []byte) error {
		var e Event
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("decoding audit event: %w", err)
		}
		out = append(out, e)
		return nil
	})
	return out, err
}

func (b *boltBackend) load(ctx context.Context, snap Snapshot, replace bool) error {
	return b.update(ctx, func(tx *bbolt.Tx) error {
		if err := b.clear(tx, replace); err != nil {
			return err
		}
		for user, creds := range snap.Credentials {
			for _, c := range creds {
				if err := addCredential(tx, user, c); err != nil {
					return fmt.Errorf("credential of %q: %w", user, err)
				}
			}
		}
		for user, h := range snap.Handles {
			if got, err := createHandle(tx, user, h); err != nil || !bytes.Equal(got, h) {
				return fmt.Errorf("handle of %q: %w", user, cmpErr(err, ErrDuplicate))
			}
		}
		if err := loadInvites(tx, snap.Invites); err != nil {
			return err
		}
		if err := loadAudit(tx, snap.Audit); err != nil {
			return err
		}
		return loadTokens(tx, snap.Tokens)
	})
}

// cmpErr returns err, or fallback when err is nil.
func cmpErr(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}

// clear empties the store's buckets when replace, and otherwise fails with
// ErrNotEmpty unless they are empty already.
func (b *boltBackend) clear(tx *bbolt.Tx, replace bool) error {
	if err := clearTokens(tx, replace); err != nil {
		return err
	}
	for _, name := range storeBuckets {
		if k, _ := tx.Bucket(name).Cursor().First(); k == nil {
			continue
		}
		if !replace {
			return fmt.Errorf("bucket %s has data: %w", name, ErrNotEmpty)
		}
		if err := tx.DeleteBucket(name); err != nil {
			return err
		}
		if _, err := tx.CreateBucket(name); err != nil {
			return err
		}
	}
	return nil
}

func loadInvites(tx *bbolt.Tx, invites []StoredInvite) error {
	bk := tx.Bucket(bucketInvites)
	for _, si := range invites {
		v, err := json.Marshal(invite{User: si.User, CreatedAt: si.CreatedAt, ExpiresAt: si.ExpiresAt})
		if err != nil {
			return err
		}
		if err := bk.Put(si.TokenHash, v); err != nil {
			return err
		}
	}
	return nil
}

func loadAudit(tx *bbolt.Tx, events []Event) error {
	bk := tx.Bucket(bucketAudit)
	for _, e := range events {
		v, err := json.Marshal(e)
		if err != nil {
			return err
		}
		seq, err := bk.NextSequence()
		if err != nil {
			return err
		}
		if err := bk.Put(seqKey(seq), v); err != nil {
			return err
		}
	}
	return nil
}
