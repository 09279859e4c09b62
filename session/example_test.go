package session_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/keygate/keygate/session"
	"go.etcd.io/bbolt"
)

func Example() {
	dir, err := os.MkdirTemp("", "keygate-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := bbolt.Open(filepath.Join(dir, "keygate.db"), 0o600, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	logger := slog.New(slog.DiscardHandler)
	store, err := session.NewBoltStore(db, logger)
	if err != nil {
		log.Fatal(err)
	}
	m, err := session.NewManager(session.Config{
		Domain:    "example.com",
		PortalURL: "https://auth.example.com",
	}, store, logger)
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	ctx := context.Background()

	// Sign-in: the portal issues a session and sets its cookie.
	w := httptest.NewRecorder()
	err = m.Issue(ctx, w, "", &session.Session{
		Username: "alice",
		Domain:   "example.com",
		Factors: []session.Factor{
			{Method: session.MethodPassword, At: time.Now()},
			{Method: session.MethodWebAuthn, At: time.Now()},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	cookie := w.Result().Cookies()[0]
	fmt.Println("cookie:", cookie.Name, "for", cookie.Domain, "secure:", cookie.Secure)

	// A proxy check for an app under the cookie domain.
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(cookie)
	s, err := m.Load(ctx, m.CookieValue(r), "app.example.com")
	if err != nil {
		log.Fatal(err) // the store failed: answer 5xx
	}
	fmt.Println("signed in:", s.Username, s.Level())

	// The same cookie presented for a host outside the domain finds nothing.
	s, _ = m.Load(ctx, cookie.Value, "example.net")
	fmt.Println("for example.net:", s)

	// Ceremony state is single-use.
	_ = m.PutState(ctx, "challenge:1", []byte("c"), time.Minute)
	_, err = m.TakeState(ctx, "challenge:1")
	fmt.Println("first take:", err)
	_, err = m.TakeState(ctx, "challenge:1")
	fmt.Println("second take:", err)

	// Output:
	// cookie: keygate_session for example.com secure: true
	// signed in: alice two_factor
	// for example.net: <nil>
	// first take: <nil>
	// second take: session: not found
}
