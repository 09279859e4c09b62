package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/keygate/keygate/token"
)

// bucketTokens holds API tokens: token ID -> JSON of token.Token. Created by
// the first write, so that a file written before tokens existed needs no
// migration.
var bucketTokens = []byte("tokens")

func (b *boltBackend) addToken(ctx context.Context, t token.Token) error {
	v, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return b.update(ctx, func(tx *bbolt.Tx) error {
		bk, err := tx.CreateBucketIfNotExists(bucketTokens)
		if err != nil {
			return err
		}
		if bk.Get([]byte(t.ID)) != nil {
			return ErrDuplicate
		}
		return bk.Put([]byte(t.ID), v)
	})
}

func (b *boltBackend) token(ctx context.Context, id string) (token.Token, error) {
	var t token.Token
	err := b.view(ctx, func(tx *bbolt.Tx) error {
		return getToken(tx.Bucket(bucketTokens), id, &t)
	})
	return t, err
}

// getToken decodes the token with id from bk, which may be nil (no token yet).
func getToken(bk *bbolt.Bucket, id string, t *token.Token) error {
	if bk == nil {
		return ErrNotFound
	}
	v := bk.Get([]byte(id))
	if v == nil {
		return ErrNotFound
	}
	return json.Unmarshal(v, t)
}

func (b *boltBackend) tokens(ctx context.Context, user string) ([]token.Token, error) {
	var out []token.Token
	err := b.view(ctx, func(tx *bbolt.Tx) error {
		bk := tx.Bucket(bucketTokens)
		if bk == nil {
			return nil
		}
		return bk.ForEach(func(_, v []byte) error {
			var t token.Token
			if err := json.Unmarshal(v, &t); err != nil {
				return err
			}
			if user == "" || t.User == user {
				out = append(out, t)
			}
			return nil
		})
	})
	return out, err
}

func (b *boltBackend) deleteToken(ctx context.Context, user, id string) (token.Token, error) {
	var t token.Token
	err := b.update(ctx, func(tx *bbolt.Tx) error {
		bk := tx.Bucket(bucketTokens)
		if err := getToken(bk, id, &t); err != nil {
			return err
		}
		if user != "" && t.User != user {
			return ErrNotFound
		}
		return bk.Delete([]byte(id))
	})
	return t, err
}

func (b *boltBackend) touchToken(ctx context.Context, id string, at time.Time, ip string) error {
	return b.update(ctx, func(tx *bbolt.Tx) error {
		bk := tx.Bucket(bucketTokens)
		var t token.Token
		if err := getToken(bk, id, &t); err != nil {
			return err
		}
		t.LastUsedAt, t.LastUsedIP = at, ip
		v, err := json.Marshal(t)
		if err != nil {
			return err
		}
		return bk.Put([]byte(id), v)
	})
}

// exportTokens reads every token in ID order; none when the bucket was never made.
func exportTokens(tx *bbolt.Tx) ([]token.Token, error) {
	bk := tx.Bucket(bucketTokens)
	if bk == nil {
		return nil, nil
	}
	var out []token.Token
	err := bk.ForEach(func(_, v []byte) error {
		var t token.Token
		if err := json.Unmarshal(v, &t); err != nil {
			return fmt.Errorf("decoding token: %w", err)
		}
		out = append(out, t)
		return nil
	})
	return out, err
}

// loadTokens writes tokens into the tokens bucket.
func loadTokens(tx *bbolt.Tx, tokens []token.Token) error {
	if len(tokens) == 0 {
		return nil
	}
	bk, err := tx.CreateBucketIfNotExists(bucketTokens)
	if err != nil {
		return err
	}
	for _, t := range tokens {
		v, err := json.Marshal(t)
		if err != nil {
			return err
		}
		if err := bk.Put([]byte(t.ID), v); err != nil {
			return err
		}
	}
	return nil
}

// clearTokens deletes the tokens bucket when replace, and otherwise fails with
// ErrNotEmpty when it holds a token.
func clearTokens(tx *bbolt.Tx, replace bool) error {
	bk := tx.Bucket(bucketTokens)
	if bk == nil {
		return nil
	}
	if k, _ := bk.Cursor().First(); k == nil {
		return nil
	}
	if !replace {
		return fmt.Errorf("bucket %s has data: %w", bucketTokens, ErrNotEmpty)
	}
	return tx.DeleteBucket(bucketTokens)
}
