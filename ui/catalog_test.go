package ui

import (
	"errors"
	"io/fs"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// TestCatalogCoversPages checks that every text the templates and scripts ask
// for is in the English catalog, and that the catalog holds no unused text.
func TestCatalogCoversPages(t *testing.T) {
	cat, err := loadCatalog(assets)
	if err != nil {
		t.Fatalf("loadCatalog: %v", err)
	}
	en := cat.langs[fallbackLang]
	used := map[string]bool{}
	for _, name := range pageNames {
		used["title_"+name] = true
	}
	used["title_error"] = true
	uses := []struct {
		glob string
		re   *regexp.Regexp
	}{
		{"templates/*.html", regexp.MustCompile(`\.T\.(\w+)`)},
		{"static/*.js", regexp.MustCompile(`text\('(\w+)'[,)]`)},
		{"static/*.js", regexp.MustCompile(`'((?:webauthn|cred|signed_in)_\w+)'`)},
	}
	for _, u := range uses {
		files, _ := fs.Glob(assets, u.glob)
		for _, file := range files {
			data, _ := fs.ReadFile(assets, file)
			for _, m := range u.re.FindAllStringSubmatch(string(data), -1) {
				used[m[1]] = true
				if _, ok := en[m[1]]; !ok {
					t.Errorf("%s uses text %q, which texts/en.json lacks", file, m[1])
				}
			}
		}
	}
	for key := range en {
		if !used[key] && !strings.HasPrefix(key, "error_") {
			t.Errorf("texts/en.json has %q, which no page uses", key)
		}
	}
}

func TestCatalogPick(t *testing.T) {
	cat := testCatalog(t, `{"a": "A", "b": "B"}`, `{"a": "Ä"}`)
	tests := []struct {
		header string
		want   string
	}{
		{"", "en"},
		{"de", "de"},
		{"de-CH", "de"},
		{"fr, de;q=0.5", "de"},
		{"en;q=0.9, de", "de"},
		{"de;q=0.4, en;q=0.8", "en"},
		{"de;q=0, fr", "en"},
		{"de;q=abc", "en"},
		{"*", "en"},
	}
	for _, tt := range tests {
		if got := cat.pick(tt.header); got != tt.want {
			t.Errorf("pick(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
	if got := cat.langs["de"]["b"]; got != "B" {
		t.Errorf("missing German text b = %q, want the English %q", got, "B")
	}
}

func TestLoadCatalogErrors(t *testing.T) {
	tests := []struct {
		name  string
		files fstest.MapFS
	}{
		{"no English", fstest.MapFS{"texts/de.json": {Data: []byte(`{"a": "A"}`)}}},
		{"key English lacks", fstest.MapFS{
			"texts/en.json": {Data: []byte(`{"a": "A"}`)},
			"texts/de.json": {Data: []byte(`{"a": "A", "z": "Z"}`)},
		}},
		{"not JSON", fstest.MapFS{"texts/en.json": {Data: []byte(`{"a": `)}}},
		{"not strings", fstest.MapFS{"texts/en.json": {Data: []byte(`{"a": 1}`)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := loadCatalog(tt.files); !errors.Is(err, errCatalog) {
				t.Errorf("loadCatalog error = %v, want %v", err, errCatalog)
			}
		})
	}
}

func TestErrorPage(t *testing.T) {
	te := newTestEnv(t, testConfig())
	rec := te.do(request(http.MethodGet, "/missing", ""))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("GET /missing status = %d, want 404", rec.Code)
	}
	page := rec.Body.String()
	for _, want := range []string{"<h1>404 Not Found</h1>", `data-page="error"`, "Go to the sign-in page", `<html lang="en">`} {
		if !strings.Contains(page, want) {
			t.Errorf("error page lacks %s", want)
		}
	}
	checkNoInlineCode(t, page)
}

func testCatalog(t *testing.T, en, de string) *catalog {
	t.Helper()
	cat, err := loadCatalog(fstest.MapFS{
		"texts/en.json": {Data: []byte(en)},
		"texts/de.json": {Data: []byte(de)},
	})
	if err != nil {
		t.Fatalf("loadCatalog: %v", err)
	}
	if got := slices.Sorted(maps.Keys(cat.langs)); !slices.Equal(got, []string{"de", "en"}) {
		t.Fatalf("languages = %v, want [de en]", got)
	}
	return cat
}
