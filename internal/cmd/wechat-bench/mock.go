package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat/readyfile"
)

// The credentials the bench's mocks accept; the provider reads them from the environment.
const (
	benchAppID     = "wx0b3e5c7a9d1f2468"
	benchAppSecret = "7e2a9c4b6d8f0a1c3e5b7d9f1a3c5e7b"
)

// mock is a wechat-mock process, driven as a user would drive it: flags at start, then
// its admin API under /_mock/.
type mock struct {
	url    string
	cmd    *exec.Cmd
	exited chan struct{}
	log    *os.File
	http   *http.Client
}

// startMock starts the mock with followers generated from seed, on a free loopback port,
// logging to dir/mock.log.
func startMock(ctx context.Context, binary, dir string, followers int) (*mock, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	ready := filepath.Join(dir, "mock-url")
	_ = os.Remove(ready) // a file left by an earlier run names a dead port
	logFile, err := os.Create(filepath.Clean(filepath.Join(dir, "mock.log")))
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, binary, "-addr", "127.0.0.1:0", "-ready-file", ready, //nolint:gosec // G204: the mock binary the bench was given
		"-app-id", benchAppID, "-app-secret", benchAppSecret,
		"-generate-followers", strconv.Itoa(followers), "-seed", strconv.Itoa(seed))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Interrupted, the mock stops as it does on SIGTERM.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("starting the mock %s: %w", binary, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	m := &mock{cmd: cmd, exited: exited, log: logFile, http: &http.Client{Timeout: time.Minute}}

	// The wait ends when the mock listens, exits or takes too long, whichever comes first.
	errExited := fmt.Errorf("the mock exited before it listened; see %s", logFile.Name())
	waitCtx, cancel := context.WithTimeoutCause(ctx, 15*time.Second,
		fmt.Errorf("the mock did not listen within 15 s; see %s", logFile.Name()))
	defer cancel()
	go func() {
		select {
		case <-exited:
			cancel()
		case <-waitCtx.Done():
		}
	}()
	url, err := readyfile.Await(waitCtx, ready)
	if err == nil {
		m.url = url
		return m, nil
	}
	select {
	case <-exited:
		_ = logFile.Close()
		return nil, errExited
	default:
		m.stop()
		return nil, err
	}
}

// stop ends the mock gracefully, or kills it after five seconds.
func (m *mock) stop() {
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.exited:
	case <-time.After(5 * time.Second):
		_ = m.cmd.Process.Kill()
		<-m.exited
	}
	_ = m.log.Close()
}

// admin calls the admin API; body, when not nil, is sent as JSON, and the answer is
// decoded into reply when that is not nil.
func (m *mock) admin(ctx context.Context, method, path string, body, reply any) error {
	var payload io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		payload = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, m.url+path, payload)
	if err != nil {
		return err
	}
	resp, err := m.http.Do(req)
	if err != nil {
		return fmt.Errorf("mock admin %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("mock admin %s %s: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("mock admin %s %s: HTTP %d: %s", method, path, resp.StatusCode, strings.TrimSpace(string(data)))
	}
	if reply == nil {
		return nil
	}
	if err := json.Unmarshal(data, reply); err != nil {
		return fmt.Errorf("mock admin %s %s: %w in %q", method, path, err, data)
	}
	return nil
}

// followers lists the account's followers in the order they followed.
func (m *mock) followers(ctx context.Context) ([]string, error) {
	var reply struct {
		OpenIDs []string `json:"openids"`
	}
	err := m.admin(ctx, http.MethodGet, "/_mock/followers", nil, &reply)
	return reply.OpenIDs, err
}

// calls are the API calls by path since the last resetCalls.
func (m *mock) calls(ctx context.Context) (map[string]int, error) {
	calls := map[string]int{}
	err := m.admin(ctx, http.MethodGet, "/_mock/calls", nil, &calls)
	return calls, err
}

func (m *mock) resetCalls(ctx context.Context) error {
	return m.admin(ctx, http.MethodPost, "/_mock/calls/reset", nil, nil)
}

// setLatency delays every API call by latency, and injects nothing else.
func (m *mock) setLatency(ctx context.Context, latency time.Duration) error {
	return m.admin(ctx, http.MethodPost, "/_mock/faults", map[string]string{"latency": latency.String()}, nil)
}
