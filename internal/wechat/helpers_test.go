package wechat_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

const (
	testAppID  = "wx8d3f2a6b1c9e0f47"
	testSecret = "c4a1f09e7b3d5a2c8e6f1b0d9a7c3e52"
)

// API paths as the mock counts them.
const (
	pathStableToken = "/cgi-bin/stable_token"
	pathCreate      = "/cgi-bin/tags/create"
	pathList        = "/cgi-bin/tags/get"
	pathUpdate      = "/cgi-bin/tags/update"
	pathDelete      = "/cgi-bin/tags/delete"
	pathMembers     = "/cgi-bin/user/tag/get"
	pathTag         = "/cgi-bin/tags/members/batchtagging"
	pathUntag       = "/cgi-bin/tags/members/batchuntagging"
	pathIDList      = "/cgi-bin/tags/getidlist"
)

// The mock's first user tag; Config.Tags get ids from here on.
const firstTagID int64 = 100

// ridPattern is the request id the mock appends to every errmsg.
var ridPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$`)

// fixture is the client under test wired to a mock account over real HTTP, with a stable
// token source of its own (never the process-wide shared one, so tests stay independent).
type fixture struct {
	mock   *mockwechat.Server
	cfg    wechat.Config // the mock's URL and the recording observer
	log    *callLog
	client *wechat.Client
}

func newFixture(t *testing.T, cfg mockwechat.Config) *fixture {
	t.Helper()
	return newFixtureWith(t, cfg, wechat.Config{})
}

// fastRetry retries as DefaultRetryPolicy does, but waits milliseconds instead of seconds.
var fastRetry = wechat.RetryPolicy{MaxRetries: 3, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}

// newRetryingFixture is newFixture with a client, and token source, that retry within
// fastRetry.
func newRetryingFixture(t *testing.T, cfg mockwechat.Config) *fixture {
	t.Helper()
	return newFixtureWith(t, cfg, wechat.Config{Retry: fastRetry})
}

// newFixtureWith is newFixture with the client and its token source configured by client
// (retry policy, HTTP client); BaseURL and Observer are the fixture's own.
func newFixtureWith(t *testing.T, cfg mockwechat.Config, client wechat.Config) *fixture {
	t.Helper()
	cfg.AppID, cfg.AppSecret = testAppID, testSecret
	mock := mockwechat.New(cfg)
	srv := httptest.NewServer(mock)
	t.Cleanup(srv.Close)

	f := &fixture{mock: mock, log: &callLog{}}
	f.cfg = client
	f.cfg.BaseURL, f.cfg.Observer = srv.URL, f.log.observe
	tokens, err := wechat.NewTokenSource(f.cfg, wechat.StableTokenEndpoint, testAppID, testSecret)
	if err != nil {
		t.Fatalf("NewTokenSource: %v", err)
	}
	f.client = newClient(t, f.cfg, tokens)
	return f
}

// privateAddresses numbers the addresses handed out by privateAddress.
var privateAddresses atomic.Int64

// privateAddress returns cfg reaching the same server under an address no other test
// uses. SharedTokenSource keeps its sources for the life of the process, keyed by address,
// and httptest reuses ports: with the server's own address, a test run after another
// (go test -count) could be handed the earlier test's source, and its stale token. The
// address is a loopback IP other than 127.0.0.1, as only loopback hosts may use plain
// http.
func privateAddress(t *testing.T, cfg wechat.Config) wechat.Config {
	t.Helper()
	u, err := url.Parse(cfg.BaseURL)
	must(t, err)
	addr := u.Host
	n := privateAddresses.Add(1)
	u.Host = fmt.Sprintf("127.%d.%d.%d:%s", 1+n>>16&0xff, n>>8&0xff, n&0xff, u.Port())
	cfg.BaseURL = u.String()
	transport := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}
	t.Cleanup(transport.CloseIdleConnections)
	cfg.HTTPClient = &http.Client{Transport: transport}
	return cfg
}

func newClient(t *testing.T, cfg wechat.Config, tokens wechat.TokenSource) *wechat.Client {
	t.Helper()
	client, err := wechat.NewClient(cfg, tokens)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return client
}

// stubToken is the static token of clients pointed at hand-written handlers.
const stubToken = "86_stubAccessToken-0123456789abcdefghijklmnopqrstuvwxyz_ABCDEFGHIJ"

// busyReply is the service's answer when it is busy.
const busyReply = `{"errcode":-1,"errmsg":"system error rid: 6583a2b1-1c0b0b21-4f3c3d4e"}`

// newStub serves handler and returns a client of it with a static token, for the
// responses the mock never gives (HTTP errors, odd bodies, broken connections).
func newStub(t *testing.T, handler http.HandlerFunc) (*wechat.Client, *callLog) {
	t.Helper()
	return newStubWith(t, wechat.Config{}, handler)
}

// newStubWith is newStub with the client configured by client; BaseURL and Observer are
// the stub's own.
func newStubWith(t *testing.T, client wechat.Config, handler http.HandlerFunc) (*wechat.Client, *callLog) {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	log := &callLog{}
	client.BaseURL, client.Observer = srv.URL, log.observe
	return newClient(t, client, wechat.StaticToken(stubToken)), log
}

// replyWith is a handler answering every request with status and body.
func replyWith(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}
}

// callLog records what the Observer is told.
type callLog struct {
	mu    sync.Mutex
	calls []wechat.CallInfo
	// after, when set before any call, runs after each call is recorded: a test uses it
	// to change the mock between two requests of one client method.
	after func(wechat.CallInfo)
}

func (l *callLog) observe(_ context.Context, call wechat.CallInfo) {
	l.mu.Lock()
	l.calls = append(l.calls, call)
	l.mu.Unlock()
	if l.after != nil {
		l.after(call)
	}
}

func (l *callLog) all() []wechat.CallInfo {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]wechat.CallInfo(nil), l.calls...)
}

// attempts lists the Attempt of every observed call to endpoint, in order.
func (l *callLog) attempts(endpoint string) []int {
	var attempts []int
	for _, c := range l.of(endpoint) {
		attempts = append(attempts, c.Attempt)
	}
	return attempts
}

// of lists the observed calls to endpoint, in order.
func (l *callLog) of(endpoint string) []wechat.CallInfo {
	var calls []wechat.CallInfo
	for _, c := range l.all() {
		if c.Endpoint == endpoint {
			calls = append(calls, c)
		}
	}
	return calls
}

// faultUntilFailure makes the mock inject faults into every call to path until the client
// has observed one of them fail. The observer runs before the client waits to retry, so
// the faults are gone by the next attempt whatever the timing: the first attempt fails
// and the client's own retry or resend meets a healthy service. It takes f.log.after.
func (f *fixture) faultUntilFailure(t *testing.T, path string, faults mockwechat.Faults) {
	t.Helper()
	faults.Paths = []string{path}
	must(t, f.mock.SetFaults(faults))
	endpoint := strings.TrimPrefix(path, "/cgi-bin/")
	var once sync.Once
	f.log.after = func(call wechat.CallInfo) {
		if call.Endpoint == endpoint && call.Err != nil {
			once.Do(func() {
				if err := f.mock.SetFaults(mockwechat.Faults{}); err != nil {
					t.Errorf("clearing the faults: %v", err)
				}
			})
		}
	}
}

// requireRetriedUntilSuccess checks that the observer saw the first request to endpoint
// fail attempts-1 times, each failure followed by a wait within policy, and succeed on the
// last attempt. Requests after it, such as the next page of a listing, must be new
// requests, not retries.
func requireRetriedUntilSuccess(t *testing.T, log *callLog, endpoint string, attempts int, policy wechat.RetryPolicy) {
	t.Helper()
	calls := log.of(endpoint)
	if len(calls) < attempts {
		t.Fatalf("the observer saw %d calls of %s, want %d: %+v", len(calls), endpoint, attempts, calls)
	}
	for _, later := range calls[attempts:] {
		if later.Attempt != 1 {
			t.Errorf("after the attempts expected of %s, the observer saw %+v", endpoint, later)
		}
	}
	for i, c := range calls[:attempts-1] {
		if c.Attempt != i+1 || c.Err == nil || c.RetryIn <= 0 || c.RetryIn > policy.MaxBackoff {
			t.Errorf("call %d of %s: %+v; want attempt %d failed with 0 < RetryIn <= %v", i+1, endpoint, c, i+1, policy.MaxBackoff)
		}
	}
	if last := calls[attempts-1]; last.Attempt != attempts || last.Err != nil || last.RetryIn != 0 {
		t.Errorf("last call of %s: %+v; want attempt %d succeeded, RetryIn 0", endpoint, last, attempts)
	}
}

// requireAttemptedOnce checks that the observer saw endpoint called once, and not retried.
func requireAttemptedOnce(t *testing.T, log *callLog, endpoint string) {
	t.Helper()
	calls := log.of(endpoint)
	if len(calls) != 1 || calls[0].Attempt != 1 || calls[0].RetryIn != 0 {
		t.Errorf("the observer saw %+v of %s, want one attempt with RetryIn 0", calls, endpoint)
	}
}

// requireAPIError checks that err is the service's refusal with code at endpoint, as
// decoded from the mock's wire format: errmsg without its rid, rid parsed.
func requireAPIError(t *testing.T, err error, endpoint string, code int) *wechat.APIError {
	t.Helper()
	var apiErr *wechat.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("got error %v (%T), want a *wechat.APIError", err, err)
	}
	if apiErr.Endpoint != endpoint || apiErr.ErrCode != code {
		t.Fatalf("got %s errcode %d, want %s errcode %d", apiErr.Endpoint, apiErr.ErrCode, endpoint, code)
	}
	if !ridPattern.MatchString(apiErr.RequestID) {
		t.Errorf("RequestID %q is not the rid of the errmsg", apiErr.RequestID)
	}
	if apiErr.ErrMsg == "" || strings.Contains(apiErr.ErrMsg, "rid") || strings.Contains(apiErr.ErrMsg, apiErr.RequestID) {
		t.Errorf("ErrMsg %q should be the service's text without its rid", apiErr.ErrMsg)
	}
	if got, ok := wechat.ErrorCode(err); !ok || got != code {
		t.Errorf("ErrorCode = %d, %v; want %d, true", got, ok, code)
	}
	if !wechat.HasCode(err, code) {
		t.Errorf("HasCode(err, %d) = false", code)
	}
	return apiErr
}

// requireNoCalls checks that the mock received no request at all, token calls included.
func requireNoCalls(t *testing.T, mock *mockwechat.Server) {
	t.Helper()
	if calls := mock.Calls(); len(calls) != 0 {
		t.Errorf("the mock received %v, want no request", calls)
	}
}

func requireCallCount(t *testing.T, mock *mockwechat.Server, path string, want int) {
	t.Helper()
	if got := mock.CallCount(path); got != want {
		t.Errorf("%s was called %d times, want %d", path, got, want)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// fakeClock is a time that moves only when a test says so.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
