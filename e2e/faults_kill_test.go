package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/testenv"
)

// TestFaultSIGKILL kills the daemon with SIGKILL, round after round, while
// password sign-ins and passkey enrollments run against it. After each kill
// the data file must open again; at the end every credential whose
// enrollment was acknowledged is listed, and every listed credential is
// whole: its key still signs its owner in.
func TestFaultSIGKILL(t *testing.T) {
	const rounds = 6
	dir := t.TempDir()
	config, addr := writeDaemonConfig(t, dir, "")
	bin := keygateBuild.Binary(t)
	var (
		keys  = map[string]*testenv.Passkey{} // by description, every one tried
		acked = map[string]bool{}             // descriptions whose enrollment answered 200
		next  int
	)
	for round := range rounds {
		d := startDaemon(t, dir, config, addr)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var mu sync.Mutex
		wg.Go(func() { signInUntil(addr, stop) })
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				next++
				desc := fmt.Sprintf("key %d", next)
				dev := newPasskeyDevice()
				keys[desc] = dev
				mu.Unlock()
				if enrollOnce(bin, config, addr, dev, desc) {
					mu.Lock()
					acked[desc] = true
					mu.Unlock()
				}
			}
		})
		time.Sleep(time.Duration(300+rand.IntN(700)) * time.Millisecond)
		if err := d.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatalf("round %d: killing keygate: %v", round, err)
		}
		<-d.exited
		close(stop)
		wg.Wait()
	}

	listed := listCredentials(t, config, "bob")
	for desc := range acked {
		if !listed[desc] {
			t.Errorf("enrollment of %q was acknowledged, but the credential is gone after SIGKILL", desc)
		}
	}
	if len(acked) == 0 {
		t.Fatalf("no enrollment was acknowledged in %d rounds: the test exercised nothing", rounds)
	}
	startDaemon(t, dir, config, addr)
	for desc := range listed {
		dev, ok := keys[desc]
		if !ok {
			t.Errorf("credential %q listed, but no enrollment made it", desc)
			continue
		}
		if status := passkeySignIn(t, addr, dev); status != http.StatusOK {
			t.Errorf("credential %q survived a SIGKILL but does not sign in: status %d", desc, status)
		}
	}
	t.Logf("%d rounds of SIGKILL: %d enrollments tried, %d acknowledged, %d stored, every stored key signs in",
		rounds, len(keys), len(acked), len(listed))
}

// signInUntil signs alice in with her password over and over until stop closes;
// it stops early when the daemon goes away.
func signInUntil(addr string, stop <-chan struct{}) {
	body, _ := json.Marshal(map[string]any{"username": alice.username, "password": alice.password})
	for {
		select {
		case <-stop:
			return
		default:
		}
		if _, _, err := postLogin(addr, body); err != nil {
			return
		}
	}
}

// enrollOnce makes an invite for bob through the CLI (the running daemon's
// admin socket) and registers dev with it. It reports whether the daemon
// acknowledged the registration; any failure (the daemon being killed
// mid-way) is a false.
func enrollOnce(bin, config, addr string, dev *testenv.Passkey, desc string) bool {
	out, err := exec.Command(bin, "invite", "bob", "--config", config).Output()
	if err != nil {
		return false
	}
	link := lastLine(string(out))
	_, token, ok := strings.Cut(link, "token=")
	if !ok {
		return false
	}
	c := &portalClient{addr: addr, cookies: map[string]string{}}
	status, opts, err := c.post("/api/enroll/options", map[string]any{"token": token, "description": desc})
	if err != nil || status != http.StatusOK {
		return false
	}
	cred, err := dev.Attest(opts)
	if err != nil {
		return false
	}
	status, _, err = c.post("/api/enroll", map[string]any{"token": token, "credential": cred, "description": desc})
	return err == nil && status == http.StatusOK
}

// passkeySignIn signs dev's owner in with it and returns the final status.
func passkeySignIn(t *testing.T, addr string, dev *testenv.Passkey) int {
	t.Helper()
	c := &portalClient{addr: addr, cookies: map[string]string{}}
	status, opts, err := c.post("/api/login/passkey/options", map[string]any{"conditional": false})
	if err != nil || status != http.StatusOK {
		t.Fatalf("passkey options: status %d, %v: %s", status, err, opts)
	}
	cred, err := dev.Assert(opts)
	if err != nil {
		t.Fatalf("answering passkey options: %v", err)
	}
	status, body, err := c.post("/api/login/passkey", map[string]any{"credential": cred})
	if err != nil {
		t.Fatalf("passkey sign-in: %v", err)
	}
	if status != http.StatusOK {
		t.Logf("passkey sign-in answered %d: %s", status, body)
	}
	return status
}

// listCredentials runs `keygate credentials list USER` on the data file (no
// daemon runs) and returns the descriptions it lists.
func listCredentials(t *testing.T, config, user string) map[string]bool {
	t.Helper()
	out, err := exec.Command(keygateBuild.Binary(t), "credentials", "list", user, "--config", config).CombinedOutput()
	if err != nil {
		t.Fatalf("keygate credentials list %s: %v\n%s", user, err, out)
	}
	listed := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		if i := strings.Index(line, "key "); i >= 0 {
			var n int
			if _, err := fmt.Sscanf(line[i:], "key %d", &n); err == nil {
				listed[fmt.Sprintf("key %d", n)] = true
			}
		}
	}
	return listed
}

// portalClient calls the portal's JSON API at addr (the daemon, or a load
// balancer in front of replicas) as the proxy would pass it, carrying the
// cookies the daemon sets from one call to the next.
type portalClient struct {
	addr    string
	xff     string // X-Forwarded-For to send, as a proxy in front would; "" for none
	cookies map[string]string
	served  []string // X-Served-By of each answer, in order (set by the balancer)
}

func (c *portalClient) post(path string, body any) (int, []byte, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return 0, nil, err
	}
	req, _ := http.NewRequest(http.MethodPost, "http://"+c.addr+path, bytes.NewReader(data))
	req.Host = "auth.example.com"
	req.Header.Set("Origin", portalURL)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-Proto", "https")
	if c.xff != "" {
		req.Header.Set("X-Forwarded-For", c.xff)
	}
	for name, value := range c.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	resp, err := faultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	for _, ck := range resp.Cookies() {
		c.cookies[ck.Name] = ck.Value
	}
	c.served = append(c.served, resp.Header.Get("X-Served-By"))
	return resp.StatusCode, out, err
}

// newPasskeyDevice is a passkey for the stack's relying party (example.com).
func newPasskeyDevice() *testenv.Passkey { return testenv.NewPasskey("example.com", portalURL) }
