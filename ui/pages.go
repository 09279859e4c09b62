package ui

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
)

// assets holds the page templates and the static files, built into the binary.
//
//go:embed templates static
var assets embed.FS

// pages renders the portal pages and serves their static files.
type pages struct {
	templates map[string]*template.Template
	files     fs.FS
	name      string // shown as the portal's name
	remember  bool   // offer "remember me"
}

// pageData is what every page template receives.
type pageData struct {
	Title      string
	Name       string
	RememberMe bool
}

func newPages(cfg Config) (*pages, error) {
	p := &pages{templates: make(map[string]*template.Template), name: cfg.RPName, remember: cfg.RememberMe > 0}
	for _, name := range []string{"signin", "logout", "twofactor", "settings", "enroll"} { // templates/NAME.html inside layout.html
		t, err := template.ParseFS(assets, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parsing template %s: %w", name, err)
		}
		p.templates[name] = t
	}
	static, err := fs.Sub(assets, "static")
	if err != nil {
		return nil, fmt.Errorf("static files: %w", err)
	}
	p.files = static
	return p, nil
}

// signIn serves the sign-in page.
func (p *pages) signIn(c echo.Context) error {
	return p.render(c, "signin", "Sign in")
}

// logout serves the page that signs out (by script) and says so.
func (p *pages) logout(c echo.Context) error {
	return p.render(c, "logout", "Sign out")
}

func (p *pages) render(c echo.Context, name, title string) error {
	var b bytes.Buffer
	data := pageData{Title: title + " – " + p.name, Name: p.name, RememberMe: p.remember}
	if err := p.templates[name].ExecuteTemplate(&b, "layout", data); err != nil {
		return internalError(fmt.Errorf("rendering %s: %w", name, err))
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTMLBlob(http.StatusOK, b.Bytes())
}

// static serves one embedded file under /static/; directories are not listed.
func (p *pages) static(c echo.Context) error {
	name := c.Param("*")
	if !fs.ValidPath(name) || name == "." || strings.HasSuffix(name, "/") {
		return echo.ErrNotFound
	}
	body, err := fs.ReadFile(p.files, name)
	if err != nil {
		return echo.ErrNotFound
	}
	contentType := mime.TypeByExtension(path.Ext(name))
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, contentType, body)
}
