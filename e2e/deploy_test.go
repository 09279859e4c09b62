package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/keygate/keygate/config"
	"github.com/keygate/keygate/internal/testenv"
)

// TestDockerImage checks deploy/docker/Dockerfile and the build context: a
// health check in exec form (the image has no shell) running the entry point's
// healthcheck command, and a .dockerignore at the repository root (the context)
// that keeps history, local data and build output out.
func TestDockerImage(t *testing.T) {
	text := readDeploy(t, "docker/Dockerfile")
	_, _, entry := readDockerfile(t)
	health := regexp.MustCompile(`(?m)^HEALTHCHECK (?:--\S+ )*CMD (.*)$`).FindStringSubmatch(text)
	want := fmt.Sprintf(`[%q, "healthcheck"]`, entry)
	if health == nil || health[1] != want {
		t.Errorf("Dockerfile HEALTHCHECK: got %q, want CMD %s (exec form)", health, want)
	}
	ignore, err := os.ReadFile(filepath.Join(filepath.Dir(deployPath(t, "README.md")), "..", ".dockerignore"))
	if err != nil {
		t.Fatalf("no .dockerignore at the repository root, the build context: %v", err)
	}
	lines := strings.Fields(string(ignore))
	for _, want := range [][]string{{".git"}, {"keygate-data/", "**/keygate-data/"}, {"bin/"}, {"dist/"}} {
		if !slices.ContainsFunc(want, func(w string) bool { return slices.Contains(lines, w) }) {
			t.Errorf(".dockerignore lacks %s", want[0])
		}
	}
	for _, keep := range []string{"go.mod", "go.sum", "cmd", "deploy", "Dockerfile"} {
		if slices.Contains(lines, keep) || slices.Contains(lines, keep+"/") {
			t.Errorf(".dockerignore drops %s, which the build needs", keep)
		}
	}
}

// composeService is one service of a compose file, with ${VAR:-default}
// replaced by its default.
type composeService struct {
	Build       struct{ Context, Dockerfile string }
	Image       string
	Command     []string
	Environment map[string]string
	Labels      map[string]string
	Ports       []string
	Networks    any // a list of names, or a map of name to {ipv4_address}
}

// ipv4 is the fixed address of s on network, or the zero address.
func (s composeService) ipv4(network string) netip.Addr {
	a, _ := netip.ParseAddr(yamlStr(s.Networks, network, "ipv4_address"))
	return a
}

type composeFile struct {
	Name     string
	Services map[string]composeService
	Networks map[string]struct {
		IPAM struct{ Config []struct{ Subnet string } }
	}
}

// readCompose parses deploy/docker/NAME with every variable at its default.
func readCompose(t *testing.T, name string) composeFile {
	text := regexp.MustCompile(`\$\{[A-Z_]+:-([^}]*)\}`).ReplaceAllString(readDeploy(t, "docker/"+name), "$1")
	if strings.Contains(text, "${") {
		t.Fatalf("deploy/docker/%s: a variable without a default", name)
	}
	var f composeFile
	if err := yaml.Unmarshal([]byte(text), &f); err != nil {
		t.Fatalf("deploy/docker/%s: %v", name, err)
	}
	return f
}

// TestCompose checks deploy/docker/compose.yml (Caddy) and compose.traefik.yml
// (Traefik with Docker labels) without a Docker engine: Keygate's environment
// loads with Keygate's own config code, a sign-in without rd lands on the
// application as the proxy serves it, only the proxy publishes ports and only
// the proxy is trusted, and the proxy reaches Keygate and the application on
// the ports they listen on. The Caddyfile is adapted by caddy with the
// environment compose gives it.
func TestCompose(t *testing.T) {
	t.Run("caddy", func(t *testing.T) {
		f := readCompose(t, "compose.yml")
		proxy := f.Services["proxy"]
		env := proxy.Environment
		checkComposeKeygate(t, f, "proxy", env["KEYGATE_PORTAL_SITE"], env["KEYGATE_APP_SITE"])
		expect(t, "compose.yml proxy",
			check{env["KEYGATE_ADDRESS"] == "keygate:"+keygatePort(t), "KEYGATE_ADDRESS is not keygate:" + keygatePort(t)},
			check{env["KEYGATE_APP_UPSTREAM"] == "app:"+appPort(f.Services["app"]), "KEYGATE_APP_UPSTREAM is not the app's listen port"},
			check{slices.Contains(proxy.Ports, "443:443"), "port 443 not published"})
		caddyAdapt(t, env)
	})
	t.Run("traefik", func(t *testing.T) {
		f := readCompose(t, "compose.traefik.yml")
		labels := map[string]string{}
		for _, s := range f.Services {
			for k, v := range s.Labels {
				labels[k] = v
			}
		}
		host := func(router string) string {
			m := regexp.MustCompile("^Host\\(`([^`]+)`\\)").FindStringSubmatch(labels["traefik.http.routers."+router+".rule"])
			if m == nil {
				t.Fatalf("router %s: no Host rule", router)
			}
			return m[1]
		}
		checkComposeKeygate(t, f, "traefik", host("keygate-portal"), host("app"))
		checkTraefikLabels(t, f, labels)
	})
}

// checkComposeKeygate checks the keygate service of f against the proxy
// service named proxy, which serves the portal at portalHost and the
// application at appHost.
func checkComposeKeygate(t *testing.T, f composeFile, proxy, portalHost, appHost string) {
	kg := f.Services["keygate"]
	env, _, _ := readDockerfile(t)
	for k, v := range kg.Environment {
		env = append(env, k+"="+v)
	}
	cfg, err := config.Load("", env) // the embedded default, as the image runs it
	if err != nil {
		t.Fatalf("keygate's environment does not load:\n%s", config.FormatErrors(err))
	}
	landing, portal := mustURL(t, cfg.Session.DefaultRedirectURL), mustURL(t, cfg.Session.PortalURL)
	proxyAddr := f.Services[proxy].ipv4("keygate")
	if !proxyAddr.IsValid() {
		t.Fatalf("%s: no fixed address on network keygate", proxy)
	}
	subnet := netip.MustParsePrefix(f.Networks["keygate"].IPAM.Config[0].Subnet)
	trusted := slices.ContainsFunc(cfg.Server.TrustedProxies, func(p string) bool {
		pp, err := netip.ParsePrefix(p)
		return err == nil && pp.Contains(proxyAddr) && pp.Bits() == 32
	})
	expect(t, "compose project "+f.Name+", service keygate",
		check{kg.Build.Dockerfile == "deploy/docker/Dockerfile" && kg.Build.Context == "../..", "not built from deploy/docker/Dockerfile with the repository as context"},
		check{landing.Scheme == "https" && landing.Host == appHost, "session.default_redirect_url " + landing.String() + " is not the application https://" + appHost + " as the proxy serves it"},
		check{portal.Scheme == "https" && portal.Host == portalHost, "session.portal_url " + portal.String() + " is not https://" + portalHost},
		check{len(kg.Ports) == 0 && len(f.Services["app"].Ports) == 0, "keygate or app publishes ports: only the proxy may be reached"},
		check{trusted && subnet.Contains(proxyAddr) && len(cfg.Server.TrustedProxies) == 1, fmt.Sprintf("server.trusted_proxies %v is not the proxy's address %s alone", cfg.Server.TrustedProxies, proxyAddr)},
		underCookieDomain(appHost, cfg))
}

// checkTraefikLabels checks the Traefik labels of compose.traefik.yml.
func checkTraefikLabels(t *testing.T, f composeFile, labels map[string]string) {
	l := func(k string) string { return labels["traefik.http."+k] }
	for _, router := range []string{"app", "keygate-portal", "keygate-authz"} {
		for _, mw := range strings.Split(l("routers."+router+".middlewares"), ",") {
			name, _, _ := strings.Cut(mw, "@")
			expect(t, "router "+router, check{mw == "" || strings.HasSuffix(mw, "@docker") && hasPrefixKey(labels, "traefik.http.middlewares."+name+"."),
				"middleware " + mw + " is not defined by a label"})
		}
	}
	var strip []string
	for k, v := range labels {
		if h, ok := strings.CutPrefix(k, "traefik.http.middlewares.keygate-strip-identity.headers.customrequestheaders."); ok && v == "" {
			strip = append(strip, h)
		}
	}
	cmd := f.Services["traefik"].Command
	priority, _ := strconv.Atoi(l("routers.keygate-authz.priority"))
	expect(t, "Traefik labels",
		check{l("routers.app.middlewares") == "keygate-strip-identity@docker,keygate@docker", "router app does not strip, then check with keygate"},
		check{l("middlewares.keygate.forwardauth.address") == "http://keygate:"+keygatePort(t)+"/api/authz/forward-auth", "forwardauth.address is not Keygate's forward-auth endpoint"},
		check{l("middlewares.keygate.forwardauth.trustForwardHeader") == "false", "forwardauth.trustForwardHeader is not false"},
		identityHeadersIn(strings.Split(l("middlewares.keygate.forwardauth.authResponseHeaders"), ",")),
		check{len(strip) == len(identityHeaders), fmt.Sprintf("keygate-strip-identity removes %v, want the %d Remote_ spellings", strip, len(identityHeaders))},
		check{l("routers.keygate-authz.rule") == l("routers.keygate-portal.rule")+" && PathPrefix(`/api/authz/`)" && priority > 0 &&
			l("routers.keygate-authz.middlewares") == "keygate-authz-internal@docker", "the portal's /api/authz/ router does not take precedence through keygate-authz-internal"},
		check{allLoopback(strings.Split(l("middlewares.keygate-authz-internal.ipallowlist.sourcerange"), ",")), "keygate-authz-internal does not refuse everyone"},
		check{l("services.keygate.loadbalancer.server.port") == keygatePort(t), "service keygate is not on Keygate's port"},
		check{l("services.app.loadbalancer.server.port") == appPort(f.Services["app"]), "service app is not on the app's listen port"},
		check{slices.Contains(cmd, "--providers.docker.exposedByDefault=false") && slices.Contains(cmd, "--providers.docker.network="+f.Name+"_keygate"), "Traefik does not read labels of enabled containers on the keygate network only"},
		check{slices.Contains(f.Services["traefik"].Ports, "443:443"), "port 443 not published"})
}

func hasPrefixKey(m map[string]string, prefix string) bool {
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// keygatePort is the port the image listens on (KEYGATE_SERVER__ADDRESS in the Dockerfile).
func keygatePort(t *testing.T) string {
	env, _, _ := readDockerfile(t)
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "KEYGATE_SERVER__ADDRESS="); ok {
			_, port, _ := strings.Cut(v, ":")
			return port
		}
	}
	t.Fatal("the Dockerfile sets no KEYGATE_SERVER__ADDRESS")
	return ""
}

// appPort is the port the demo application listens on (caddy respond --listen :PORT).
func appPort(app composeService) string {
	if i := slices.Index(app.Command, "--listen"); i >= 0 && i+1 < len(app.Command) {
		return strings.TrimPrefix(app.Command[i+1], ":")
	}
	return ""
}

// caddyAdapt runs caddy adapt --validate on the Caddyfile compose mounts, with
// the proxy's environment.
func caddyAdapt(t *testing.T, env map[string]string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, testenv.Require(t, "caddy", "caddy"), "adapt", "--config", deployPath(t, "caddy/Caddyfile"), "--adapter", "caddyfile", "--validate")
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "XDG_DATA_HOME="+t.TempDir(), "XDG_CONFIG_HOME="+t.TempDir())
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("caddy adapt with compose's environment: %v\n%s", err, stderr.String())
	}
	for _, want := range []string{`"keygate:9091"`, `"app:8080"`, `"auth.example.com"`, `"app.example.com"`} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the adapted Caddy config lacks %s", want)
		}
	}
}

// TestSystemdUnit runs systemd-analyze verify on deploy/systemd/keygate.service,
// with ExecStart pointing at a freshly built keygate, and fails on any warning.
func TestSystemdUnit(t *testing.T) {
	unit := readDeploy(t, "systemd/keygate.service")
	const execStart = "ExecStart=/usr/local/bin/keygate serve --config %d/keygate.yml"
	if !strings.Contains(unit, execStart) {
		t.Fatalf("keygate.service: no line %s", execStart)
	}
	bin := keygateBuild.Binary(t)
	path := filepath.Join(t.TempDir(), "keygate.service")
	writeFile(t, path, strings.ReplaceAll(unit, "/usr/local/bin/keygate", bin))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, testenv.Require(t, "systemd-analyze", "systemd"), "verify", path).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify keygate.service: %v\n%s", err, out)
	}
}
