package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/keygate/keygate/internal/testenv"
)

// scaleLoad runs checks and sign-ins through the load balancer until stopped,
// and keeps what a fault may and may not do to them.
type scaleLoad struct {
	lb      string
	alice   string // a signed-in session that must never be refused
	bob     string // bob's session: /admin must answer 403, never 200
	device  *testenv.Passkey
	stop    chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	errs    []time.Time // checks or sign-ins that failed (5xx, no answer)
	wrong   []string    // requests let through wrongly, or signed-in users refused
	acked   []string    // session cookies of sign-ins that answered 200
	checks  int
	signIns int
}

// startScaleLoad starts the workers.
func startScaleLoad(lb, alice, bob string, device *testenv.Passkey) *scaleLoad {
	l := &scaleLoad{lb: lb, alice: alice, bob: bob, device: device, stop: make(chan struct{})}
	for _, w := range []func() bool{l.checkAlice, l.checkAnonymous, l.checkForged, l.checkBobAdmin, l.checkAlice} {
		l.wg.Go(func() { l.loop(w, 5*time.Millisecond) })
	}
	l.wg.Go(func() { l.loop(l.passwordSignIn, 50*time.Millisecond) })
	l.wg.Go(func() { l.loop(l.passkeySignIn, 50*time.Millisecond) })
	return l
}

// loop runs step every pause until stop closes.
func (l *scaleLoad) loop(step func() bool, pause time.Duration) {
	for {
		select {
		case <-l.stop:
			return
		default:
		}
		if !step() {
			l.mu.Lock()
			l.errs = append(l.errs, time.Now())
			l.mu.Unlock()
		}
		time.Sleep(pause)
	}
}

// finish stops the workers and waits for them.
func (l *scaleLoad) finish() {
	close(l.stop)
	l.wg.Wait()
}

func (l *scaleLoad) noteWrong(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.wrong) < 20 {
		l.wrong = append(l.wrong, fmt.Sprintf(format, args...))
	}
}

// check asks about cookie and path, counts the check, and reports the
// status, or 0 for a failure (no answer, 5xx).
func (l *scaleLoad) check(cookie, path string) int {
	status, _ := forwardCheck(l.lb, cookie, path)
	l.mu.Lock()
	l.checks++
	l.mu.Unlock()
	if status == 0 || status >= 500 {
		return 0
	}
	return status
}

func (l *scaleLoad) checkAlice() bool {
	switch status := l.check(l.alice, "/private"); status {
	case 0:
		return false
	case http.StatusOK:
	default:
		l.noteWrong("alice, signed in, got %d", status)
	}
	return true
}

func (l *scaleLoad) checkAnonymous() bool {
	return l.wantRefused("", "/private", http.StatusUnauthorized, "no cookie")
}

func (l *scaleLoad) checkForged() bool {
	var raw [32]byte
	_, _ = rand.Read(raw[:])
	return l.wantRefused(base64.RawURLEncoding.EncodeToString(raw[:]), "/private", http.StatusUnauthorized, "a forged cookie")
}

func (l *scaleLoad) checkBobAdmin() bool {
	return l.wantRefused(l.bob, "/admin", http.StatusForbidden, "bob (not an admin) on /admin")
}

// wantRefused checks that the request is refused with want: a 200 is a
// request let through wrongly, another refusal a user signed out.
func (l *scaleLoad) wantRefused(cookie, path string, want int, who string) bool {
	status := l.check(cookie, path)
	switch {
	case status == 0:
		return false
	case status == http.StatusOK:
		l.noteWrong("%s let through: 200", who)
	case status != want:
		l.noteWrong("%s got %d, want %d", who, status, want)
	}
	return true
}

// passwordSignIn signs bob in with his password and keeps the session.
func (l *scaleLoad) passwordSignIn() bool {
	c := newLBClient(l.lb)
	status, _, err := c.post("/api/login/password", map[string]any{"username": bob.username, "password": bob.password})
	return l.signedIn(c, status, err)
}

// passkeySignIn signs bob in with his passkey, two calls that the balancer
// sends to different replicas.
func (l *scaleLoad) passkeySignIn() bool {
	c := newLBClient(l.lb)
	status, opts, err := c.post("/api/login/passkey/options", map[string]any{"conditional": false})
	if err != nil || status != http.StatusOK {
		return false
	}
	cred, err := l.device.Assert(opts)
	if err != nil {
		return false
	}
	status, body, err := c.post("/api/login/passkey", map[string]any{"credential": json.RawMessage(cred)})
	if status == http.StatusBadRequest && strings.Contains(string(body), `"challenge_expired"`) {
		// The options' challenge was written to a Redis primary that died
		// before a replica acknowledged it: a failure of the fault's window
		// (the user starts again), counted like a 5xx, never a let-through.
		return false
	}
	if status == http.StatusBadRequest || status == http.StatusUnauthorized {
		l.noteWrong("bob's passkey sign-in refused: %d %s", status, body)
	}
	return l.signedIn(c, status, err)
}

func (l *scaleLoad) signedIn(c *lbClient, status int, err error) bool {
	if err != nil || status != http.StatusOK || c.session() == "" {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.acked = append(l.acked, c.session())
	l.signIns++
	return true
}

// window is what one fault cost: the failures from its start until the
// next fault, and how long after its start the last of them came.
type window struct {
	failures int
	last     time.Duration
}

// windows splits the failures by fault: faults[i] began at starts[i].
// Failures before the first fault are returned apart.
func (l *scaleLoad) windows(starts []time.Time) (before int, ws []window) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ws = make([]window, len(starts))
	sort.Slice(l.errs, func(i, j int) bool { return l.errs[i].Before(l.errs[j]) })
	for _, at := range l.errs {
		i := sort.Search(len(starts), func(i int) bool { return starts[i].After(at) }) - 1
		if i < 0 {
			before++
			continue
		}
		ws[i].failures++
		ws[i].last = max(ws[i].last, at.Sub(starts[i]))
	}
	return before, ws
}
