package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/keygate/keygate/token"
)

// bucketTokens holds API tokens: token ID -> JSON of token.Token (the secret's
// SHA-256, never the secret). Created by the first write, so that a file
// written before tokens existed needs no migration.
var bucketTokens = []byte("tokens")

// ErrTokenInvalid means a token to store has no ID, user or hash. It wraps
// ErrInvalid.
var ErrTokenInvalid = fmt.Errorf("%w token", ErrInvalid)

// AddToken stores a newly minted token. ErrDuplicate when its ID is taken.
func (s *Store) AddToken(ctx context.Context, t token.Token) error {
	if t.ID == "" || t.User == "" || len(t.Hash) == 0 {
		return fmt.Errorf("adding token: %w", ErrTokenInvalid)
	}
	v, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("adding token: %w", err)
	}
	err = s.update(ctx, func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketTokens)
		if err != nil {
			return err
		}
		if b.Get([]byte(t.ID)) != nil {
			return ErrDuplicate
		}
		return b.Put([]byte(t.ID), v)
	})
	if err != nil {
		return fmt.Errorf("adding token: %w", err)
	}
	return nil
}

// Token returns the token with id. ErrNotFound (and token.ErrUnknown) when
// there is none.
func (s *Store) Token(ctx context.Context, id string) (token.Token, error) {
	var t token.Token
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketTokens)
		if b == nil {
			return ErrNotFound
		}
		return getToken(b, id, &t)
	})
	if errors.Is(err, ErrNotFound) {
		return token.Token{}, fmt.Errorf("loading token: %w (%w)", err, token.ErrUnknown)
	}
	if err != nil {
		return token.Token{}, fmt.Errorf("loading token: %w", err)
	}
	return t, nil
}

// getToken decodes the token with id from b.
func getToken(b *bbolt.Bucket, id string, t *token.Token) error {
	v := b.Get([]byte(id))
	if v == nil {
		return ErrNotFound
	}
	return json.Unmarshal(v, t)
}

// Tokens returns the tokens of user, or every token when user is "", in ID order.
func (s *Store) Tokens(ctx context.Context, user string) ([]token.Token, error) {
	var out []token.Token
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketTokens)
		if b == nil {
			return nil
		}
		return b.ForEach(func(_, v []byte) error {
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
	if err != nil {
		return nil, fmt.Errorf("listing tokens: %w", err)
	}
	return out, nil
}

// DeleteToken revokes the token with id, which must be user's unless user is
// "" (an administrator). It returns the revoked token. ErrNotFound when there
// is no such token, or it is another user's.
func (s *Store) DeleteToken(ctx context.Context, user, id string) (token.Token, error) {
	var t token.Token
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketTokens)
		if b == nil {
			return ErrNotFound
		}
		if err := getToken(b, id, &t); err != nil {
			return err
		}
		if user != "" && t.User != user {
			return ErrNotFound
		}
		return b.Delete([]byte(id))
	})
	if err != nil {
		return token.Token{}, fmt.Errorf("revoking token: %w", err)
	}
	return t, nil
}

// TouchToken records a use of the token with id at at from ip. A token revoked
// meanwhile stays revoked: ErrNotFound.
func (s *Store) TouchToken(ctx context.Context, id string, at time.Time, ip string) error {
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketTokens)
		if b == nil {
			return ErrNotFound
		}
		var t token.Token
		if err := getToken(b, id, &t); err != nil {
			return err
		}
		t.LastUsedAt, t.LastUsedIP = at, ip
		v, err := json.Marshal(t)
		if err != nil {
			return err
		}
		return b.Put([]byte(id), v)
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("recording token use: %w", err)
	}
	return err
}
