package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

func (b *boltBackend) putInvite(ctx context.Context, key []byte, inv invite) error {
	v, err := json.Marshal(inv)
	if err != nil {
		return err
	}
	return b.update(ctx, func(tx *bbolt.Tx) error {
		bk := tx.Bucket(bucketInvites)
		if err := pruneInvites(bk, inv.CreatedAt); err != nil {
			return err
		}
		return bk.Put(key, v)
	})
}

func (b *boltBackend) peekInvite(ctx context.Context, key []byte, now time.Time) (invite, error) {
	var inv invite
	err := b.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		inv, err = getInvite(tx.Bucket(bucketInvites), key, now)
		return err
	})
	return inv, err
}

func (b *boltBackend) enrollCredential(ctx context.Context, user string, c Credential, key []byte, now time.Time) error {
	return b.update(ctx, func(tx *bbolt.Tx) error {
		bk := tx.Bucket(bucketInvites)
		inv, err := getInvite(bk, key, now)
		if errors.Is(err, ErrNotFound) || (err == nil && inv.User != user) {
			return ErrNoInvite
		}
		if err != nil {
			return err
		}
		if err := bk.Delete(key); err != nil {
			return err
		}
		return addCredential(tx, user, c)
	})
}

func getInvite(b *bbolt.Bucket, key []byte, now time.Time) (invite, error) {
	v := b.Get(key)
	if v == nil {
		return invite{}, ErrNotFound
	}
	var inv invite
	if err := json.Unmarshal(v, &inv); err != nil {
		return invite{}, fmt.Errorf("decoding invite: %w", err)
	}
	if !now.Before(inv.ExpiresAt) {
		return invite{}, ErrNotFound
	}
	return inv, nil
}

// pruneInvites deletes expired invites (and unreadable ones).
func pruneInvites(b *bbolt.Bucket, now time.Time) error {
	var stale [][]byte
	err := b.ForEach(func(k, v []byte) error {
		var inv invite
		if json.Unmarshal(v, &inv) != nil || !now.Before(inv.ExpiresAt) {
			stale = append(stale, bytes.Clone(k))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range stale {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
