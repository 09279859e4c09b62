package directory

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"

	"go.yaml.in/yaml/v3"
)

// ErrInvalidFile is wrapped by every error about the content of the users file.
var ErrInvalidFile = errors.New("directory: invalid users file")

// maxFileSize bounds the users file so that a wrong path cannot exhaust memory.
const maxFileSize = 8 << 20

// userKeys are the keys a user may have, in the order error messages list them.
// displayname is Authelia's spelling of display_name, accepted as well.
const userKeys = "display_name (or displayname), email, groups, password, disabled"

// snapshot is one immutable reading of the users file.
type snapshot struct {
	users map[string]entry
	// classes holds one hash of each class (scheme and cost) in the file,
	// ordered by class. Every sign-in checks one hash of each class, so that
	// its cost does not depend on the username.
	classes []hash
}

// entry is one user and, when the user has a password, its parsed hash.
type entry struct {
	user User
	hash hash
}

// newSnapshot indexes the hash classes of users.
func newSnapshot(users map[string]entry) *snapshot {
	byClass := make(map[string]hash)
	for _, e := range users {
		if e.user.hasPassword {
			byClass[e.hash.class] = e.hash
		}
	}
	s := &snapshot{users: users}
	for _, class := range slices.Sorted(maps.Keys(byClass)) {
		s.classes = append(s.classes, byClass[class])
	}
	return s
}

// fileStamp tells whether the file changed since it was last read.
type fileStamp struct {
	modTime int64 // Unix nanoseconds
	size    int64
}

func stampOf(info os.FileInfo) fileStamp {
	return fileStamp{modTime: info.ModTime().UnixNano(), size: info.Size()}
}

// load reads and parses the users file. The stamp is that of the file read,
// and is set whenever the file could be opened, even if its content is bad.
func load(path string) (*snapshot, fileStamp, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fileStamp{}, fmt.Errorf("opening users file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fileStamp{}, fmt.Errorf("reading users file: %w", err)
	}
	stamp := stampOf(info)
	if !info.Mode().IsRegular() {
		return nil, stamp, fmt.Errorf("%w %s: not a regular file", ErrInvalidFile, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, stamp, fmt.Errorf("reading users file: %w", err)
	}
	if len(data) > maxFileSize {
		return nil, stamp, fmt.Errorf("%w %s: larger than %d bytes", ErrInvalidFile, path, maxFileSize)
	}
	users, err := parseUsers(data)
	if err != nil {
		return nil, stamp, fmt.Errorf("%w %s: %w", ErrInvalidFile, path, err)
	}
	return newSnapshot(users), stamp, nil
}

// parseUsers parses the users file and reports every problem at once. It walks
// the YAML node tree itself, rather than decoding into structs, so that an
// unknown key is reported with the user it belongs to.
func parseUsers(data []byte) (map[string]entry, error) {
	list, err := usersNode(data)
	if err != nil {
		return nil, err
	}
	users := make(map[string]entry)
	var errs []error
	for i := 0; i+1 < len(list.Content); i += 2 {
		k, v := list.Content[i], list.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			errs = append(errs, fmt.Errorf("line %d: a username must be a plain string", k.Line))
			continue
		}
		if _, dup := users[k.Value]; dup {
			errs = append(errs, fmt.Errorf("line %d: user %q is listed twice", k.Line, k.Value))
			continue
		}
		e, uerrs := parseUser(k, v)
		errs = append(errs, uerrs...)
		users[k.Value] = e
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return users, nil
}

// usersNode returns the mapping under the top-level `users` key, which must be
// the only key of the only document.
func usersNode(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return nil, errors.New("the file is empty; want a top-level users: map")
	} else if err != nil {
		return nil, err
	}
	if err := dec.Decode(new(yaml.Node)); !errors.Is(err, io.EOF) {
		return nil, errors.New("more than one YAML document; want exactly one")
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: want a top-level users: map", root.Line)
	}
	var users *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k := root.Content[i]
		switch {
		case k.Value != "users":
			return nil, fmt.Errorf("line %d: unknown top-level key %q; allowed: users", k.Line, k.Value)
		case users != nil:
			return nil, fmt.Errorf("line %d: key %q is set twice", k.Line, k.Value)
		}
		users = root.Content[i+1]
	}
	if users == nil {
		return nil, errors.New("no top-level users: key")
	}
	users = resolveAlias(users)
	if isNull(users) {
		return &yaml.Node{Kind: yaml.MappingNode}, nil
	}
	if users.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: users: want a map of username to user", users.Line)
	}
	return users, nil
}

// userYAML holds the fields of one user as written.
type userYAML struct {
	DisplayName string
	Email       string
	Groups      []string
	Password    *string
	Disabled    bool
}

// parseUser decodes and validates the user named by k from the node v.
func parseUser(k, v *yaml.Node) (entry, []error) {
	name := k.Value
	var errs []error
	fail := func(line int, format string, args ...any) {
		errs = append(errs, fmt.Errorf("line %d: user %q: %s", line, name, fmt.Sprintf(format, args...)))
	}
	if err := checkUsername(name); err != nil {
		errs = append(errs, fmt.Errorf("line %d: %w", k.Line, err))
	}
	raw, line := decodeUser(resolveAlias(v), fail)
	e := entry{user: User{
		Username:    name,
		DisplayName: raw.DisplayName,
		Email:       raw.Email,
		Groups:      raw.Groups,
		Disabled:    raw.Disabled,
	}}
	if e.user.DisplayName == "" {
		e.user.DisplayName = name
	}
	if err := checkDisplayName(raw.DisplayName); err != nil {
		fail(line["display_name"], "%v", err)
	}
	if raw.Email != "" {
		if err := checkEmail(raw.Email); err != nil {
			fail(line["email"], "%v", err)
		}
	}
	for i, g := range raw.Groups {
		if err := checkGroup(g); err != nil {
			fail(line["groups"], "groups[%d]: %v", i, err)
		} else if slices.Index(raw.Groups, g) < i {
			fail(line["groups"], "groups[%d]: group %q is listed twice", i, g)
		}
	}
	if raw.Password != nil {
		h, err := checkPassword(*raw.Password)
		if err != nil {
			fail(line["password"], "%v", err)
		}
		e.hash, e.user.hasPassword = h, true
	}
	return e, errs
}

// checkPassword parses a password hash. The hash itself never appears in errors.
func checkPassword(s string) (hash, error) {
	if s == "" {
		return hash{}, errors.New("password: empty; omit the key for a passkey-only user")
	}
	h, err := parseHash(s)
	if err != nil {
		return hash{}, fmt.Errorf("password: %w (make one with keygate hash-password)", err)
	}
	return h, nil
}

// decodeUser decodes the keys of one user, reporting unknown, repeated and
// mistyped keys through fail. It returns the line of each key's value.
func decodeUser(v *yaml.Node, fail func(int, string, ...any)) (userYAML, map[string]int) {
	var u userYAML
	line := make(map[string]int)
	if isNull(v) {
		return u, line
	}
	if v.Kind != yaml.MappingNode {
		fail(v.Line, "want a map with the keys %s", userKeys)
		return u, line
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		key, val := v.Content[i].Value, v.Content[i+1]
		if _, dup := line[key]; dup {
			fail(val.Line, "key %q is set twice", key)
			continue
		}
		line[key] = val.Line
		if err := decodeField(&u, key, val); err != nil {
			fail(val.Line, "%v", err)
		}
	}
	mergeDisplayName(line, fail)
	return u, line
}

// mergeDisplayName refuses a user with both display_name and Authelia's
// displayname, and files the line of either under display_name.
func mergeDisplayName(line map[string]int, fail func(int, string, ...any)) {
	at, ok := line["displayname"]
	if !ok {
		return
	}
	if first, both := line["display_name"]; both {
		fail(max(at, first), "display_name and displayname are both set; keep one (displayname is Authelia's spelling)")
		return
	}
	line["display_name"] = at
}

// decodeField decodes val into the field of u named key.
func decodeField(u *userYAML, key string, val *yaml.Node) error {
	var dst any
	want := "a string"
	switch key {
	case "display_name", "displayname":
		dst = &u.DisplayName
	case "email":
		dst = &u.Email
	case "groups":
		dst, want = &u.Groups, "a list of group names"
	case "password":
		dst = &u.Password
		if isNull(val) {
			u.Password = new(string)
			return nil
		}
	case "disabled":
		dst, want = &u.Disabled, "true or false"
	default:
		return fmt.Errorf("unknown key %q; allowed: %s", key, userKeys)
	}
	if err := val.Decode(dst); err != nil {
		return fmt.Errorf("%s: want %s", key, want)
	}
	return nil
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}
