package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// fileNotifier appends one JSON object per message to a file. It opens the
// file for each message, so the file may be rotated or removed at any time.
type fileNotifier struct {
	path string
	mu   sync.Mutex // one writer at a time, so lines never interleave
}

var _ Notifier = (*fileNotifier)(nil)

// fileLine is one line of the file.
type fileLine struct {
	Time    string `json:"time"`
	User    string `json:"user"`
	To      string `json:"to"`
	Subject string `json:"subject"`
	Code    string `json:"code,omitempty"`
	Link    string `json:"link,omitempty"`
}

// newFileNotifier creates the file (mode 0600) and missing parent
// directories (mode 0700), so that a bad path fails at start.
func newFileNotifier(path string) (*fileNotifier, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating notifier directory: %w", err)
	}
	f, err := openAppend(path)
	if err != nil {
		return nil, err
	}
	return &fileNotifier{path: path}, f.Close()
}

func openAppend(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening notifier file: %w", err)
	}
	return f, nil
}

// Send appends m as one line, written with a single write call.
func (n *fileNotifier) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	line, err := json.Marshal(fileLine{
		Time:    time.Now().UTC().Format(time.RFC3339),
		User:    m.User,
		To:      m.To,
		Subject: m.Subject,
		Code:    m.Code,
		Link:    m.Link,
	})
	if err != nil {
		return fmt.Errorf("encoding notification: %w", err)
	}
	line = append(line, '\n')
	n.mu.Lock()
	defer n.mu.Unlock()
	f, err := openAppend(n.path)
	if err != nil {
		return err
	}
	_, err = f.Write(line)
	if err = errors.Join(err, f.Close()); err != nil {
		return fmt.Errorf("writing notifier file: %w", err)
	}
	return nil
}
