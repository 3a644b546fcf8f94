package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat/readyfile"
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
	return send(t, http.MethodGet, url, "")
}

func send(t *testing.T, method, url, body string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return string(data)
}

// mock is a run of the command on a free port.
type mock struct {
	base, ready    string
	stdout, stderr syncBuffer
	stop           func() error // stops the run, returns its error
}

// startMock runs the command with args until stop or the end of the test,
// and waits for its ready file.
func startMock(t *testing.T, args ...string) *mock {
	t.Helper()
	return startMockAt(t, filepath.Join(t.TempDir(), "url"), args...)
}

// startMockAt is startMock with the ready file at ready.
func startMockAt(t *testing.T, ready string, args ...string) *mock {
	t.Helper()
	m := &mock{ready: ready}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0", "-ready-file", m.ready}, args...), &m.stdout, &m.stderr)
	}()
	m.stop = sync.OnceValue(func() error {
		cancel()
		return <-done
	})
	t.Cleanup(func() {
		if err := m.stop(); err != nil {
			t.Errorf("run: %v", err)
		}
	})

	waitCtx, cancelWait := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancelWait()
	base, err := readyfile.Await(waitCtx, m.ready)
	if err != nil {
		t.Fatalf("%v; stderr: %s", err, m.stderr.String())
	}
	m.base = base
	return m
}

func TestRun_servesOnAFreePortAnnouncedInTheReadyFileAndLogsNoSecrets(t *testing.T) {
	m := startMock(t, "-app-secret", "topsecret0000000000000000000000a",
		"-followers", "ocYxcuAEy30bX0NXmGn4ypqx3tI0", "-generate-followers", "2", "-tags", "广东, VIP")
	base := m.base
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

	if err := m.stop(); err != nil {
		t.Fatalf("run: %v", err)
	}
	if _, err := os.Stat(m.ready); !os.IsNotExist(err) {
		t.Errorf("ready file left behind: %v", err)
	}
	if out := m.stdout.String(); !strings.Contains(out, base) || !strings.Contains(out, "followers: 3") || !strings.Contains(out, base+"/_mock/") {
		t.Errorf("banner lacks the base URL, follower count or admin URL:\n%s", out)
	}
	log := m.stderr.String()
	for _, want := range []string{"GET /cgi-bin/token status=200 errcode=0 ", "GET /cgi-bin/tags/get status=200 errcode=40001 ", "GET /_mock/state status=200"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "topsecret") || strings.Contains(log, "access_token") || strings.Contains(log, "?") {
		t.Errorf("log shows a query string:\n%s", log)
	}
}

func TestRun_injectsFaultsThroughTheAdminAPIAndLogsHangUps(t *testing.T) {
	m := startMock(t)
	var token struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(get(t, m.base+"/cgi-bin/token?grant_type=client_credential&appid=wx1234567890abcdef&secret=5f3c8a1e9b7d4c2f6a0e1b8d7c3f9a24")), &token); err != nil {
		t.Fatalf("GET /cgi-bin/token: %v", err)
	}
	if issued := strings.TrimSpace(get(t, m.base+"/_mock/tokens")); token.AccessToken == "" || issued != `{"issued":["`+token.AccessToken+`"]}` {
		t.Errorf("GET /_mock/tokens: %s, want the token %q", issued, token.AccessToken)
	}

	send(t, http.MethodPost, m.base+"/_mock/faults", `{"drop_rate":1,"paths":["/cgi-bin/tags/get"]}`)
	// POST, which http.Transport never resends, so that one drop is one call.
	post, err := http.NewRequestWithContext(t.Context(), http.MethodPost, m.base+"/cgi-bin/tags/get", nil)
	if err != nil {
		t.Fatal(err)
	}
	post.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(post); err == nil {
		resp.Body.Close()
		t.Errorf("a dropped call was answered: HTTP %d", resp.StatusCode)
	}
	if stats := get(t, m.base+"/_mock/faults"); !strings.Contains(stats, `"drops":1,`) {
		t.Errorf("GET /_mock/faults: %s, want one drop", stats)
	}

	send(t, http.MethodPost, m.base+"/_mock/faults", `{"latency":"1h"}`)
	impatient := &http.Client{Timeout: 50 * time.Millisecond}
	slow, err := http.NewRequestWithContext(t.Context(), http.MethodGet, m.base+"/cgi-bin/tags/get", nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := impatient.Do(slow); err == nil {
		resp.Body.Close()
		t.Error("a call was answered before the latency of an hour")
	}
	if err := m.stop(); err != nil {
		t.Fatalf("run: %v (a handler still waiting out the latency would make the shutdown time out)", err)
	}
	log := m.stderr.String()
	for _, want := range []string{"POST /cgi-bin/tags/get status=closed errcode=- ", "GET /cgi-bin/tags/get status=none errcode=- "} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
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
	err := run(t.Context(), []string{"-addr", "0.0.0.0:0"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-allow-remote") {
		t.Errorf("run with 0.0.0.0: %v, want an error pointing to -allow-remote", err)
	}
}

func TestRun_reportsBadTags(t *testing.T) {
	err := run(t.Context(), []string{"-addr", "127.0.0.1:0", "-tags", "a,a"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "45157") {
		t.Errorf("run with duplicate tags: %v, want errcode 45157", err)
	}
}

func TestRun_pageSizeForeignOpenIDsAndQuotas(t *testing.T) {
	foreign := "oForeignAAAAAAAAAAAAAAAAAAAA"
	m := startMock(t, "-generate-followers", "3", "-tags", "VIP", "-page-size", "2",
		"-foreign-openids", foreign, "-daily-quota", "/cgi-bin/tags/getidlist=7, /cgi-bin/tags/get=1")
	banner := m.stdout.String()
	for _, want := range []string{"export WECHAT_BASE_URL=" + m.base + " WECHAT_APP_ID=wx1234567890abcdef WECHAT_APP_SECRET=5f3c8a1e9b7d4c2f6a0e1b8d7c3f9a24", "followers: 3: o"} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}

	var issued struct {
		AccessToken string `json:"access_token"`
	}
	must(t, json.Unmarshal([]byte(send(t, http.MethodPost, m.base+"/_mock/tokens/issue", "")), &issued))
	api := func(path, body string) string {
		return send(t, http.MethodPost, m.base+path+"?access_token="+issued.AccessToken, body)
	}

	var followers struct {
		OpenIDs []string `json:"openids"`
	}
	must(t, json.Unmarshal([]byte(get(t, m.base+"/_mock/followers")), &followers))
	for _, openid := range followers.OpenIDs {
		send(t, http.MethodPost, m.base+"/_mock/users/tag", `{"openid":"`+openid+`","tagid":100}`)
	}
	if page := api("/cgi-bin/user/tag/get", `{"tagid":100,"next_openid":""}`); !strings.Contains(page, `"count":2`) {
		t.Errorf("first page with -page-size 2: %s", page)
	}
	if refused := api("/cgi-bin/tags/getidlist", `{"openid":"`+foreign+`"}`); !strings.Contains(refused, `"errcode":49003`) {
		t.Errorf("getidlist of a -foreign-openids openid: %s, want 49003", refused)
	}
	if quota := api("/cgi-bin/openapi/quota/get", `{"cgi_path":"/cgi-bin/tags/getidlist"}`); !strings.Contains(quota, `"quota":{"daily_limit":7,"used":0,"remain":7}`) {
		t.Errorf("quota of getidlist with -daily-quota: %s", quota)
	}
	if quotas := get(t, m.base+"/_mock/quotas"); !strings.Contains(quotas, `"/cgi-bin/tags/get":{"daily_limit":1,"used":0,"remain":1}`) {
		t.Errorf("GET /_mock/quotas: %s", quotas)
	}
}

// A script starts the mock in the background and waits with -wait-ready-file, which
// prints the base URL once the mock listens, even where a killed mock left its ready
// file behind.
func TestWaitReadyFile_waitsForTheMockAndPrintsItsBaseURL(t *testing.T) {
	ready := filepath.Join(t.TempDir(), "mock-url")
	ln, err := new(net.ListenConfig).Listen(t.Context(), "tcp", "127.0.0.1:0")
	must(t, err)
	must(t, os.WriteFile(ready, []byte("http://"+ln.Addr().String()), 0o600))
	must(t, ln.Close())

	var out syncBuffer
	waited := make(chan error, 1)
	go func() { waited <- run(t.Context(), []string{"-wait-ready-file", ready}, &out, io.Discard) }()
	select {
	case err := <-waited:
		t.Fatalf("-wait-ready-file returned before the mock started (%v), printing %q", err, out.String())
	case <-time.After(200 * time.Millisecond):
	}
	m := startMockAt(t, ready)
	must(t, <-waited)
	if out.String() != m.base+"\n" {
		t.Errorf("-wait-ready-file printed %q, want %q", out.String(), m.base+"\n")
	}
}

func TestWaitReadyFile_failsWhenNoMockListens(t *testing.T) {
	ready := filepath.Join(t.TempDir(), "mock-url")
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	var out syncBuffer
	if err := run(ctx, []string{"-wait-ready-file", ready}, &out, io.Discard); err == nil || !strings.Contains(err.Error(), ready) {
		t.Errorf("-wait-ready-file without a mock: %v, want an error naming %s", err, ready)
	}
	if out.String() != "" {
		t.Errorf("-wait-ready-file without a mock printed %q", out.String())
	}
	err := run(t.Context(), []string{"-wait-ready-file", ready, "-addr", "127.0.0.1:0"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "takes no other flag") {
		t.Errorf("-wait-ready-file with -addr: %v, want it refused", err)
	}
}

func TestRun_reportsBadFlags(t *testing.T) {
	for flag, want := range map[string]string{
		"-page-size=0":                      "-page-size 0: want 1 or more",
		"-daily-quota=/cgi-bin/tags/get":    "want PATH=N",
		"-daily-quota=/cgi-bin/tags/get=-1": "want PATH=N",
		"-daily-quota=/cgi-bin/nothing=5":   `"/cgi-bin/nothing" is not an API path the mock serves`,
	} {
		err := run(t.Context(), []string{"-addr", "127.0.0.1:0", flag}, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("run %s: %v, want an error saying %q", flag, err, want)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
