package config

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"
)

// The schema of the file is the root Config type itself: a key is a struct field
// named by its koanf tag, a section is a struct, and a list of sections is a
// slice of structs.

var (
	configType   = reflect.TypeFor[Config]()
	durationType = reflect.TypeFor[time.Duration]()
)

// fieldsOf returns the keys of struct type t and the type of each. Fields tagged
// koanf:"-" and unexported fields are not keys.
func fieldsOf(t reflect.Type) map[string]reflect.Type {
	fields := make(map[string]reflect.Type)
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("koanf"), ",")
		if name == "" {
			name = f.Name
		}
		if !f.IsExported() || name == "-" {
			continue
		}
		fields[name] = f.Type
	}
	return fields
}

// sectionType returns the struct type a value of type t is decoded into, when
// t is a struct or a pointer to one.
func sectionType(t reflect.Type) (reflect.Type, bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t, t.Kind() == reflect.Struct
}

// typeAt returns the type of the key at dotted path key under struct type t.
func typeAt(t reflect.Type, key string) (reflect.Type, bool) {
	for part := range strings.SplitSeq(key, ".") {
		st, ok := sectionType(t)
		if !ok {
			return nil, false
		}
		if t, ok = fieldsOf(st)[part]; !ok {
			return nil, false
		}
	}
	return t, true
}

// walkSections calls visit for m, a map decoded into struct type t at path, and
// then for every map below it that is decoded into a struct, in key order.
// Keys visit deletes are not descended into.
func walkSections(m map[string]any, t reflect.Type, path string, visit func(m map[string]any, t reflect.Type, path string)) {
	visit(m, t, path)
	fields := fieldsOf(t)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		ft, ok := fields[k]
		if !ok {
			continue
		}
		walkValue(m[k], ft, joinKey(path, k), visit)
	}
}

func walkValue(v any, t reflect.Type, path string, visit func(map[string]any, reflect.Type, string)) {
	if st, ok := sectionType(t); ok {
		if m, ok := v.(map[string]any); ok {
			walkSections(m, st, path, visit)
		}
		return
	}
	if t.Kind() != reflect.Slice {
		return
	}
	if list, ok := v.([]any); ok {
		for i, e := range list {
			walkValue(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i), visit)
		}
	}
}

func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// pruneUnknown deletes from every section of m the keys its struct has no field
// for and returns one error per deleted key, naming the keys allowed there.
func pruneUnknown(m map[string]any) []*Error {
	var errs []*Error
	walkSections(m, configType, "", func(m map[string]any, t reflect.Type, path string) {
		fields := fieldsOf(t)
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if _, ok := fields[k]; ok {
				continue
			}
			delete(m, k)
			allowed := strings.Join(slices.Sorted(maps.Keys(fields)), ", ")
			errs = append(errs, &Error{Key: joinKey(path, k), Msg: "unknown key (allowed: " + allowed + ")"})
		}
	})
	return errs
}

// resolveSecrets replaces every KEY_file whose section also has a KEY (such as
// session.redis.password_file) by KEY holding the file's content without its
// trailing newline. Setting both KEY and KEY_file is an error, and so is a file
// that cannot be read. An empty KEY_file is left alone.
func resolveSecrets(m map[string]any, readFile func(string) ([]byte, error)) []*Error {
	var errs []*Error
	walkSections(m, configType, "", func(m map[string]any, t reflect.Type, path string) {
		fields := fieldsOf(t)
		for _, name := range slices.Sorted(maps.Keys(fields)) {
			base, ok := strings.CutSuffix(name, "_file")
			if _, isKey := fields[base]; !ok || !isKey {
				continue
			}
			file, _ := m[name].(string)
			if file == "" {
				continue
			}
			key := joinKey(path, name)
			if v, set := m[base]; set && v != nil && v != "" {
				errs = append(errs, &Error{Key: key, Msg: fmt.Sprintf("%s and %s are both set; use one", base, name)})
				continue
			}
			content, err := readFile(file)
			if err != nil {
				errs = append(errs, &Error{Key: key, Msg: fmt.Sprintf("cannot read %q: %v", file, pathErrCause(err)), Err: err})
				continue
			}
			secret := strings.TrimRight(string(content), "\r\n")
			if secret == "" {
				errs = append(errs, &Error{Key: key, Msg: fmt.Sprintf("%q is empty; a secret file must hold the secret", file)})
				continue
			}
			m[base] = secret
			delete(m, name)
		}
	})
	return errs
}

// pathErrCause drops the operation and path that a *fs.PathError repeats.
func pathErrCause(err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err
	}
	return err
}
