package notify

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"os"
	"path/filepath"
	texttemplate "text/template"
	"time"
)

// Kind says which template renders a message.
type Kind string

// The kinds of message, each rendered by KIND.txt and KIND.html.
const (
	// KindIdentityCode carries a one-time code that proves a mailbox.
	KindIdentityCode Kind = "identity-code"
	// KindInvite carries a one-time enrollment link.
	KindInvite Kind = "invite"
)

// kinds lists every kind; an operator's template directory may override any of them.
var kinds = []Kind{KindIdentityCode, KindInvite}

//go:embed templates
var embedded embed.FS

// templates holds the text and HTML template of each kind, parsed once.
type templates struct {
	text map[Kind]*texttemplate.Template
	html map[Kind]*htmltemplate.Template
}

// mailData is what a template sees.
type mailData struct {
	User    string // the username
	Name    string // the portal's name, Message.Name or "Keygate"
	Subject string
	Code    string
	Link    string
	Minutes int // how long the code or link lasts, rounded; 0 when not said
}

// loadTemplates parses the embedded templates and, when dir is not empty,
// replaces each with the file of the same name in dir that exists there
// (identity-code.txt, identity-code.html, invite.txt, invite.html). A file
// that does not parse is an error naming it.
func loadTemplates(dir string) (*templates, error) {
	t := &templates{text: map[Kind]*texttemplate.Template{}, html: map[Kind]*htmltemplate.Template{}}
	sub, err := fs.Sub(embedded, "templates")
	if err != nil {
		return nil, err
	}
	for _, k := range kinds {
		if err := t.parse(sub, k, "embedded"); err != nil {
			return nil, err
		}
		if dir == "" {
			continue
		}
		if err := t.parse(os.DirFS(dir), k, dir); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// parse reads k's templates from fsys, keeping those already parsed for a
// file fsys does not have.
func (t *templates) parse(fsys fs.FS, k Kind, where string) error {
	name := string(k) + ".txt"
	if b, err := fs.ReadFile(fsys, name); err == nil {
		tt, err := texttemplate.New(name).Option("missingkey=error").Parse(string(b))
		if err != nil {
			return fmt.Errorf("notifier.templates: %w", err)
		}
		t.text[k] = tt
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("notifier.templates: reading %s: %w", filepath.Join(where, name), err)
	}
	name = string(k) + ".html"
	if b, err := fs.ReadFile(fsys, name); err == nil {
		ht, err := htmltemplate.New(name).Option("missingkey=error").Parse(string(b))
		if err != nil {
			return fmt.Errorf("notifier.templates: %w", err)
		}
		t.html[k] = ht
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("notifier.templates: reading %s: %w", filepath.Join(where, name), err)
	}
	return nil
}

// render returns the text and HTML bodies of m.
func (t *templates) render(m Message) (text, html string, err error) {
	k := m.kind()
	data := mailData{User: m.User, Name: m.Name, Subject: m.Subject, Code: m.Code, Link: m.Link,
		Minutes: int(m.Lifetime.Round(time.Minute) / time.Minute)}
	if data.Name == "" {
		data.Name = "Keygate"
	}
	var tb, hb bytes.Buffer
	if err := t.text[k].Execute(&tb, data); err != nil {
		return "", "", fmt.Errorf("rendering %s.txt: %w", k, err)
	}
	if err := t.html[k].Execute(&hb, data); err != nil {
		return "", "", fmt.Errorf("rendering %s.html: %w", k, err)
	}
	return tb.String(), hb.String(), nil
}
