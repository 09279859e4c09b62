package session

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

var discard = slog.New(slog.DiscardHandler)

// FuzzLoad feeds Load arbitrary IDs and hosts: only the issued ID with a host of
// its cookie domain may yield a session, and nothing else may write or fail.
func FuzzLoad(f *testing.F) {
	store, c := newMemStore(), newClock()
	m, err := NewManager(testConfig(), store, discard)
	if err != nil {
		f.Fatal(err)
	}
	m.now = c.now
	rec := httptest.NewRecorder()
	if err := m.Issue(f.Context(), rec, "", testSession("example.com")); err != nil {
		f.Fatal(err)
	}
	id := rec.Result().Cookies()[0].Value
	for _, s := range [][2]string{
		{id, "example.com"}, {id, "app.example.com:443"}, {id, "badexample.com"}, {id + "=", "example.com"},
		{id[:42] + "B", "example.com"}, {"", ""}, {"%%%", "example.com"}, {id, "example.org"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, id2, host string) {
		before := store.writes()
		s, err := m.Load(t.Context(), id2, host)
		if err != nil {
			t.Fatalf("Load(%q, %q): %v", id2, host, err)
		}
		if s != nil && id2 != id {
			t.Fatalf("Load(%q, %q) found a session for an ID that was never issued", id2, host)
		}
		if s == nil && store.writes() != before {
			t.Fatalf("Load(%q, %q) found nothing but wrote", id2, host)
		}
		if s != nil {
			if d, _ := m.DomainFor(host); d.Name != "example.com" {
				t.Fatalf("Load(%q, %q) returned a session for a host outside example.com", id2, host)
			}
		}
	})
}

// FuzzCookieValue parses arbitrary Cookie headers: it must not panic and must
// return "" or a well-formed ID.
func FuzzCookieValue(f *testing.F) {
	m, err := NewManager(testConfig(), newMemStore(), discard)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"", "keygate_session=" + newID(), "keygate_session", `keygate_session="x`, "a=b;;keygate_session=;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		r := &http.Request{Header: http.Header{"Cookie": {header}}}
		if v := m.CookieValue(r); v != "" {
			if _, ok := idHash(v); !ok {
				t.Fatalf("CookieValue(%q) = %q, not a well-formed ID", header, v)
			}
		}
	})
}
