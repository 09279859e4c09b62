package notify

import (
	"context"
	"log/slog"
)

// Message is one notification for one person.
type Message struct {
	// User is the username the message is about.
	User string
	// To is the recipient's email address.
	To string
	// Subject is a one-line summary; control characters become spaces.
	Subject string
	// Body is the plain-text mail body. Empty means a body made of Code and Link.
	Body string
	// Code is a one-time code, and Link a one-time URL; either may be empty.
	Code string
	Link string
}

// Notifier delivers messages.
type Notifier interface {
	// Send delivers m or returns why it could not, giving up when ctx is done.
	Send(ctx context.Context, m Message) error
}

// New validates cfg and returns the file notifier when cfg.File is set, the
// SMTP notifier otherwise. A nil logger discards.
func New(cfg Config, logger *slog.Logger) (Notifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "notify")
	if cfg.File != "" {
		return newFileNotifier(cfg.File)
	}
	return newSMTPNotifier(cfg.SMTP, logger)
}
