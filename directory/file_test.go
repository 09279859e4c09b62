package directory

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// cheap are argon2id parameters that make tests fast.
var cheap = params{memory: 8, time: 1, threads: 1}

// cheapHash hashes password with the cheap parameters.
func cheapHash(t testing.TB, password string) string {
	t.Helper()
	h, err := newPHC(cheap)
	if err != nil {
		t.Fatal(err)
	}
	h.key = argon2id([]byte(password), h)
	return h.String()
}

func TestParseUsers(t *testing.T) {
	hash := cheapHash(t, "secret")
	tests := []struct {
		name string
		yaml string
		want map[string]User
	}{
		{
			name: "full",
			yaml: "users:\n  alice:\n    display_name: Alice Liddell\n    email: alice@example.com\n" +
				"    groups: [admins, Dev.Team_1]\n    password: \"" + hash + "\"\n    disabled: false\n",
			want: map[string]User{"alice": {
				Username: "alice", DisplayName: "Alice Liddell", Email: "alice@example.com",
				Groups: []string{"admins", "Dev.Team_1"}, hasPassword: true,
			}},
		},
		{
			name: "passkey-only and disabled",
			yaml: "users:\n  bob.b-2_x:\n    disabled: true\n  carol:\n",
			want: map[string]User{
				"bob.b-2_x": {Username: "bob.b-2_x", DisplayName: "bob.b-2_x", Disabled: true},
				"carol":     {Username: "carol", DisplayName: "carol"},
			},
		},
		{
			name: "alias",
			yaml: "users:\n  a: &u {groups: [g]}\n  b: *u\n",
			want: map[string]User{
				"a": {Username: "a", DisplayName: "a", Groups: []string{"g"}},
				"b": {Username: "b", DisplayName: "b", Groups: []string{"g"}},
			},
		},
		{name: "no users", yaml: "users:\n", want: map[string]User{}},
		{name: "empty map", yaml: "users: {}\n", want: map[string]User{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries, err := parseUsers([]byte(tt.yaml))
			if err != nil {
				t.Fatalf("parseUsers: %v", err)
			}
			got := make(map[string]User)
			for name, e := range entries {
				got[name] = e.user
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(User{})); diff != "" {
				t.Errorf("users (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseUsersErrors(t *testing.T) {
	good := cheapHash(t, "secret")
	user := func(body string) string { return "users:\n  alice:\n" + body }
	tests := []struct {
		name, yaml, want string
	}{
		{"empty", "", "the file is empty; want a top-level users: map"},
		{"comments only", "# nothing\n", "the file is empty; want a top-level users: map"},
		{"syntax", "users: [\n", "yaml: line 1: did not find expected node content"},
		{"two documents", "users: {}\n---\nusers: {}\n", "more than one YAML document; want exactly one"},
		{"not a map", "- alice\n", "line 1: want a top-level users: map"},
		{"unknown top-level key", "users: {}\nuser: {}\n", `line 2: unknown top-level key "user"; allowed: users`},
		{"top-level key twice", "users: {}\nusers: {}\n", `line 2: key "users" is set twice`},
		{"no users key", "{}\n", "no top-level users: key"},
		{"users is a list", "users: [alice]\n", "line 1: users: want a map of username to user"},
		{"capital username", "users:\n  Alice: {}\n",
			`line 2: username "Alice": want 1 to 64 of a-z, 0-9, '.', '_', '-'`},
		{"long username", "users:\n  " + strings.Repeat("a", 65) + ": {}\n",
			`line 2: username "` + strings.Repeat("a", 65) + `": want 1 to 64 of a-z, 0-9, '.', '_', '-'`},
		{"space in username", "users:\n  a b: {}\n", `line 2: username "a b": want 1 to 64 of a-z, 0-9, '.', '_', '-'`},
		{"username not a string", "users:\n  [a]: {}\n", "line 2: a username must be a plain string"},
		{"user twice", "users:\n  alice: {}\n  alice: {}\n", `line 3: user "alice" is listed twice`},
		{"user not a map", user("    3\n"),
			`line 3: user "alice": want a map with the keys display_name (or displayname), email, groups, password, disabled`},
		{"unknown key", user("    emial: a@example.com\n"),
			`line 3: user "alice": unknown key "emial"; allowed: display_name (or displayname), email, groups, password, disabled`},
		{"key twice", user("    email: a@example.com\n    email: b@example.com\n"),
			`line 4: user "alice": key "email" is set twice`},
		{"display_name not a string", user("    display_name: [a]\n"),
			`line 3: user "alice": display_name: want a string`},
		{"display_name control", user("    display_name: \"A\\nB\"\n"),
			`line 3: user "alice": display_name "A\nB": want printable UTF-8 without control characters`},
		{"display_name long", user("    display_name: " + strings.Repeat("x", 129) + "\n"),
			`line 3: user "alice": display_name: 129 bytes, want at most 128`},
		{"email without at", user("    email: alice.example.com\n"),
			`line 3: user "alice": email "alice.example.com": want an address like name@example.com`},
		{"email with name", user("    email: Alice <alice@example.com>\n"),
			`line 3: user "alice": email "Alice <alice@example.com>": want an address like name@example.com`},
		{"email with newline", user("    email: \"a@example.com\\r\\nBcc: x@example.com\"\n"),
			`line 3: user "alice": email "a@example.com\r\nBcc: x@example.com": want an address like name@example.com`},
		{"email empty domain label", user("    email: a@example..com\n"),
			`line 3: user "alice": email "a@example..com": want an address like name@example.com`},
		{"email two ats", user("    email: a@b@example.com\n"),
			`line 3: user "alice": email "a@b@example.com": want an address like name@example.com`},
		{"groups not a list", user("    groups: admins\n"), `line 3: user "alice": groups: want a list of group names`},
		{"group with comma", user("    groups: [\"a,b\"]\n"),
			`line 3: user "alice": groups[0]: group "a,b": want 1 to 64 of A-Z, a-z, 0-9, '.', '_', '-'`},
		{"empty group", user("    groups: [\"\"]\n"),
			`line 3: user "alice": groups[0]: group "": want 1 to 64 of A-Z, a-z, 0-9, '.', '_', '-'`},
		{"group twice", user("    groups: [a, b, a]\n"), `line 3: user "alice": groups[2]: group "a" is listed twice`},
		{"password empty", user("    password: \"\"\n"),
			`line 3: user "alice": password: empty; omit the key for a passkey-only user`},
		{"password null", user("    password:\n    disabled: false\n"),
			`line 3: user "alice": password: empty; omit the key for a passkey-only user`},
		{"password truncated bcrypt", user("    password: \"$2b$10$abcdefghijklmnopqrstuv\"\n"),
			`line 3: user "alice": password: unusable password hash: malformed bcrypt hash ` +
				`(make one with keygate hash-password)`},
		{"password plain text", user("    password: hunter2\n"),
			`line 3: user "alice": password: not a supported password hash; want one of ` + supportedHashes +
				` (make one with keygate hash-password)`},
		{"password md5crypt", user("    password: \"$1$saltsalt$2vnaRpHa6Jxjz5n83ok8Z0\"\n"),
			`line 3: user "alice": password: not a supported password hash; want one of ` + supportedHashes +
				` (make one with keygate hash-password)`},
		{"both display names", user("    display_name: A\n    displayname: B\n"),
			`line 4: user "alice": display_name and displayname are both set; keep one (displayname is Authelia's spelling)`},
		{"password truncated", user("    password: \"" + good[:strings.LastIndex(good, "$")+5] + "\"\n"),
			`line 3: user "alice": password: not an argon2id hash: key is 3 bytes, want 16 to 64 ` +
				`(make one with keygate hash-password)`},
		{"disabled not a bool", user("    disabled: maybe\n"), `line 3: user "alice": disabled: want true or false`},
		{"every error at once", "users:\n  Bob:\n    x: 1\n  carol:\n    email: nope\n",
			"line 2: username \"Bob\": want 1 to 64 of a-z, 0-9, '.', '_', '-'\n" +
				"line 3: user \"Bob\": unknown key \"x\"; allowed: display_name (or displayname), email, groups, password, disabled\n" +
				"line 5: user \"carol\": email \"nope\": want an address like name@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseUsers([]byte(tt.yaml))
			if err == nil {
				t.Fatalf("parseUsers: got nil error, want %q", tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("parseUsers error:\ngot  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestCreateDefault(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "users.yml")
	created, err := CreateDefault(path)
	if err != nil || !created {
		t.Fatalf("first CreateDefault: got %v, %v, want true, nil", created, err)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700 | os.ModeDir} {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode(); got != want {
			t.Errorf("mode of %s: got %v, want %v", p, got, want)
		}
	}
	if err := os.WriteFile(path, []byte("users: {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	created, err = CreateDefault(path)
	if err != nil || created {
		t.Fatalf("second CreateDefault: got %v, %v, want false, nil", created, err)
	}
	if got, _ := os.ReadFile(path); string(got) != "users: {}\n" {
		t.Errorf("second CreateDefault changed the file to %q", got)
	}
}

func TestCreateDefaultContent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.yml")
	if _, err := CreateDefault(path); err != nil {
		t.Fatal(err)
	}
	d, err := New(Config{File: path}, nil)
	if err != nil {
		t.Fatalf("New on the default file: %v", err)
	}
	got, ok := d.Lookup("admin")
	want := User{Username: "admin", DisplayName: "Administrator", Groups: []string{"admins"}}
	if !ok {
		t.Fatal("Lookup(admin): not found")
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(User{})); diff != "" {
		t.Errorf("admin (-want +got):\n%s", diff)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		file, want string
	}{
		{"", ""},
		{"/etc/keygate/users.yml", ""},
		{"/etc/keygate/", `users.file: "/etc/keygate/" names a directory; want a file path such as ./keygate-data/users.yml`},
		{"a\x00b", `users.file: "a\x00b" contains a NUL byte; want a file path`},
	}
	for _, tt := range tests {
		got := ""
		if err := (Config{File: tt.file}).Validate(); err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("Validate(%q): got %q, want %q", tt.file, got, tt.want)
		}
	}
}
