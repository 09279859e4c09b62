package e2e

import (
	"bufio"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/testenv"
)

func TestScratchDemo(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(keygateBuild.Binary(t))
	cmd.Dir = dir
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = cmd.Stdout
	testenv.Start(t, cmd)
	sc := bufio.NewScanner(out)
	var link string
	deadline := time.Now().Add(15 * time.Second)
	for sc.Scan() && time.Now().Before(deadline) {
		line := strings.TrimSpace(sc.Text())
		t.Log(line)
		if strings.HasPrefix(line, "http://localhost:9091/enroll?token=") {
			link = line
			break
		}
	}
	go func() { for sc.Scan() {} }()
	if link == "" {
		t.Fatal("no link")
	}
	alloc := testenv.Chromium(t)
	d := newTab(t, alloc, "admin")
	d.scenario(t, "demo", "enroll")
	testenv.AddAuthenticator(t, d.ctx, testenv.PlatformPasskey)
	d.open(t, link)
	d.waitVisible(t, "enroll-form")
	d.shot(t, "invite")
	d.click(t, "enroll-button")
	loc := d.waitURL(t, "^http://localhost:9091/$")
	d.waitVisible(t, "signed-in-view")
	d.shot(t, "signed-in")
	t.Log(loc, d.textOf("signed-in-as"))
	d.open(t, "http://localhost:9091/settings")
	wantCredentials(t, d, []string{"Passkey"})
	d.shot(t, "settings")
}
