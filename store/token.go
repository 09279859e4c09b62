package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/keygate/keygate/token"
)

// ErrTokenInvalid means a token to store has no ID, user or hash. It wraps
// ErrInvalid.
var ErrTokenInvalid = fmt.Errorf("%w token", ErrInvalid)

// tokenBackend keeps API tokens by ID: never the secret, only its SHA-256.
type tokenBackend interface {
	// addToken stores t; ErrDuplicate when its ID is taken.
	addToken(ctx context.Context, t token.Token) error
	// token returns the token with id, or ErrNotFound.
	token(ctx context.Context, id string) (token.Token, error)
	// tokens returns user's tokens, every token when user is "", by ID.
	tokens(ctx context.Context, user string) ([]token.Token, error)
	// deleteToken deletes the token with id if it is user's (any user's when
	// user is "") and returns it; ErrNotFound otherwise.
	deleteToken(ctx context.Context, user, id string) (token.Token, error)
	// touchToken records a use; ErrNotFound when the token is gone.
	touchToken(ctx context.Context, id string, at time.Time, ip string) error
}

// AddToken stores a newly minted token. ErrDuplicate when its ID is taken.
func (s *Store) AddToken(ctx context.Context, t token.Token) error {
	if t.ID == "" || t.User == "" || len(t.Hash) == 0 {
		return fmt.Errorf("adding token: %w", ErrTokenInvalid)
	}
	if err := s.b.addToken(ctx, t); err != nil {
		return fmt.Errorf("adding token: %w", err)
	}
	return nil
}

// Token returns the token with id. ErrNotFound (and token.ErrUnknown) when
// there is none.
func (s *Store) Token(ctx context.Context, id string) (token.Token, error) {
	t, err := s.b.token(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return token.Token{}, fmt.Errorf("loading token: %w (%w)", err, token.ErrUnknown)
	}
	if err != nil {
		return token.Token{}, fmt.Errorf("loading token: %w", err)
	}
	return t, nil
}

// Tokens returns the tokens of user, or every token when user is "", in ID order.
func (s *Store) Tokens(ctx context.Context, user string) ([]token.Token, error) {
	list, err := s.b.tokens(ctx, user)
	if err != nil {
		return nil, fmt.Errorf("listing tokens: %w", err)
	}
	return list, nil
}

// DeleteToken revokes the token with id, which must be user's unless user is
// "" (an administrator). It returns the revoked token. ErrNotFound when there
// is no such token, or it is another user's.
func (s *Store) DeleteToken(ctx context.Context, user, id string) (token.Token, error) {
	t, err := s.b.deleteToken(ctx, user, id)
	if err != nil {
		return token.Token{}, fmt.Errorf("revoking token: %w", err)
	}
	return t, nil
}

// TouchToken records a use of the token with id at at from ip. A token revoked
// meanwhile stays revoked: ErrNotFound.
func (s *Store) TouchToken(ctx context.Context, id string, at time.Time, ip string) error {
	if err := s.b.touchToken(ctx, id, at, ip); err != nil {
		return fmt.Errorf("recording token use: %w", err)
	}
	return nil
}
