package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/keygate/keygate/authz"
)

// TestEchoLogsGoThroughSlog: a line echo logs comes out as a JSON record of
// the daemon's logger, not as echo's own output.
func TestEchoLogsGoThroughSlog(t *testing.T) {
	var out bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&out, nil))
	e, err := newEcho(authz.Config{}, logger)
	if err != nil {
		t.Fatal(err)
	}
	e.Logger.Error("echo says hello")
	line := strings.TrimSpace(out.String())
	var rec map[string]any
	if err := json.Unmarshal([]byte(line), &rec); err != nil {
		t.Fatalf("got %q, want one JSON record: %v", line, err)
	}
	if msg, _ := rec["msg"].(string); !strings.Contains(msg, "echo says hello") || rec["component"] != "echo" {
		t.Errorf("got record %v, want echo's message from component echo", rec)
	}
}
