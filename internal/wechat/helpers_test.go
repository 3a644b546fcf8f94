package wechat_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

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
	cfg.AppID, cfg.AppSecret = testAppID, testSecret
	mock := mockwechat.New(cfg)
	srv := httptest.NewServer(mock)
	t.Cleanup(srv.Close)

	f := &fixture{mock: mock, log: &callLog{}}
	f.cfg = wechat.Config{BaseURL: srv.URL, Observer: f.log.observe}
	tokens, err := wechat.NewStableTokenSource(f.cfg, testAppID, testSecret)
	if err != nil {
		t.Fatalf("NewStableTokenSource: %v", err)
	}
	f.client = newClient(t, f.cfg, tokens)
	return f
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

// newStub serves handler and returns a client of it with a static token, for the
// responses the mock never gives (HTTP errors, odd bodies, broken connections).
func newStub(t *testing.T, handler http.HandlerFunc) (*wechat.Client, *callLog) {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	log := &callLog{}
	return newClient(t, wechat.Config{BaseURL: srv.URL, Observer: log.observe}, wechat.StaticToken(stubToken)), log
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
	for _, c := range l.all() {
		if c.Endpoint == endpoint {
			attempts = append(attempts, c.Attempt)
		}
	}
	return attempts
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
