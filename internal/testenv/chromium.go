package testenv

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/remote"
)

// chromiumStartTimeout bounds how long a started Chromium may take to open its
// DevTools endpoint.
const chromiumStartTimeout = 30 * time.Second

// devToolsLine is the line Chromium writes to standard error once its DevTools
// endpoint listens; the match is the browser's websocket URL.
var devToolsLine = regexp.MustCompile(`DevTools listening on (ws://\S+)`)

// Chromium starts headless Chromium with a fresh profile in a temporary
// directory and DevTools on a free loopback port, and returns a chromedp
// allocator context connected to it. Every chromedp context made from it drives
// that one browser; BrowserTab gives each simulated person a tab with its own
// cookies. The browser is stopped by its PID when the test ends, and the tail of
// its standard error is shown if the test failed.
//
// Pages on http://localhost and http://*.localhost are secure contexts, so
// WebAuthn works there without certificates; Chromium resolves *.localhost to
// loopback by itself.
func Chromium(t testing.TB) context.Context {
	t.Helper()
	bin := Require(t, "chromium", "chromium")
	cmd := exec.Command(bin,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--remote-debugging-port=0", "about:blank")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatalf("testenv: chromium stderr pipe: %v", err)
	}
	cmd.Stderr = w
	Start(t, cmd)
	w.Close() // the browser and its children hold the write end
	log := &lineLog{}
	found := make(chan string, 1)
	go log.read(r, found)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("chromium stderr (tail):\n%s", log.tail())
		}
	})
	var wsURL string
	select {
	case wsURL = <-found:
	case <-time.After(chromiumStartTimeout):
		t.Fatalf("testenv: chromium printed no DevTools address within %v\n%s", chromiumStartTimeout, log.tail())
	}
	alloc, cancel := remote.NewAllocator(context.Background(), wsURL, remote.NoModifyURL)
	t.Cleanup(cancel) // runs before Start's cleanup stops the process
	return alloc
}

// BrowserTab opens a tab in a new browser context of the Chromium behind alloc:
// like a separate person's browser, it shares no cookies or storage with other
// tabs made by BrowserTab. The tab and its context are closed when the test ends.
func BrowserTab(t testing.TB, alloc context.Context) context.Context {
	t.Helper()
	root, cancelRoot := chromedp.NewContext(alloc)
	t.Cleanup(cancelRoot)
	if err := chromedp.Do(root); err != nil {
		t.Fatalf("testenv: connecting to chromium: %v", err)
	}
	tab, cancelTab := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
	t.Cleanup(cancelTab)
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("testenv: opening a tab in a new browser context: %v", err)
	}
	return tab
}

// lineLog keeps the last lines a process wrote, for failure reports.
type lineLog struct {
	mu    sync.Mutex
	lines []string
}

// maxLogLines bounds what a lineLog keeps.
const maxLogLines = 200

// read consumes r line by line until EOF, sending the first DevTools URL on found.
func (l *lineLog) read(r *os.File, found chan<- string) {
	defer r.Close()
	sent := false
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := devToolsLine.FindStringSubmatch(line); m != nil && !sent {
			found <- m[1]
			sent = true
		}
		if strings.Contains(line, "dbus/") {
			continue // no system bus in a test machine: noise
		}
		l.mu.Lock()
		l.lines = append(l.lines, line)
		if len(l.lines) > maxLogLines {
			l.lines = l.lines[len(l.lines)-maxLogLines:]
		}
		l.mu.Unlock()
	}
}

func (l *lineLog) tail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return tail([]byte(strings.Join(l.lines, "\n")))
}
