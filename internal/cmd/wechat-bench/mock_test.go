package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startMock returns once the mock listens, with its URL, and says so at once when the
// mock exits instead of waiting out its 15 seconds.
func TestStartMock_waitsForTheMockOrItsExit(t *testing.T) {
	binary := filepath.Join(t.TempDir(), "wechat-mock")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", binary, "../../../cmd/wechat-mock")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/wechat-mock: %v\n%s", err, out)
	}
	m, err := startMock(t.Context(), binary, t.TempDir(), 3)
	if err != nil {
		t.Fatal(err)
	}
	defer m.stop()
	followers, err := m.followers(t.Context())
	if err != nil || len(followers) != 3 {
		t.Errorf("followers of the started mock: %v, %v; want 3", followers, err)
	}

	began := time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err = startMock(ctx, "false", t.TempDir(), 0) // exits at once, as a mock given a bad flag does
	if err == nil || !strings.Contains(err.Error(), "exited before it listened") {
		t.Errorf("a mock that exits: %v, want it said", err)
	}
	if waited := time.Since(began); waited > 5*time.Second {
		t.Errorf("the exit was noticed after %v", waited)
	}
}
