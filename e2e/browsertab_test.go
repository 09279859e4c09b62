package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/keygate/keygate/internal/testenv"
)

// waitTimeout bounds every wait for a page, an element or an address.
const waitTimeout = 20 * time.Second

// screenshotRoot is where the browser tests save their screenshots, under the
// module root (ignored by git).
const screenshotRoot = "../test-artifacts/browser"

// shotNumbers numbers the screenshots of each scenario directory across the
// tabs that take them, so that the files sort in the order they were taken.
var shotNumbers = struct {
	sync.Mutex
	next map[string]int
}{next: map[string]int{}}

// nextShot returns the next screenshot number in dir.
func nextShot(dir string) int {
	shotNumbers.Lock()
	defer shotNumbers.Unlock()
	shotNumbers.next[dir]++
	return shotNumbers.next[dir]
}

// tab is one person's browser: a tab with its own cookies, its virtual
// authenticators, and the screenshots of the scenario it is in.
type tab struct {
	ctx  context.Context
	name string
	dir  string // the current scenario's screenshot directory

	mu  sync.Mutex
	log []string // what the page's scripts reported, for failures
}

// newTab opens a browser for one person of the stack's proxy.
func newTab(t *testing.T, alloc context.Context, name string) *tab {
	t.Helper()
	ctx := testenv.BrowserTab(t, alloc)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(960, 840)); err != nil {
		t.Fatalf("setting the viewport: %v", err)
	}
	b := &tab{ctx: ctx, name: name}
	b.watch()
	return b
}

// withoutJSONHelpers makes the tab a browser without the WebAuthn JSON helpers
// (PublicKeyCredential.parseCreationOptionsFromJSON, parseRequestOptionsFromJSON
// and toJSON), as older browsers are, so that the portal takes its own
// base64url fallback. It applies to every page the tab opens from now on.
func withoutJSONHelpers(t *testing.T, b *tab) {
	t.Helper()
	const script = `if (window.PublicKeyCredential) {
  delete PublicKeyCredential.parseCreationOptionsFromJSON;
  delete PublicKeyCredential.parseRequestOptionsFromJSON;
  delete PublicKeyCredential.prototype.toJSON;
}`
	remove := chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
		_, err := cdp.Call(ctx, target, page.AddScriptToEvaluateOnNewDocument,
			page.AddScriptToEvaluateOnNewDocumentParams{Source: script})
		return err
	})
	if err := b.do(remove); err != nil {
		t.Fatalf("%s: removing the WebAuthn JSON helpers: %v", b.name, err)
	}
}

// watch records the page's console messages and uncaught exceptions.
func (b *tab) watch() {
	console := chromedp.Events(b.ctx, runtime.ConsoleAPICalled)
	exceptions := chromedp.Events(b.ctx, runtime.ExceptionThrown)
	go func() {
		for ev, err := range console {
			if err != nil {
				return
			}
			var parts []string
			for _, a := range ev.Args {
				parts = append(parts, strings.Trim(string(a.Value), `"`)+a.Description)
			}
			b.record(fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(parts, " ")))
		}
	}()
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			text := ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil {
				text += " " + ev.ExceptionDetails.Exception.Description
			}
			b.record("exception: " + text)
		}
	}()
}

func (b *tab) record(line string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.log = append(b.log, line)
}

// scenario starts the screenshots of a scenario in a fresh directory, and
// shows what the page's scripts reported if the scenario fails.
func (b *tab) scenario(t *testing.T, proxy, name string) {
	t.Helper()
	b.dir = filepath.Join(screenshotRoot, proxy, name)
	if err := os.MkdirAll(b.dir, 0o755); err != nil {
		t.Fatalf("creating %s: %v", b.dir, err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		b.shot(t, "failure")
		b.mu.Lock()
		defer b.mu.Unlock()
		if len(b.log) > 0 {
			t.Logf("%s's browser console:\n%s", b.name, strings.Join(b.log, "\n"))
		}
	})
}

// shot saves a screenshot of the whole page as the scenario's next PNG.
func (b *tab) shot(t *testing.T, name string) {
	t.Helper()
	if b.dir == "" {
		return
	}
	png, err := run(b, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	file := filepath.Join(b.dir, fmt.Sprintf("%02d-%s-%s.png", nextShot(b.dir), b.name, name))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Errorf("saving %s: %v", file, err)
	}
}

// do runs actions in the tab, bounded by waitTimeout.
func (b *tab) do(actions ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
	defer cancel()
	return chromedp.Do(ctx, actions...)
}

// run runs one action that returns a value in the tab, bounded by waitTimeout.
func run[T any](b *tab, action chromedp.Action[T]) (T, error) {
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
	defer cancel()
	return chromedp.Run(ctx, action)
}

// open navigates to address.
func (b *tab) open(t *testing.T, address string) {
	t.Helper()
	if err := b.do(chromedp.Navigate(address)); err != nil {
		t.Fatalf("%s opening %s: %v", b.name, address, err)
	}
}

// openStatus navigates to address and returns the HTTP status of the page.
func (b *tab) openStatus(t *testing.T, address string) int64 {
	t.Helper()
	resp, err := run(b, chromedp.NavigateResponse(address))
	if err != nil {
		t.Fatalf("%s opening %s: %v", b.name, address, err)
	}
	return resp.Status
}

// waitURL waits until the tab's address matches pattern, and returns it.
func (b *tab) waitURL(t *testing.T, pattern string) string {
	t.Helper()
	re := regexp.MustCompile(pattern)
	deadline := time.Now().Add(waitTimeout)
	var last string
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, time.Second)
		loc, err := chromedp.Run(ctx, chromedp.Location())
		cancel()
		if err == nil {
			last = loc
			if re.MatchString(loc) {
				return loc
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s's address is %q after %v, want one matching %s (status: %q)", b.name, last, waitTimeout, pattern, b.status())
	return ""
}

// waitVisible waits until the element with id is shown.
func (b *tab) waitVisible(t *testing.T, id string) {
	t.Helper()
	if err := b.do(chromedp.WaitVisible(chromedp.ID(id))); err != nil {
		t.Fatalf("%s: #%s not shown: %v (status: %q)", b.name, id, err, b.status())
	}
}

// waitText waits until the element with id shows a text containing want.
func (b *tab) waitText(t *testing.T, id, want string) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	var got string
	for time.Now().Before(deadline) {
		got = b.textOf(id)
		if strings.Contains(got, want) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: #%s says %q after %v, want it to contain %q", b.name, id, got, waitTimeout, want)
}

// textOf returns the text of the element with id, "" when there is none.
func (b *tab) textOf(id string) string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		fmt.Sprintf(`(document.getElementById(%q) || {}).textContent || ""`, id)))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(text)
}

// status is the text of the page's status line.
func (b *tab) status() string { return b.textOf("status") }

// fill types text into the field with id.
func (b *tab) fill(t *testing.T, id, text string) {
	t.Helper()
	if err := b.do(chromedp.SendKeys(chromedp.ID(id), text)); err != nil {
		t.Fatalf("%s typing into #%s: %v", b.name, id, err)
	}
}

// click clicks the element with id.
func (b *tab) click(t *testing.T, id string) {
	t.Helper()
	b.clickCSS(t, "#"+id)
}

// clickCSS clicks the first element matching a CSS selector.
func (b *tab) clickCSS(t *testing.T, selector string) {
	t.Helper()
	if err := b.do(chromedp.Click(chromedp.CSS(selector))); err != nil {
		t.Fatalf("%s clicking %s: %v (status: %q)", b.name, selector, err, b.status())
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, b *tab, expression string) T {
	t.Helper()
	v, err := run(b, chromedp.Evaluate[T](expression, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s evaluating %s: %v", b.name, expression, err)
	}
	return v
}

// waitVisibleCSS waits until an element matching a CSS selector is shown.
func (b *tab) waitVisibleCSS(t *testing.T, selector string) {
	t.Helper()
	if err := b.do(chromedp.WaitVisible(chromedp.CSS(selector))); err != nil {
		t.Fatalf("%s: %s not shown: %v (status: %q)", b.name, selector, err, b.status())
	}
}

// setValue replaces the value of the field matching a CSS selector.
func setValue(selector, value string) chromedp.Action[chromedp.Void] {
	return chromedp.SetValue(chromedp.CSS(selector), value)
}

// jsString is s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// phoneInDarkMode makes the tab a phone-sized screen that prefers dark colours.
func phoneInDarkMode(t *testing.T, b *tab) {
	t.Helper()
	dark := chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
		_, err := cdp.Call(ctx, target, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
		})
		return err
	})
	if err := b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), dark); err != nil {
		t.Fatalf("emulating a phone in dark mode: %v", err)
	}
}
