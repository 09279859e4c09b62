package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"go.etcd.io/bbolt"
)

func (b *boltBackend) credentials(ctx context.Context, user string) ([]Credential, error) {
	var creds []Credential
	err := b.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		creds, err = userCredentials(tx, user)
		return err
	})
	return creds, err
}

func (b *boltBackend) credential(ctx context.Context, user string, id []byte) (Credential, error) {
	var c Credential
	err := b.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		c, err = getCredential(tx, user, id)
		return err
	})
	return c, err
}

func (b *boltBackend) addCredential(ctx context.Context, user string, c Credential) error {
	return b.update(ctx, func(tx *bbolt.Tx) error { return addCredential(tx, user, c) })
}

func (b *boltBackend) addFirstCredential(ctx context.Context, user string, c Credential) error {
	return b.update(ctx, func(tx *bbolt.Tx) error {
		if ub := tx.Bucket(bucketCredentials).Bucket([]byte(user)); ub != nil {
			if k, _ := ub.Cursor().First(); k != nil {
				return ErrHasCredential
			}
		}
		return addCredential(tx, user, c)
	})
}

// addCredential stores c for user in tx unless its ID is registered to anyone
// or user has a credential with its description.
func addCredential(tx *bbolt.Tx, user string, c Credential) error {
	if tx.Bucket(bucketCredentialIDs).Get(c.ID) != nil {
		return ErrDuplicateID
	}
	if err := checkDescriptionFree(tx, user, nil, c.Description); err != nil {
		return err
	}
	if err := tx.Bucket(bucketCredentialIDs).Put(c.ID, []byte(user)); err != nil {
		return err
	}
	return putCredential(tx, user, c)
}

func (b *boltBackend) renameCredential(ctx context.Context, user string, id []byte, d string) (Credential, error) {
	return b.modify(ctx, user, id, func(tx *bbolt.Tx, c *Credential) error {
		if err := checkDescriptionFree(tx, user, c.ID, d); err != nil {
			return err
		}
		c.Description = d
		return nil
	})
}

func (b *boltBackend) deleteCredential(ctx context.Context, user string, id []byte) error {
	return b.update(ctx, func(tx *bbolt.Tx) error {
		bk := tx.Bucket(bucketCredentials).Bucket([]byte(user))
		if bk == nil || bk.Get(id) == nil {
			return ErrNotFound
		}
		if err := bk.Delete(id); err != nil {
			return err
		}
		return tx.Bucket(bucketCredentialIDs).Delete(id)
	})
}

func (b *boltBackend) deleteUserCredentials(ctx context.Context, user string) (int, error) {
	var n int
	err := b.update(ctx, func(tx *bbolt.Tx) error {
		n = 0
		bk := tx.Bucket(bucketCredentials).Bucket([]byte(user))
		if bk == nil {
			return nil
		}
		ids := tx.Bucket(bucketCredentialIDs)
		err := bk.ForEach(func(id, _ []byte) error {
			n++
			return ids.Delete(id)
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketCredentials).DeleteBucket([]byte(user))
	})
	return n, err
}

func (b *boltBackend) recordSignIn(ctx context.Context, user string, id []byte, in signIn) error {
	rolledBack := false
	_, err := b.modify(ctx, user, id, func(_ *bbolt.Tx, c *Credential) error {
		rolledBack = !counterRose(c.SignCount, in.count)
		if rolledBack {
			c.CloneWarning = true
			return nil
		}
		c.SignCount = in.count
		c.BackupState = in.backupState
		c.LastUsedAt = in.usedAt
		return nil
	})
	if err == nil && rolledBack {
		return ErrSignCount
	}
	return err
}

func (b *boltBackend) setCloneWarning(ctx context.Context, user string, id []byte, on bool) error {
	_, err := b.modify(ctx, user, id, func(_ *bbolt.Tx, c *Credential) error {
		c.CloneWarning = on
		return nil
	})
	return err
}

// modify loads one credential, lets fn change it and writes it back, all in
// one transaction; fn's error aborts the write.
func (b *boltBackend) modify(ctx context.Context, user string, id []byte, fn func(*bbolt.Tx, *Credential) error) (Credential, error) {
	var c Credential
	err := b.update(ctx, func(tx *bbolt.Tx) error {
		var err error
		if c, err = getCredential(tx, user, id); err != nil {
			return err
		}
		if err := fn(tx, &c); err != nil {
			return err
		}
		return putCredential(tx, user, c)
	})
	return c, err
}

func userCredentials(tx *bbolt.Tx, user string) ([]Credential, error) {
	b := tx.Bucket(bucketCredentials).Bucket([]byte(user))
	if b == nil {
		return nil, nil
	}
	var creds []Credential
	err := b.ForEach(func(_, v []byte) error {
		var c Credential
		if err := json.Unmarshal(v, &c); err != nil {
			return fmt.Errorf("decoding credential: %w", err)
		}
		creds = append(creds, c)
		return nil
	})
	slices.SortStableFunc(creds, compareCredentials)
	return creds, err
}

// compareCredentials orders credentials by creation time, then ID.
func compareCredentials(a, b Credential) int {
	if n := a.CreatedAt.Compare(b.CreatedAt); n != 0 {
		return n
	}
	return bytes.Compare(a.ID, b.ID)
}

func getCredential(tx *bbolt.Tx, user string, id []byte) (Credential, error) {
	b := tx.Bucket(bucketCredentials).Bucket([]byte(user))
	if b == nil || len(id) == 0 {
		return Credential{}, ErrNotFound
	}
	v := b.Get(id)
	if v == nil {
		return Credential{}, ErrNotFound
	}
	var c Credential
	if err := json.Unmarshal(v, &c); err != nil {
		return Credential{}, fmt.Errorf("decoding credential: %w", err)
	}
	return c, nil
}

func putCredential(tx *bbolt.Tx, user string, c Credential) error {
	b, err := tx.Bucket(bucketCredentials).CreateBucketIfNotExists([]byte(user))
	if err != nil {
		return err
	}
	v, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return b.Put(c.ID, v)
}

// checkDescriptionFree fails with ErrDuplicateDescription when another
// credential of the user (not the one with ID self) has description d.
func checkDescriptionFree(tx *bbolt.Tx, user string, self []byte, d string) error {
	creds, err := userCredentials(tx, user)
	if err != nil {
		return err
	}
	for _, c := range creds {
		if !bytes.Equal(c.ID, self) && sameDescription(c.Description, d) {
			return ErrDuplicateDescription
		}
	}
	return nil
}
