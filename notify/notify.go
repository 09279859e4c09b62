package notify

import (
	"context"
	"log/slog"
	"time"
)

// Message is one notification for one person.
type Message struct {
	// User is the username the message is about.
	User string
	// To is the recipient's email address.
	To string
	// Subject is a one-line summary; control characters become spaces.
	Subject string
	// Kind picks the mail templates. Empty means KindInvite for a message
	// with a Link and no Code, KindIdentityCode otherwise.
	Kind Kind
	// Name is the portal's name as mails show it. Empty means "Keygate".
	Name string
	// Code is a one-time code, and Link a one-time URL; either may be empty.
	Code string
	Link string
	// Lifetime is how long Code or Link works. Zero means the mail does not say.
	Lifetime time.Duration
}

// kind returns m.Kind, or the kind its content implies.
func (m Message) kind() Kind {
	switch {
	case m.Kind != "":
		return m.Kind
	case m.Link != "" && m.Code == "":
		return KindInvite
	}
	return KindIdentityCode
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
	tmpl, err := loadTemplates(cfg.Templates)
	if err != nil {
		return nil, err
	}
	return newSMTPNotifier(cfg.SMTP, tmpl, logger)
}
