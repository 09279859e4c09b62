package config

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/env/v2"
	"github.com/knadh/koanf/providers/rawbytes"
	"github.com/knadh/koanf/v2"
)

// defaultYAML is the configuration used when Load is given no file.
//
//go:embed default.yml
var defaultYAML []byte

// envPrefix starts every environment variable Load reads.
const envPrefix = "KEYGATE_"

// Load reads the configuration from three layers, each overriding the one
// before: the defaults of config's own sections (server, log), then the YAML file
// at path (or, when path is "", the embedded default configuration), then the
// KEYGATE_ variables in env (given in os.Environ form; nil reads none).
//
// It decodes strictly and validates every section, and returns every problem
// at once: the error matches ErrInvalid and FormatErrors renders it. A file
// that cannot be read is returned as is. Load has no side effects beyond
// reading path and the *_file secrets.
func Load(path string, env []string) (*Config, error) {
	name, data := "", defaultYAML
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("reading config file: %w", err)
		}
		name, data = path, b
	}
	m, envKeys, errs := merge(name, data, env)
	if errs != nil {
		return nil, errs
	}
	cfg := &Config{File: path}
	bad := pruneUnknown(m)
	bad = append(bad, resolveSecrets(m, os.ReadFile)...)
	decodeErrs := decode(m, cfg)
	bad = append(bad, decodeErrs...)
	rpIDDerived := cfg.derive()
	bad = append(bad, withoutKeys(cfg.validate(rpIDDerived), decodeErrs)...)
	if len(bad) == 0 {
		return cfg, nil
	}
	blameEnvBelow(decodeErrs, envKeys)
	locate(bad, name, data, envKeys)
	p := make(problems, len(bad))
	for i, e := range bad {
		p[i] = e
	}
	return nil, p
}

// merge loads the layers into one map. It also returns which environment
// variable set each key.
func merge(name string, data []byte, env []string) (map[string]any, map[string]string, problems) {
	k := koanf.New(".")
	if err := k.Load(mapProvider(baseDefaults()), nil); err != nil {
		return nil, nil, problems{&Error{Msg: fmt.Sprintf("loading defaults: %v", err), Err: err}}
	}
	if err := k.Load(rawbytes.Provider(data), yaml.Parser()); err != nil {
		if name == "" {
			name = "embedded default.yml"
		}
		return nil, nil, yamlErrors(name, err)
	}
	envKeys := make(map[string]string)
	if err := k.Load(envProvider(env, envKeys), nil); err != nil {
		return nil, nil, problems{&Error{Msg: fmt.Sprintf("reading environment: %v", err), Err: err}}
	}
	return k.Raw(), envKeys, nil
}

// baseDefaults are the values of config's own sections when no layer sets them.
// The components apply their own defaults to zero values.
func baseDefaults() map[string]any {
	return map[string]any{
		"server": map[string]any{
			"address":         "127.0.0.1:9091",
			"trusted_proxies": []any{"127.0.0.0/8", "::1/128"},
		},
		"log": map[string]any{"level": "info", "format": "text"},
	}
}

// mapProvider is a koanf provider of an already built map.
type mapProvider map[string]any

func (p mapProvider) Read() (map[string]any, error) { return p, nil }
func (p mapProvider) ReadBytes() ([]byte, error) {
	return nil, errors.New("map provider has no bytes")
}

// envProvider reads KEYGATE_ variables from env: KEYGATE_SESSION__REDIS__ADDRESS
// sets session.redis.address (lower-cased, "__" nests). It records in origin
// the variable behind each key. Every key lives in a section, so a variable
// without "__" is not configuration and is ignored: platforms set such variables
// for a service named keygate (KEYGATE_PORT, KEYGATE_SERVICE_HOST).
func envProvider(environ []string, origin map[string]string) *env.Env {
	return env.Provider(".", env.Opt{
		Prefix:      envPrefix,
		EnvironFunc: func() []string { return environ },
		TransformFunc: func(name, value string) (string, any) {
			key := strings.ToLower(strings.TrimPrefix(name, envPrefix))
			if !strings.Contains(key, "__") {
				return "", nil
			}
			key = strings.ReplaceAll(key, "__", ".")
			origin[key] = name
			return key, envValue(key, value)
		},
	})
}

// envValue converts an environment variable's text to the type of key: a list
// is comma-separated (blank items dropped, "" is the empty list), a number or
// boolean is parsed. Text that does not parse, and text for unknown keys, is
// left as a string for the decoder to report.
func envValue(key, value string) any {
	t, ok := typeAt(configType, key)
	if !ok || t == durationType {
		return value
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice:
		if _, ok := sectionType(t.Elem()); ok {
			return value
		}
		list := []any{}
		for item := range strings.SplitSeq(value, ",") {
			if item = strings.TrimSpace(item); item != "" {
				list = append(list, item)
			}
		}
		return list
	case reflect.Bool:
		if b, err := strconv.ParseBool(value); err == nil {
			return b
		}
	case reflect.Int:
		if n, err := strconv.Atoi(value); err == nil {
			return n
		}
	}
	return value
}

var yamlLine = regexp.MustCompile(`^\s*(?:yaml: )?line (\d+): (.*)$`)

// yamlErrors turns a YAML parse error into one *Error per line it reports,
// each located as FILE:LINE.
func yamlErrors(name string, err error) problems {
	var p problems
	for line := range strings.SplitSeq(err.Error(), "\n") {
		if line == "yaml: unmarshal errors:" {
			continue
		}
		e := &Error{At: name, Msg: strings.TrimPrefix(line, "yaml: "), Err: err}
		if sub := yamlLine.FindStringSubmatch(line); sub != nil {
			e.At, e.Msg = name+":"+sub[1], sub[2]
		}
		if strings.Contains(e.Msg, "cannot unmarshal") && strings.Contains(e.Msg, "into map[string]") {
			e.Msg = "the file must be a mapping of sections (server:, session:, ...)"
		}
		p = append(p, e)
	}
	return p
}

// withoutKeys drops the errors about keys (or keys under them) that already
// failed to decode: their zero value would only be reported a second time.
func withoutKeys(errs, failed []*Error) []*Error {
	var out []*Error
	for _, e := range errs {
		if !underAny(e.Key, failed) {
			out = append(out, e)
		}
	}
	return out
}

func underAny(key string, failed []*Error) bool {
	for _, f := range failed {
		if f.Key != "" && isUnder(key, f.Key) {
			return true
		}
	}
	return false
}

// isUnder reports whether key is prefix or a key inside it.
func isUnder(key, prefix string) bool {
	rest, ok := strings.CutPrefix(key, prefix)
	return ok && (rest == "" || rest[0] == '.' || rest[0] == '[')
}
