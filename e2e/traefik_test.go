package e2e

import (
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// traefikDynamic is the part of deploy/traefik/dynamic.yml the test reads.
type traefikDynamic struct {
	HTTP struct {
		Middlewares map[string]struct {
			ForwardAuth *struct {
				Address             string   `yaml:"address"`
				AuthResponseHeaders []string `yaml:"authResponseHeaders"`
			} `yaml:"forwardAuth"`
		} `yaml:"middlewares"`
		Routers map[string]struct {
			Rule        string   `yaml:"rule"`
			Middlewares []string `yaml:"middlewares"`
		} `yaml:"routers"`
	} `yaml:"http"`
}

// TestTraefikDynamicConfig checks the Traefik file, which cannot run here (there
// is no Traefik package): it parses, its forwardAuth middleware asks Keygate's
// forward-auth endpoint and copies all five identity headers, and the
// application's router uses that middleware.
func TestTraefikDynamicConfig(t *testing.T) {
	var cfg traefikDynamic
	if err := yaml.Unmarshal([]byte(readDeploy(t, "traefik/dynamic.yml")), &cfg); err != nil {
		t.Fatalf("deploy/traefik/dynamic.yml: %v", err)
	}
	var middleware string
	for name, m := range cfg.HTTP.Middlewares {
		if m.ForwardAuth == nil {
			continue
		}
		middleware = name
		if !strings.HasSuffix(m.ForwardAuth.Address, "/api/authz/forward-auth") {
			t.Errorf("middleware %s: forwardAuth.address %q, want Keygate's /api/authz/forward-auth", name, m.ForwardAuth.Address)
		}
		for _, h := range identityHeaders {
			if !slices.Contains(m.ForwardAuth.AuthResponseHeaders, h) {
				t.Errorf("middleware %s: authResponseHeaders %v lacks %s", name, m.ForwardAuth.AuthResponseHeaders, h)
			}
		}
	}
	if middleware == "" {
		t.Fatal("deploy/traefik/dynamic.yml has no forwardAuth middleware")
	}
	app, ok := cfg.HTTP.Routers["app"]
	if !ok {
		t.Fatal(`deploy/traefik/dynamic.yml has no router "app"`)
	}
	if !slices.Contains(app.Middlewares, middleware) {
		t.Errorf("router app: middlewares %v, want %q among them", app.Middlewares, middleware)
	}
}
