package e2e

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/keygate/keygate/config"
	"github.com/keygate/keygate/directory"
)

// TestKubernetesManifests checks deploy/kubernetes without a cluster: objects,
// references, pod settings. It rebuilds the pod's volumes under a temp dir and
// loads the container's configuration with config.Load (as keygate check-config
// does) and environment, and the users file with directory.New. The one change
// made to keygate.yml: each file path it names (keys "path", "file", "*_file")
// gets the temp dir in front. The proxy files must reach Keygate's Service.
func TestKubernetesManifests(t *testing.T) {
	svc, cfg := checkKeygateManifests(t, readManifests(t, "keygate.yaml"))
	t.Run("ingress-nginx", func(t *testing.T) { checkIngressNginx(t, readManifests(t, "ingress-nginx.yaml"), svc, cfg) })
	t.Run("traefik", func(t *testing.T) { checkTraefik(t, readManifests(t, "traefik.yaml"), svc, cfg) })
	t.Run("gateway-api", func(t *testing.T) { checkGateway(t, readManifests(t, "gateway-api.yaml"), svc, cfg) })
}

const kubeNamespace, annotationPrefix = "keygate", "nginx.ingress.kubernetes.io/"

// keygateService is where the proxies reach Keygate.
type keygateService struct{ name, namespace, port string }

// check is one expectation, and what expect reports when ok is false.
type check struct {
	ok   bool
	what string
}

func expect(t *testing.T, where string, checks ...check) {
	t.Helper()
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: %s", where, c.what)
		}
	}
}

// checkKeygateManifests checks keygate.yaml and returns Keygate's Service and
// the configuration the pod loads.
func checkKeygateManifests(t *testing.T, objs []any) (keygateService, *config.Config) {
	for _, o := range objs {
		kind, ns := yamlStr(o, "kind"), yamlStr(o, "metadata", "namespace")
		expect(t, kind+" "+yamlStr(o, "metadata", "name"), check{ns == kubeNamespace || kind == "Namespace" && ns == "", "not in namespace " + kubeNamespace})
	}
	mustFind(t, objs, "Namespace", "", kubeNamespace)
	dep := yamlAt(mustFind(t, objs, "Deployment", kubeNamespace, "keygate"), "spec")
	labels, pod, c := yamlAt(dep, "template", "metadata", "labels"), yamlAt(dep, "template", "spec"), yamlAt(dep, "template", "spec", "containers", 0)
	svc := mustFind(t, objs, "Service", kubeNamespace, "keygate")
	port := yamlAt(svc, "spec", "ports", 0)
	env, uid, entrypoint := readDockerfile(t)
	args := yamlStrs(c, "args")
	i := slices.Index(args, "--config")
	expect(t, "Deployment keygate",
		check{yamlAt(dep, "replicas") == 1, "replicas is not 1 (one process per bbolt file)"},
		check{yamlStr(dep, "strategy", "type") == "Recreate", "strategy is not Recreate (one process per bbolt file)"},
		check{containsLabels(labels, yamlAt(dep, "selector", "matchLabels")), "the selector does not match the pod's labels"},
		check{len(yamlList(pod, "containers")) == 1, "not one container"},
		check{yamlAt(c, "command") == nil && slices.Equal(args[:min(1, len(args))], []string{"serve"}) && i > 0 && i+1 < len(args), "want the image's entry point with args serve --config FILE"})
	expect(t, "Service keygate",
		check{containsLabels(labels, yamlAt(svc, "spec", "selector")), "the selector does not select the pod's labels"},
		check{cmp.Or(yamlStr(svc, "spec", "type"), "ClusterIP") == "ClusterIP" && len(yamlList(svc, "spec", "ports")) == 1, "not ClusterIP with one port"},
		check{yamlStr(port, "port") == "9091" && containerPort(c, yamlStr(port, "targetPort")) == "9091", "not port 9091 to the container's 9091"})
	checkContainer(t, c, yamlAt(pod, "securityContext"), uid)
	expect(t, "deploy/README.md", check{strings.Contains(readDeploy(t, "README.md"), "exec deploy/keygate -- "+entrypoint+" invite"), "no invite command with the image's binary " + entrypoint})
	root, mounts := rebuildPod(t, objs, pod, c)
	file, fileAddress := podConfig(t, root, mounts, yamlStr(c, "args", i+1))
	for _, e := range yamlList(c, "env") {
		env = append(env, yamlStr(e, "name")+"="+yamlStr(e, "value"))
	}
	cfg, err := config.Load(file, env)
	if err != nil {
		t.Fatalf("keygate.yml of the ConfigMap does not load:\n%s", config.FormatErrors(err))
	}
	for _, addr := range []string{cfg.Server.Address, fileAddress} {
		host, p, _ := net.SplitHostPort(addr)
		expect(t, "server.address "+addr, check{(host == "0.0.0.0" || host == "") && p == containerPort(c, "http"), "want every interface, on the container port"})
	}
	expect(t, "server.trusted_proxies", check{len(cfg.Server.TrustedProxies) > 0 && !allLoopback(cfg.Server.TrustedProxies), "loopback only: the ingress controller would get 403"})
	d, err := directory.New(directory.Config{File: cfg.Users.File}, nil)
	if err != nil {
		t.Fatalf("users.yml of the Secret: %v", err)
	}
	var users struct{ Users map[string]any }
	data, err := os.ReadFile(cfg.Users.File)
	expect(t, "users.yml", check{err == nil && yaml.Unmarshal(data, &users) == nil && len(users.Users) > 0, "no users"})
	for name := range users.Users {
		_, ok := d.Lookup(name)
		expect(t, "users.yml", check{ok, "user " + name + " not loaded"})
	}
	return keygateService{yamlStr(svc, "metadata", "name"), kubeNamespace, yamlStr(port, "port")}, cfg
}

// checkContainer checks the image, probes, hardening and memory of container c.
func checkContainer(t *testing.T, c, podSecurity any, uid string) {
	image, _, _ := strings.Cut(path.Base(yamlStr(c, "image")), ":")
	security := func(key string) any { return cmp.Or(yamlAt(c, "securityContext", key), yamlAt(podSecurity, key)) }
	expect(t, "container",
		check{yamlStr(c, "readinessProbe", "httpGet", "path") == "/api/health" && containerPort(c, yamlStr(c, "readinessProbe", "httpGet", "port")) == "9091", "readinessProbe is not GET /api/health on 9091"},
		check{yamlStr(c, "livenessProbe", "httpGet", "path") == "/api/health" && containerPort(c, yamlStr(c, "livenessProbe", "httpGet", "port")) == "9091", "livenessProbe is not GET /api/health on 9091"},
		check{image == "keygate", "the image is not the keygate image of deploy/docker/Dockerfile"},
		check{security("runAsNonRoot") == true, "runAsNonRoot is not true"},
		check{security("runAsUser") == nil || fmt.Sprint(security("runAsUser")) == uid, "runAsUser is not the image's user " + uid},
		check{security("readOnlyRootFilesystem") == true, "readOnlyRootFilesystem is not true"},
		check{security("allowPrivilegeEscalation") == false, "allowPrivilegeEscalation is not false"},
		check{slices.Equal(yamlStrs(c, "securityContext", "capabilities", "drop"), []string{"ALL"}), "capabilities.drop is not [ALL]"},
		check{yamlStr(security("seccompProfile"), "type") == "RuntimeDefault", "seccompProfile is not RuntimeDefault"},
		check{mebibytes(yamlStr(c, "resources", "limits", "memory")) >= 256, "the memory limit is under 256Mi (argon2id bursts)"},
		check{mebibytes(yamlStr(c, "resources", "requests", "memory")) > 0, "no memory request"})
}

// rebuildPod writes each volume the container mounts (ConfigMap data, Secret
// stringData) under a temp dir at its mount path; it returns the dir and which
// mount paths are writable. Missing objects and readable Secrets fail the test.
func rebuildPod(t *testing.T, objs []any, pod, c any) (string, map[string]bool) {
	root, mounts := t.TempDir(), map[string]bool{}
	for _, m := range yamlList(c, "volumeMounts") {
		name, dir := "volume "+yamlStr(m, "name"), path.Clean(yamlStr(m, "mountPath"))
		v := yamlAt(pod, "volumes", slices.IndexFunc(yamlList(pod, "volumes"), func(v any) bool { return yamlStr(v, "name") == yamlStr(m, "name") }))
		sources, mode := yamlList(v, "projected", "sources"), cmp.Or(yamlAt(v, "projected", "defaultMode"), yamlAt(v, "secret", "defaultMode"))
		if yamlAt(v, "projected") == nil {
			sources = []any{v}
		}
		claim := yamlStr(v, "persistentVolumeClaim", "claimName")
		mounts[dir] = false
		if claim != "" || yamlAt(v, "emptyDir") != nil {
			expect(t, name, check{claim == "" || findObject(objs, "PersistentVolumeClaim", kubeNamespace, claim) != nil, "no PersistentVolumeClaim " + claim})
			mounts[dir], sources = yamlAt(m, "readOnly") != true, nil
		}
		os.MkdirAll(filepath.Join(root, dir), 0o700) // writeFile reports a failure
		for _, s := range sources {
			kind, ref, key := "ConfigMap", yamlStr(s, "configMap", "name"), "data"
			if yamlAt(s, "secret") != nil {
				kind, ref, key = "Secret", cmp.Or(yamlStr(s, "secret", "name"), yamlStr(s, "secret", "secretName")), "stringData"
				bits, ok := mode.(int)
				expect(t, name, check{ok && bits&0o007 == 0, "Secret " + ref + " needs a defaultMode without permissions for others"})
			}
			o := findObject(objs, kind, kubeNamespace, ref)
			expect(t, name, check{o != nil, fmt.Sprintf("no %s %q (or a kind of volume this test does not read)", kind, ref)})
			files, _ := yamlAt(o, key).(map[string]any)
			for k := range files {
				writeFile(t, filepath.Join(root, dir, k), yamlStr(files, k))
			}
		}
	}
	return root, mounts
}

// podConfig returns a copy of the container's config file with its file paths
// moved under root, and the file's server.address. A path outside the volumes,
// or one Keygate writes to outside a writable volume, fails the test.
func podConfig(t *testing.T, root string, mounts map[string]bool, file string) (string, string) {
	data, err := os.ReadFile(filepath.Join(root, file))
	var doc map[string]any
	if err != nil || yaml.Unmarshal(data, &doc) != nil {
		t.Fatalf("--config %s: not a YAML file in the pod's volumes (%v)", file, err)
	}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			if section, ok := v.(map[string]any); ok {
				walk(prefix+k+".", section)
			}
			value, _ := v.(string)
			if value == "" || (k != "path" && k != "file" && !strings.HasSuffix(k, "_file")) {
				continue
			}
			mount := "" // the innermost mount holding the value
			for dir := range mounts {
				if strings.HasPrefix(path.Clean(value), dir+"/") && len(dir) > len(mount) {
					mount = dir
				}
			}
			expect(t, prefix+k+" "+value,
				check{mount != "", "in no volume of the pod (the root file system is read-only)"},
				check{mount == "" || mounts[mount] || (prefix+k != "storage.path" && prefix+k != "notifier.file"), "on a read-only volume, and Keygate writes there"})
			m[k] = filepath.Join(root, value)
		}
	}
	walk("", doc)
	out, _ := yaml.Marshal(doc) // a map decoded from YAML marshals
	rewritten := filepath.Join(t.TempDir(), "keygate.yml")
	writeFile(t, rewritten, string(out))
	return rewritten, yamlStr(doc, "server", "address")
}

// readDockerfile returns what deploy/docker/Dockerfile's image sets: its
// environment (ENV KEY=VALUE), its user ID and the binary of its entry point.
func readDockerfile(t *testing.T) (env []string, uid, entrypoint string) {
	text := readDeploy(t, "docker/Dockerfile")
	for _, m := range regexp.MustCompile(`(?m)^ENV (\S+=\S*)$`).FindAllStringSubmatch(text, -1) {
		env = append(env, m[1])
	}
	user := regexp.MustCompile(`(?m)^USER (\d+)`).FindStringSubmatch(text)
	entry := regexp.MustCompile(`(?m)^ENTRYPOINT \["([^"]+)"`).FindStringSubmatch(text)
	if user == nil || entry == nil {
		t.Fatal("deploy/docker/Dockerfile: no USER or ENTRYPOINT")
	}
	return env, user[1], entry[1]
}

// checkIngressNginx checks the portal's two Ingresses (the second refusing
// /api/authz/ to everyone) and the protected application's annotations.
func checkIngressNginx(t *testing.T, objs []any, svc keygateService, cfg *config.Config) {
	portal := mustURL(t, cfg.Session.PortalURL)
	for _, o := range objs {
		expect(t, "Ingress "+yamlStr(o, "metadata", "name"), check{yamlStr(o, "kind") == "Ingress" && yamlStr(o, "spec", "ingressClassName") != "", "not an Ingress with an ingressClassName"})
	}
	for name, want := range map[string]string{"keygate-portal": "/", "keygate-authz-internal": "/api/authz/"} {
		rule := yamlAt(mustFind(t, objs, "Ingress", svc.namespace, name), "spec", "rules", 0)
		p := yamlAt(rule, "http", "paths", 0)
		expect(t, "Ingress "+name, check{yamlStr(rule, "host") == portal.Hostname() && yamlStr(p, "path") == want && yamlStr(p, "backend", "service", "name") == svc.name &&
			yamlStr(p, "backend", "service", "port", "number") == svc.port, fmt.Sprintf("want %s%s to Service %s port %s", portal.Hostname(), want, svc.name, svc.port)})
	}
	annotation := func(o any, k string) string { return yamlStr(o, "metadata", "annotations", annotationPrefix+k) }
	blocked := mustFind(t, objs, "Ingress", svc.namespace, "keygate-authz-internal")
	app := mustFind(t, objs, "Ingress", "default", "app")
	signin := mustURL(t, annotation(app, "auth-signin"))
	rd := signin.Query().Get("rd")
	expect(t, "Ingress",
		check{allLoopback(strings.Split(cmp.Or(annotation(blocked, "whitelist-source-range"), annotation(blocked, "allowlist-source-range")), ",")), "keygate-authz-internal: the source range is not loopback only"},
		check{signin.Scheme == portal.Scheme && signin.Host == portal.Host, "app: auth-signin " + signin.String() + " is not on the portal " + portal.String()},
		check{strings.Contains(rd, "://$") && strings.HasSuffix(rd, "$escaped_request_uri"), "app: auth-signin rd is not $SCHEME://$HOST$escaped_request_uri"},
		underCookieDomain(yamlStr(app, "spec", "rules", 0, "host"), cfg),
		authAddress(annotation(app, "auth-url"), svc, "/api/authz/auth-request"),
		identityHeadersIn(strings.Split(strings.ReplaceAll(annotation(app, "auth-response-headers"), " ", ""), ",")))
}

// checkTraefik checks the portal's IngressRoute (its /api/authz/ route refused
// to everyone), the forwardAuth Middleware, and the protected application's
// IngressRoute, whose every Middleware must exist.
func checkTraefik(t *testing.T, objs []any, svc keygateService, cfg *config.Config) {
	portal := "Host(`" + mustURL(t, cfg.Session.PortalURL).Hostname() + "`)"
	routes := yamlList(mustFind(t, objs, "IngressRoute", svc.namespace, "keygate-portal"), "spec", "routes")
	for i, want := range []string{portal, portal + " && PathPrefix(`/api/authz/`)"} {
		r := yamlAt(routes, i)
		expect(t, fmt.Sprintf("IngressRoute keygate-portal route %d", i), check{yamlStr(r, "match") == want && yamlStr(r, "services", 0, "name") == svc.name &&
			yamlStr(r, "services", 0, "port") == svc.port, fmt.Sprintf("want %s to Service %s port %s", want, svc.name, svc.port)})
	}
	blocked := mustFind(t, objs, "Middleware", svc.namespace, yamlStr(routes, 1, "middlewares", 0, "name"))
	app := mustFind(t, objs, "IngressRoute", "default", "app")
	var auth any
	for _, ref := range yamlList(app, "spec", "routes", 0, "middlewares") {
		m := mustFind(t, objs, "Middleware", cmp.Or(yamlStr(ref, "namespace"), yamlStr(app, "metadata", "namespace")), yamlStr(ref, "name"))
		auth = cmp.Or(auth, yamlAt(m, "spec", "forwardAuth"))
	}
	host := strings.TrimSuffix(strings.TrimPrefix(yamlStr(app, "spec", "routes", 0, "match"), "Host(`"), "`)")
	expect(t, "Traefik",
		check{allLoopback(yamlStrs(blocked, "spec", "ipAllowList", "sourceRange")), "the portal's /api/authz/ route does not refuse everyone"},
		check{auth != nil, "IngressRoute app has no forwardAuth Middleware"},
		check{yamlAt(auth, "trustForwardHeader") == false, "forwardAuth.trustForwardHeader is not set to false"},
		underCookieDomain(host, cfg),
		authAddress(yamlStr(auth, "address"), svc, "/api/authz/forward-auth"),
		identityHeadersIn(yamlStrs(auth, "authResponseHeaders")))
}

// checkGateway checks the Gateway API manifests: a Gateway with an HTTPS
// listener for the portal and for the application, the portal's HTTPRoute
// (its /api/authz/ rule refused to everyone) to Keygate's Service, and the
// application's HTTPRoute, whose ExtensionRef filters name Middlewares that
// exist, one of them the forwardAuth check.
func checkGateway(t *testing.T, objs []any, svc keygateService, cfg *config.Config) {
	gw := mustFind(t, objs, "Gateway", "default", "keygate")
	portalHost := mustURL(t, cfg.Session.PortalURL).Hostname()
	listener := func(section string) any {
		l := yamlAt(yamlList(gw, "spec", "listeners"), slices.IndexFunc(yamlList(gw, "spec", "listeners"), func(l any) bool { return yamlStr(l, "name") == section }))
		expect(t, "Gateway listener "+section, check{yamlStr(l, "protocol") == "HTTPS" && yamlStr(l, "tls", "mode") == "Terminate" && yamlStr(l, "tls", "certificateRefs", 0, "name") != "",
			"not an HTTPS listener that terminates TLS with a certificate"})
		return l
	}
	portal := mustFind(t, objs, "HTTPRoute", svc.namespace, "keygate-portal")
	app := mustFind(t, objs, "HTTPRoute", "default", "app")
	attached := func(route any) any {
		ref := yamlAt(route, "spec", "parentRefs", 0)
		ns := cmp.Or(yamlStr(ref, "namespace"), yamlStr(route, "metadata", "namespace"))
		expect(t, "HTTPRoute "+yamlStr(route, "metadata", "name"), check{yamlStr(ref, "name") == "keygate" && ns == "default", "parentRefs is not the Gateway default/keygate"})
		return listener(yamlStr(ref, "sectionName"))
	}
	portalListener, appListener := attached(portal), attached(app)
	appHost := yamlStr(app, "spec", "hostnames", 0)
	expect(t, "Gateway",
		check{yamlStr(portalListener, "hostname") == portalHost && yamlStrs(portal, "spec", "hostnames")[0] == portalHost, "the portal's listener and route are not for " + portalHost},
		check{yamlStr(portalListener, "allowedRoutes", "namespaces", "from") == "All" ||
			yamlStr(portalListener, "allowedRoutes", "namespaces", "selector", "matchLabels", "kubernetes.io/metadata.name") == svc.namespace, "the portal's listener does not admit routes from namespace " + svc.namespace},
		check{yamlStr(appListener, "hostname") == appHost, "the application's listener is not for " + appHost},
		underCookieDomain(appHost, cfg))
	var blocked any
	for i, want := range []string{"/", "/api/authz/"} {
		r := yamlAt(portal, "spec", "rules", i)
		expect(t, fmt.Sprintf("HTTPRoute keygate-portal rule %d", i), check{yamlStr(r, "matches", 0, "path", "type") == "PathPrefix" && yamlStr(r, "matches", 0, "path", "value") == want &&
			yamlStr(r, "backendRefs", 0, "name") == svc.name && yamlStr(r, "backendRefs", 0, "port") == svc.port, fmt.Sprintf("want %s to Service %s port %s", want, svc.name, svc.port)})
		for _, f := range yamlList(r, "filters") {
			blocked = yamlAt(traefikMiddleware(t, objs, f, portal), "spec", "ipAllowList")
		}
	}
	var auth any
	rule := yamlAt(app, "spec", "rules", 0)
	for _, f := range yamlList(rule, "filters") {
		auth = cmp.Or(auth, yamlAt(traefikMiddleware(t, objs, f, app), "spec", "forwardAuth"))
	}
	expect(t, "Gateway API",
		check{blocked != nil && allLoopback(yamlStrs(blocked, "sourceRange")), "the portal's /api/authz/ rule does not refuse everyone"},
		check{auth != nil, "HTTPRoute app has no forwardAuth Middleware"},
		check{yamlAt(auth, "trustForwardHeader") == false, "forwardAuth.trustForwardHeader is not set to false"},
		check{yamlStr(rule, "backendRefs", 0, "name") != "", "HTTPRoute app has no backend"},
		authAddress(yamlStr(auth, "address"), svc, "/api/authz/forward-auth"),
		identityHeadersIn(yamlStrs(auth, "authResponseHeaders")))
}

// traefikMiddleware returns the Middleware an HTTPRoute filter names, from the
// route's namespace.
func traefikMiddleware(t *testing.T, objs []any, filter, route any) any {
	ref := yamlAt(filter, "extensionRef")
	if yamlStr(filter, "type") != "ExtensionRef" || yamlStr(ref, "group") != "traefik.io" || yamlStr(ref, "kind") != "Middleware" {
		t.Errorf("HTTPRoute %s: filter %v is not an ExtensionRef to a traefik.io Middleware", yamlStr(route, "metadata", "name"), filter)
		return nil
	}
	return mustFind(t, objs, "Middleware", yamlStr(route, "metadata", "namespace"), yamlStr(ref, "name"))
}

// authAddress checks that raw is Keygate's endpoint wantPath on its Service.
func authAddress(raw string, svc keygateService, wantPath string) check {
	want := "http://" + svc.name + "." + svc.namespace + ".svc.cluster.local:" + svc.port + wantPath
	return check{raw == want, fmt.Sprintf("%q, want %s", raw, want)}
}

func identityHeadersIn(headers []string) check {
	missing := slices.DeleteFunc(slices.Clone(identityHeaders), func(h string) bool { return slices.Contains(headers, h) })
	return check{len(missing) == 0, fmt.Sprintf("the identity headers %v lack %v", headers, missing)}
}

func underCookieDomain(host string, cfg *config.Config) check {
	d := cfg.Session.Domain
	return check{host == d || strings.HasSuffix(host, "."+d), "the application's host " + host + " is not under the cookie domain " + d}
}

// readManifests returns each YAML document of deploy/kubernetes/NAME.
func readManifests(t *testing.T, name string) (objs []any) {
	dec := yaml.NewDecoder(strings.NewReader(readDeploy(t, "kubernetes/"+name)))
	for {
		var o map[string]any
		if err := dec.Decode(&o); errors.Is(err, io.EOF) {
			return objs
		} else if err != nil || yamlStr(o, "kind") == "" || yamlStr(o, "metadata", "name") == "" {
			t.Fatalf("deploy/kubernetes/%s: document %d: no kind or name (%v)", name, len(objs)+1, err)
		}
		objs = append(objs, o)
	}
}

func findObject(objs []any, kind, namespace, name string) any {
	for _, o := range objs {
		if yamlStr(o, "kind") == kind && yamlStr(o, "metadata", "namespace") == namespace && yamlStr(o, "metadata", "name") == name {
			return o
		}
	}
	return nil
}

func mustFind(t *testing.T, objs []any, kind, namespace, name string) any {
	o := findObject(objs, kind, namespace, name)
	if o == nil {
		t.Fatalf("no %s %s/%s", kind, namespace, name)
	}
	return o
}

// yamlAt walks a decoded YAML value by map keys (string) and list indexes (int);
// nil when a step is missing.
func yamlAt(v any, keys ...any) any {
	for _, k := range keys {
		m, _ := v.(map[string]any)
		l, _ := v.([]any)
		if i, ok := k.(int); !ok {
			v = m[k.(string)]
		} else if v = nil; i >= 0 && i < len(l) {
			v = l[i]
		}
	}
	return v
}

func yamlStr(v any, keys ...any) string {
	if v = yamlAt(v, keys...); v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func yamlList(v any, keys ...any) []any {
	l, _ := yamlAt(v, keys...).([]any)
	return l
}

func yamlStrs(v any, keys ...any) []string {
	var out []string
	for _, item := range yamlList(v, keys...) {
		out = append(out, fmt.Sprint(item))
	}
	return out
}

// containerPort resolves a port given by number or by name to the container's port number.
func containerPort(c any, port string) string {
	for _, p := range yamlList(c, "ports") {
		if yamlStr(p, "name") == port || yamlStr(p, "containerPort") == port {
			return yamlStr(p, "containerPort")
		}
	}
	return ""
}

func containsLabels(labels, want any) bool {
	w, _ := want.(map[string]any)
	for k, v := range w {
		if yamlAt(labels, k) != v {
			return false
		}
	}
	return len(w) > 0
}

// allLoopback reports whether ranges is not empty and holds only loopback
// addresses and prefixes.
func allLoopback(ranges []string) bool {
	for _, r := range ranges {
		p, err := netip.ParsePrefix(strings.TrimSpace(r))
		if a, aerr := netip.ParseAddr(strings.TrimSpace(r)); aerr == nil {
			p, err = netip.PrefixFrom(a, a.BitLen()), nil
		}
		if err != nil || !p.Masked().Addr().IsLoopback() {
			return false
		}
	}
	return len(ranges) > 0
}

// mebibytes reads a Kubernetes quantity in Mi or Gi; 0 if it cannot.
func mebibytes(q string) int {
	n, err := strconv.Atoi(q[:max(0, len(q)-2)])
	if err != nil || !slices.Contains([]string{"Mi", "Gi"}, q[max(0, len(q)-2):]) {
		return 0
	}
	return n << (10 * strings.Count(q, "G"))
}
