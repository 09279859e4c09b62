package config

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
)

// locate fills in, for each error about a key, where that key was set: the
// environment variable, or else the line of the config file. A key not set by
// either is located at its nearest enclosing key that was.
func locate(errs []*Error, file string, data []byte, envKeys map[string]string) {
	var lines map[string]int
	if file != "" {
		lines = keyLines(data)
	}
	for _, e := range errs {
		if e.Key == "" || e.At != "" || e.Env != "" {
			continue
		}
		if name, ok := nearest(envKeys, e.Key); ok {
			e.Env = name
		} else if line, ok := nearest(lines, e.Key); ok {
			e.At = file + ":" + strconv.Itoa(line)
		}
	}
}

// blameEnvBelow attributes a value that failed to decode to an environment
// variable that set a key below it, when none set the key itself: for example
// KEYGATE_LOG__LEVEL__X makes log.level a mapping.
func blameEnvBelow(errs []*Error, envKeys map[string]string) {
	for _, e := range errs {
		if e.Key == "" {
			continue
		}
		if _, ok := nearest(envKeys, e.Key); ok {
			continue
		}
		for _, k := range slices.Sorted(maps.Keys(envKeys)) {
			if isUnder(k, e.Key) {
				e.Env = envKeys[k]
				break
			}
		}
	}
}

// nearest looks key up in m, then each key enclosing it, innermost first.
func nearest[V any](m map[string]V, key string) (V, bool) {
	for key != "" {
		if v, ok := m[key]; ok {
			return v, true
		}
		i := strings.LastIndexAny(key, ".[")
		if i < 0 {
			break
		}
		key = key[:i]
	}
	var zero V
	return zero, false
}

// keyLines maps every key path in a YAML document ("session.expiration",
// "access_control.rules[1].policy") to the line it is on.
func keyLines(data []byte) map[string]int {
	var doc yamlv3.Node
	lines := make(map[string]int)
	if yamlv3.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return lines
	}
	nodeLines(doc.Content[0], "", lines)
	return lines
}

func nodeLines(n *yamlv3.Node, path string, lines map[string]int) {
	switch n.Kind {
	case yamlv3.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := joinKey(path, n.Content[i].Value)
			lines[key] = n.Content[i].Line
			nodeLines(n.Content[i+1], key, lines)
		}
	case yamlv3.SequenceNode:
		for i, item := range n.Content {
			key := fmt.Sprintf("%s[%d]", path, i)
			lines[key] = item.Line
			nodeLines(item, key, lines)
		}
	}
}
