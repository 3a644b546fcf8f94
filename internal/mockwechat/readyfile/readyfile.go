// Package readyfile is how a wechat-mock process announces that it listens: it writes
// its base URL to a file, and whoever started it in the background waits for that file.
// The Makefile's demo, the guides' scripts (through wechat-mock -wait-ready-file),
// wechat-bench and the command's tests all wait with Await, so the wait is written once.
package readyfile

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Write writes the base URL to path through a temporary file and a rename, so that a
// waiter never reads half a URL.
func Write(path, baseURL string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".wechat-mock-ready-*")
	if err != nil {
		return err
	}
	_, err = tmp.WriteString(baseURL)
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name()) // the write's error is the one to report
	}
	return err
}

// pollInterval is short next to a mock's start, which takes tens of milliseconds.
const pollInterval = 20 * time.Millisecond

// Await waits until path names a base URL something listens at, and returns it. A file
// left by a mock that was killed names a port nothing listens on: Await waits on until a
// new mock replaces it, or ctx ends.
func Await(ctx context.Context, path string) (string, error) {
	for {
		if base, ok := listening(ctx, path); ok {
			return base, nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("no wechat-mock announced itself in %s: %w", path, context.Cause(ctx))
		case <-time.After(pollInterval):
		}
	}
}

func listening(ctx context.Context, path string) (string, bool) {
	data, err := os.ReadFile(filepath.Clean(path))
	if err != nil {
		return "", false
	}
	base := strings.TrimSpace(string(data))
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return "", false
	}
	dialCtx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	conn, err := new(net.Dialer).DialContext(dialCtx, "tcp", u.Host)
	if err != nil {
		return "", false
	}
	_ = conn.Close() // only the connection mattered
	return base, true
}
