package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func testCredential(id, description string) Credential {
	return Credential{
		ID:                []byte(id),
		Description:       description,
		AAGUID:            make([]byte, 16),
		Attachment:        "cross-platform",
		Transports:        []string{"usb", "nfc"},
		Discoverable:      true,
		UserPresent:       true,
		UserVerified:      true,
		BackupEligible:    false,
		SignCount:         7,
		PublicKey:         []byte("cose-key-" + id),
		AttestationType:   "self",
		AttestationFormat: "packed",
		AttestationObject: []byte("att"),
		ClientDataJSON:    []byte("{}"),
	}
}

func testAddAndLoadCredential(t *testing.T, open opener) {
	s, clk := open(t)
	ctx := context.Background()
	want := testCredential("id-1", "  YubiKey  ")
	if err := s.AddCredential(ctx, "alice", want); err != nil {
		t.Fatalf("AddCredential: %v", err)
	}
	want.Description = "YubiKey"
	want.CreatedAt = clk.t
	got, err := s.Credential(ctx, "alice", want.ID)
	if err != nil {
		t.Fatalf("Credential: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Credential (-want +got):\n%s", diff)
	}
	list, err := s.Credentials(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Credential{want}, list); diff != "" {
		t.Errorf("Credentials (-want +got):\n%s", diff)
	}
	if list, err := s.Credentials(ctx, "bob"); err != nil || len(list) != 0 {
		t.Errorf("Credentials(bob): got %v, %v, want none", list, err)
	}
	if _, err := s.Credential(ctx, "bob", want.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Credential of another user: got %v, want ErrNotFound", err)
	}
}

func testCredentialsOrderedByCreation(t *testing.T, open opener) {
	s, clk := open(t)
	ctx := context.Background()
	for i, id := range []string{"zz", "aa", "mm"} {
		clk.t = clk.t.Add(time.Duration(i) * time.Minute)
		if err := s.AddCredential(ctx, "alice", testCredential(id, "key "+id)); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.Credentials(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range list {
		got = append(got, string(c.ID))
	}
	if diff := cmp.Diff([]string{"zz", "aa", "mm"}, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

func testAddCredentialRejections(t *testing.T, open opener) {
	tests := []struct {
		name string
		user string
		cred Credential
		want error
	}{
		{"same id same user", "alice", testCredential("id-1", "Other"), ErrDuplicateID},
		{"same id other user", "bob", testCredential("id-1", "Other"), ErrDuplicateID},
		{"same description", "alice", testCredential("id-2", "yubikey"), ErrDuplicateDescription},
		{"empty description", "alice", testCredential("id-2", "   "), ErrInvalid},
		{"long description", "alice", testCredential("id-2", strings.Repeat("x", 65)), ErrInvalid},
		{"control character", "alice", testCredential("id-2", "a\tb"), ErrInvalid},
		{"empty id", "alice", testCredential("", "New"), ErrInvalid},
		{"empty user", "", testCredential("id-2", "New"), ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := open(t)
			ctx := context.Background()
			if err := s.AddCredential(ctx, "alice", testCredential("id-1", "YubiKey")); err != nil {
				t.Fatal(err)
			}
			before := dump(t, s)
			err := s.AddCredential(ctx, tc.user, tc.cred)
			if !errors.Is(err, tc.want) {
				t.Fatalf("AddCredential: got %v, want %v", err, tc.want)
			}
			if diff := cmp.Diff(before, dump(t, s)); diff != "" {
				t.Errorf("a failed add changed the store (-before +after):\n%s", diff)
			}
		})
	}
}

func TestDuplicateErrorsWrapErrDuplicate(t *testing.T) {
	for _, err := range []error{ErrDuplicateID, ErrDuplicateDescription} {
		if !errors.Is(err, ErrDuplicate) {
			t.Errorf("%v does not wrap ErrDuplicate", err)
		}
	}
	if errors.Is(ErrDuplicateID, ErrDuplicateDescription) {
		t.Error("ErrDuplicateID matches ErrDuplicateDescription")
	}
}

func TestNormalizeDescription(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"Key", "Key", true},
		{"  Laptop passkey \n", "Laptop passkey", true},
		{strings.Repeat("é", 64), strings.Repeat("é", 64), true},
		{strings.Repeat("é", 65), "", false},
		{"", "", false},
		{" \t ", "", false},
		{"bad\x00nul", "", false},
		{"bad\u0085next-line", "", false},
		{"bad \xff utf8", "", false},
	}
	for _, tc := range tests {
		got, err := NormalizeDescription(tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("NormalizeDescription(%q): got %q, %v, want %q, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("NormalizeDescription(%q): error %v does not wrap ErrInvalid", tc.in, err)
		}
	}
}

func testRenameCredential(t *testing.T, open opener) {
	s, _ := open(t)
	ctx := context.Background()
	for _, c := range []Credential{testCredential("a", "First"), testCredential("b", "Second")} {
		if err := s.AddCredential(ctx, "alice", c); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, user, id, description string
		want                        error
	}{
		{"new name", "alice", "a", " Renamed ", nil},
		{"same name other case", "alice", "a", "RENAMED", nil},
		{"taken by other", "alice", "a", "second", ErrDuplicateDescription},
		{"invalid", "alice", "a", "", ErrInvalid},
		{"unknown id", "alice", "zz", "X", ErrNotFound},
		{"other user", "bob", "a", "X", ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := dump(t, s)
			c, err := s.RenameCredential(ctx, tc.user, []byte(tc.id), tc.description)
			if !errors.Is(err, tc.want) {
				t.Fatalf("RenameCredential: got %v, want %v", err, tc.want)
			}
			if err != nil {
				if diff := cmp.Diff(before, dump(t, s)); diff != "" {
					t.Errorf("a failed rename changed the store:\n%s", diff)
				}
				return
			}
			stored, err := s.Credential(ctx, tc.user, []byte(tc.id))
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.TrimSpace(tc.description); c.Description != want || stored.Description != want {
				t.Errorf("description: got %q (stored %q), want %q", c.Description, stored.Description, want)
			}
		})
	}
}

func testDeleteCredential(t *testing.T, open opener) {
	s, _ := open(t)
	ctx := context.Background()
	if err := s.AddCredential(ctx, "alice", testCredential("a", "Key")); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteCredential(ctx, "bob", []byte("a")); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete by another user: got %v, want ErrNotFound", err)
	}
	if err := s.DeleteCredential(ctx, "alice", []byte("a")); err != nil {
		t.Fatalf("DeleteCredential: %v", err)
	}
	if err := s.DeleteCredential(ctx, "alice", []byte("a")); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: got %v, want ErrNotFound", err)
	}
	// The ID and the description are free again.
	if err := s.AddCredential(ctx, "bob", testCredential("a", "Key")); err != nil {
		t.Errorf("re-adding a deleted ID: %v", err)
	}
}

func testDeleteUserCredentials(t *testing.T, open opener) {
	s, _ := open(t)
	ctx := context.Background()
	for _, c := range []Credential{testCredential("a", "One"), testCredential("b", "Two")} {
		if err := s.AddCredential(ctx, "alice", c); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddCredential(ctx, "bob", testCredential("c", "One")); err != nil {
		t.Fatal(err)
	}
	handle, err := s.UserHandle(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.DeleteUserCredentials(ctx, "alice")
	if err != nil || n != 2 {
		t.Fatalf("DeleteUserCredentials: got %d, %v, want 2, nil", n, err)
	}
	if list, _ := s.Credentials(ctx, "alice"); len(list) != 0 {
		t.Errorf("alice still has %d credentials", len(list))
	}
	if list, _ := s.Credentials(ctx, "bob"); len(list) != 1 {
		t.Errorf("bob has %d credentials, want 1", len(list))
	}
	if err := s.AddCredential(ctx, "alice", testCredential("a", "One")); err != nil {
		t.Errorf("re-adding after reset: %v", err)
	}
	if again, _ := s.UserHandle(ctx, "alice"); string(again) != string(handle) {
		t.Error("reset changed the user handle")
	}
	if n, err := s.DeleteUserCredentials(ctx, "nobody"); n != 0 || err != nil {
		t.Errorf("reset of a user without credentials: got %d, %v, want 0, nil", n, err)
	}
}

func testUpdateAfterLogin(t *testing.T, open opener) {
	s, clk := open(t)
	ctx := context.Background()
	if err := s.AddCredential(ctx, "alice", testCredential("a", "Key")); err != nil {
		t.Fatal(err)
	}
	used := clk.t.Add(time.Hour)
	if err := s.UpdateAfterLogin(ctx, "alice", []byte("a"), 42, true, used); err != nil {
		t.Fatalf("UpdateAfterLogin: %v", err)
	}
	c, err := s.Credential(ctx, "alice", []byte("a"))
	if err != nil {
		t.Fatal(err)
	}
	if c.SignCount != 42 || !c.BackupState || !c.LastUsedAt.Equal(used) || c.CloneWarning {
		t.Errorf("after login: got count %d, backup state %v, last used %v, clone warning %v, want 42, true, %v, false",
			c.SignCount, c.BackupState, c.LastUsedAt, c.CloneWarning, used)
	}
	// A counter that does not rise (a late or cloned sign-in) lowers nothing and flags the credential.
	for _, count := range []uint32{10, 42} {
		if err := s.UpdateAfterLogin(ctx, "alice", []byte("a"), count, false, used.Add(time.Hour)); !errors.Is(err, ErrSignCount) {
			t.Errorf("counter %d after 42: got %v, want ErrSignCount", count, err)
		}
	}
	if c, err = s.Credential(ctx, "alice", []byte("a")); err != nil {
		t.Fatal(err)
	}
	if c.SignCount != 42 || !c.BackupState || !c.LastUsedAt.Equal(used) || !c.CloneWarning {
		t.Errorf("after a lower counter: got count %d, backup state %v, last used %v, clone warning %v, want 42, true, %v, true",
			c.SignCount, c.BackupState, c.LastUsedAt, c.CloneWarning, used)
	}
	if err := s.UpdateAfterLogin(ctx, "alice", []byte("zz"), 100, false, used); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown credential: got %v, want ErrNotFound", err)
	}
}

func testCloneWarning(t *testing.T, open opener) {
	s, _ := open(t)
	ctx := context.Background()
	for _, c := range []Credential{testCredential("a", "One"), testCredential("b", "Two")} {
		if err := s.AddCredential(ctx, "alice", c); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.MarkCloneWarning(ctx, "alice", []byte("a")); err != nil {
		t.Fatalf("MarkCloneWarning: %v", err)
	}
	flags := func() []bool {
		list, err := s.Credentials(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		var out []bool
		for _, c := range list {
			out = append(out, c.CloneWarning)
		}
		return out
	}
	if diff := cmp.Diff([]bool{true, false}, flags()); diff != "" {
		t.Errorf("after mark (-want +got):\n%s", diff)
	}
	if err := s.ClearCloneWarning(ctx, "alice", []byte("a")); err != nil {
		t.Fatalf("ClearCloneWarning: %v", err)
	}
	if diff := cmp.Diff([]bool{false, false}, flags()); diff != "" {
		t.Errorf("after clear (-want +got):\n%s", diff)
	}
	if err := s.MarkCloneWarning(ctx, "bob", []byte("a")); !errors.Is(err, ErrNotFound) {
		t.Errorf("mark for another user: got %v, want ErrNotFound", err)
	}
}
