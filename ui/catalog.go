package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// texts is one language's catalog: every text the pages show, by key.
type texts map[string]string

// catalog holds the portal's texts in every language it has: one JSON file
// per language under texts/, named by its tag (texts/en.json). English is
// complete; another language may leave keys out, which then read in English,
// but may not add keys English lacks.
type catalog struct {
	langs map[string]texts
	json  map[string]string // each language's texts, JSON-encoded once for the pages
}

// fallbackLang is the catalog's complete language.
const fallbackLang = "en"

// errCatalog reports a broken catalog file; New fails with it.
var errCatalog = errors.New("ui: text catalog")

// loadCatalog reads every texts/*.json file of fsys.
func loadCatalog(fsys fs.FS) (*catalog, error) {
	files, err := fs.Glob(fsys, "texts/*.json")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errCatalog, err)
	}
	c := &catalog{langs: map[string]texts{}, json: map[string]string{}}
	for _, file := range files {
		tag := strings.ToLower(strings.TrimSuffix(path.Base(file), ".json"))
		data, err := fs.ReadFile(fsys, file)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errCatalog, err)
		}
		var t texts
		if err := json.Unmarshal(data, &t); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", errCatalog, file, err)
		}
		c.langs[tag] = t
	}
	base, ok := c.langs[fallbackLang]
	if !ok {
		return nil, fmt.Errorf("%w: texts/%s.json is missing", errCatalog, fallbackLang)
	}
	for tag, t := range c.langs {
		if err := c.complete(tag, t, base); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// complete fills t's missing keys from base, refuses keys base lacks and
// encodes t for the pages.
func (c *catalog) complete(tag string, t, base texts) error {
	for key := range t {
		if _, ok := base[key]; !ok {
			return fmt.Errorf("%w: texts/%s.json has key %q, which texts/%s.json lacks", errCatalog, tag, key, fallbackLang)
		}
	}
	for key, value := range base {
		if _, ok := t[key]; !ok {
			t[key] = value
		}
	}
	encoded, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("%w: encoding %s: %w", errCatalog, tag, err)
	}
	c.json[tag] = string(encoded)
	return nil
}

// pick returns the language to answer a request with, from its
// Accept-Language header: the most wanted language the catalog has, by full
// tag or by primary subtag ("de-CH" matches "de"), else English.
func (c *catalog) pick(acceptLanguage string) string {
	best, bestQ := fallbackLang, 0.0
	for part := range strings.SplitSeq(acceptLanguage, ",") {
		tag, q := parseLanguage(part)
		if q <= bestQ {
			continue
		}
		if match, ok := c.match(tag); ok {
			best, bestQ = match, q
		}
	}
	return best
}

// match finds tag, or its primary subtag, in the catalog.
func (c *catalog) match(tag string) (string, bool) {
	if _, ok := c.langs[tag]; ok {
		return tag, true
	}
	primary, _, _ := strings.Cut(tag, "-")
	if _, ok := c.langs[primary]; ok {
		return primary, true
	}
	return "", false
}

// parseLanguage splits one Accept-Language item ("de-CH;q=0.8") into its
// lower-case tag and quality; an item that does not parse has quality 0.
func parseLanguage(item string) (string, float64) {
	tag, params, _ := strings.Cut(strings.TrimSpace(item), ";")
	tag = strings.ToLower(strings.TrimSpace(tag))
	if tag == "" || tag == "*" || len(tag) > 35 {
		return "", 0
	}
	q := 1.0
	if name, value, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.TrimSpace(name) == "q" {
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil || v < 0 || v > 1 {
			return "", 0
		}
		q = v
	}
	return tag, q
}
