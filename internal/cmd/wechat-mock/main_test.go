package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is written by the server's goroutines while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

func TestRun_servesOnAFreePortAnnouncedInTheReadyFileAndLogsNoSecrets(t *testing.T) {
	ready := filepath.Join(t.TempDir(), "url")
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-ready-file", ready,
			"-app-secret", "topsecret0000000000000000000000a",
			"-followers", "ocYxcuAEy30bX0NXmGn4ypqx3tI0", "-generate-followers", "2", "-tags", "广东, VIP"},
			&stdout, &stderr)
	}()

	var base string
	for deadline := time.Now().Add(5 * time.Second); base == ""; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no ready file; stderr: %s", stderr.String())
		}
		data, _ := os.ReadFile(ready)
		base = string(data)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") || strings.HasSuffix(base, ":0") {
		t.Fatalf("ready file holds %q, want the base URL with the chosen port", base)
	}

	token := get(t, base+"/cgi-bin/token?grant_type=client_credential&appid=wx1234567890abcdef&secret=topsecret0000000000000000000000a")
	if !strings.Contains(token, `"access_token"`) {
		t.Errorf("token call: %s", token)
	}
	get(t, base+"/cgi-bin/tags/get?access_token=not-issued")
	state := get(t, base+"/_mock/state")
	if !strings.Contains(state, `{"id":100,"name":"广东","count":0},{"id":101,"name":"VIP","count":0}`) ||
		strings.Count(state, `"openid"`) != 3 {
		t.Errorf("state: %s", state)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if _, err := os.Stat(ready); !os.IsNotExist(err) {
		t.Errorf("ready file left behind: %v", err)
	}
	if out := stdout.String(); !strings.Contains(out, base) || !strings.Contains(out, "followers: 3") || !strings.Contains(out, base+"/_mock/") {
		t.Errorf("banner lacks the base URL, follower count or admin URL:\n%s", out)
	}
	log := stderr.String()
	for _, want := range []string{"GET /cgi-bin/token status=200 errcode=0 ", "GET /cgi-bin/tags/get status=200 errcode=40001 ", "GET /_mock/state status=200"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "topsecret") || strings.Contains(log, "access_token") || strings.Contains(log, "?") {
		t.Errorf("log shows a query string:\n%s", log)
	}
}

func TestRun_refusesANonLoopbackAddressUnlessAllowed(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:0": true, "localhost:0": true, "[::1]:0": true,
		":8099": false, "0.0.0.0:8099": false, "192.168.1.10:8099": false, "nonsense": false,
	} {
		if err := requireLoopback(addr); (err == nil) != ok {
			t.Errorf("requireLoopback(%q) = %v", addr, err)
		}
	}
	err := run(context.Background(), []string{"-addr", "0.0.0.0:0"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-allow-remote") {
		t.Errorf("run with 0.0.0.0: %v, want an error pointing to -allow-remote", err)
	}
}

func TestRun_reportsBadTags(t *testing.T) {
	err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-tags", "a,a"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "45157") {
		t.Errorf("run with duplicate tags: %v, want errcode 45157", err)
	}
}
