package ui

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
)

// assets holds the page templates, the static files and the text catalog,
// built into the binary.
//
//go:embed templates static texts
var assets embed.FS

// maxLogoBytes bounds the logo file read at start.
const maxLogoBytes = 512 << 10

// logoTypes are the logo file types the portal serves, by extension.
var logoTypes = map[string]string{
	".png":  "image/png",
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".gif":  "image/gif",
	".webp": "image/webp",
	".svg":  "image/svg+xml",
}

// pageNames are the portal's pages: templates/NAME.html inside layout.html.
var pageNames = []string{"signin", "twofactor", "stepup", "settings", "enroll", "logout"}

// pages renders the portal pages and serves their static files.
type pages struct {
	templates map[string]*template.Template
	files     fs.FS
	catalog   *catalog
	domains   domains
	name      string // the operator's name for the portal (webauthn.rp_name)
	remember  bool   // offer "remember me"
	logo      []byte // the operator's logo, or nil
	logoType  string
}

// pageData is what every page template receives.
type pageData struct {
	Title      string // the document title
	Name       string // the portal's name; "" shows none
	Logo       bool   // whether /static/logo serves a logo
	Lang       string // the language of T
	Page       string // the page's name, which selects its script
	T          texts  // the texts in Lang
	TextsJSON  string // T for the script
	RememberMe bool
	// Confirm asks the user to press a button before signing out (/logout
	// reached by a cross-site navigation).
	Confirm bool
	// Continue is where "Continue" leads: the request's rd when the portal
	// would follow it, else the domain's default, "" when that is the portal itself.
	Continue string
	// Status, StatusText and Message describe an error, on the error page only.
	Status     int
	StatusText string
	Message    string
}

func newPages(cfg Config, d domains) (*pages, error) {
	cat, err := loadCatalog(assets)
	if err != nil {
		return nil, err
	}
	p := &pages{templates: make(map[string]*template.Template), catalog: cat, domains: d,
		name: cfg.RPName, remember: cfg.RememberMe > 0}
	for _, name := range pageNames {
		if p.templates[name], err = parsePage(name); err != nil {
			return nil, err
		}
	}
	if p.files, err = fs.Sub(assets, "static"); err != nil {
		return nil, fmt.Errorf("static files: %w", err)
	}
	if cfg.LogoFile != "" {
		if p.logo, p.logoType, err = readLogo(cfg.LogoFile); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// parsePage parses templates/NAME.html inside the layout. A text key missing
// from the catalog fails the page instead of showing nothing.
func parsePage(name string) (*template.Template, error) {
	t, err := template.New(name).Option("missingkey=error").
		ParseFS(assets, "templates/layout.html", "templates/"+name+".html")
	if err != nil {
		return nil, fmt.Errorf("parsing template %s: %w", name, err)
	}
	return t, nil
}

// readLogo reads the operator's logo file once, at start.
func readLogo(file string) ([]byte, string, error) {
	contentType, ok := logoTypes[strings.ToLower(path.Ext(file))]
	if !ok {
		return nil, "", fmt.Errorf("logo %s: not a PNG, JPEG, GIF, WebP or SVG file", file)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, "", fmt.Errorf("reading logo: %w", err)
	}
	if len(data) > maxLogoBytes {
		return nil, "", fmt.Errorf("logo %s: %d bytes, more than %d", file, len(data), maxLogoBytes)
	}
	return data, contentType, nil
}

// signIn serves "/": the sign-in form, or the "already signed in" state.
func (p *pages) signIn(c echo.Context) error { return p.render(c, "signin") }

// twoFactor serves "/2fa": the security key step, or the password step after
// a passkey that did not verify the user.
func (p *pages) twoFactor(c echo.Context) error { return p.render(c, "twofactor") }

// stepUp serves "/step-up": the security key or passkey a rule requires.
func (p *pages) stepUp(c echo.Context) error { return p.render(c, "stepup") }

// settings serves "/settings": the user's security keys and passkeys.
func (p *pages) settings(c echo.Context) error { return p.render(c, "settings") }

// enroll serves "/enroll": the landing page of an invite link.
func (p *pages) enroll(c echo.Context) error { return p.render(c, "enroll") }

// logout serves the page that signs out (by script) and says so. Reached by a
// cross-site navigation, it signs out only when the user presses its button.
func (p *pages) logout(c echo.Context) error {
	return p.renderWith(c, "logout", func(d *pageData) { d.Confirm = !autoSignOut(c.Request()) })
}

func (p *pages) render(c echo.Context, name string) error { return p.renderWith(c, name, nil) }

// renderWith renders page name; edit, when not nil, completes its data.
func (p *pages) renderWith(c echo.Context, name string, edit func(*pageData)) error {
	data := p.data(c, name)
	data.Continue = p.continueURL(c)
	if edit != nil {
		edit(&data)
	}
	var b bytes.Buffer
	if err := p.templates[name].ExecuteTemplate(&b, "layout", data); err != nil {
		return internalError(fmt.Errorf("rendering %s: %w", name, err))
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().Header().Set("Content-Language", data.Lang)
	return c.HTMLBlob(http.StatusOK, b.Bytes())
}

// data is the part of pageData that every page, the error page included, has.
func (p *pages) data(c echo.Context, page string) pageData {
	lang := p.catalog.pick(c.Request().Header.Get("Accept-Language"))
	t := p.catalog.langs[lang]
	title := t["title_"+page]
	if p.name != "" {
		title += " – " + p.name
	}
	return pageData{Title: title, Name: p.name, Logo: p.logo != nil, Lang: lang, Page: page,
		T: t, TextsJSON: p.catalog.json[lang], RememberMe: p.remember}
}

// continueURL is where the portal would send the browser after signing in,
// or "" when that is the portal's own start page.
func (p *pages) continueURL(c echo.Context) string {
	domain, ok := p.domains.DomainFor(c.Request().Host)
	if !ok {
		return ""
	}
	target := redirectFor(c.QueryParam("rd"), domain)
	if portal := domain.PortalURL; portal != nil {
		root := strings.TrimSuffix(portal.String(), "/")
		if strings.TrimSuffix(target, "/") == root {
			return ""
		}
	}
	return target
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

// logoFile serves the operator's logo at /static/logo.
func (p *pages) logoFile(c echo.Context) error {
	if p.logo == nil {
		return echo.ErrNotFound
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, p.logoType, p.logo)
}
