package mockwechat_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

const (
	appID     = "wx1234567890abcdef"
	appSecret = "5f3c8a1e9b7d4c2f6a0e1b8d7c3f9a24"
)

// tagPaths are the eight tag endpoints; every one must check the token.
var tagPaths = []string{
	"/cgi-bin/tags/create",
	"/cgi-bin/tags/get",
	"/cgi-bin/tags/update",
	"/cgi-bin/tags/delete",
	"/cgi-bin/user/tag/get",
	"/cgi-bin/tags/members/batchtagging",
	"/cgi-bin/tags/members/batchuntagging",
	"/cgi-bin/tags/getidlist",
}

var (
	ridPattern   = regexp.MustCompile(`^\S.* rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$`)
	tokenPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{130,512}$`)
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fixture is a mock on a fake clock, reached in process through a
// ResponseRecorder, or over the network once serve is called.
type fixture struct {
	t     *testing.T
	srv   *mockwechat.Server
	clock *clock
	token string
	base  string
}

// start is 18:00 in China, six hours before the daily quotas reset.
var start = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

func newFixture(t *testing.T, cfg mockwechat.Config) *fixture {
	t.Helper()
	c := &clock{now: start}
	cfg.AppID, cfg.AppSecret, cfg.Now = appID, appSecret, c.Now
	srv := mockwechat.New(cfg)
	return &fixture{t: t, srv: srv, clock: c, token: srv.IssueAccessToken()}
}

func (f *fixture) serve() {
	ts := httptest.NewServer(f.srv)
	f.t.Cleanup(ts.Close)
	f.base = ts.URL
}

// reply has every field any endpoint answers with.
type reply struct {
	ErrCode     int    `json:"errcode"`
	ErrMsg      string `json:"errmsg"`
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
	Tag         struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"tag"`
	Tags       []mockwechat.Tag          `json:"tags"`
	TagIDList  []int64                   `json:"tagid_list"`
	Count      int                       `json:"count"`
	Data       struct{ OpenID []string } `json:"data"`
	NextOpenID string                    `json:"next_openid"`
	Error      string                    `json:"error"` // of the admin API

	status int
	raw    string
}

// answer is an HTTP answer as it came.
type answer struct {
	status        int
	contentType   string
	contentLength string
	body          []byte
}

// send sends body as is if it is a string, as JSON otherwise, and none if
// nil. The error is the transport's, for a call that got no answer.
func (f *fixture) send(method, target string, body any) (answer, error) {
	var payload io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		payload = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return answer{}, fmt.Errorf("marshal %v: %w", body, err)
		}
		payload = strings.NewReader(string(data))
	}
	if f.base == "" {
		rec := httptest.NewRecorder()
		f.srv.ServeHTTP(rec, httptest.NewRequestWithContext(f.t.Context(), method, target, payload))
		return readAnswer(rec.Result())
	}
	req, err := http.NewRequestWithContext(f.t.Context(), method, f.base+target, payload)
	if err != nil {
		return answer{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{}, err
	}
	return readAnswer(resp)
}

// readAnswer reads resp to the end and closes its body.
func readAnswer(resp *http.Response) (answer, error) {
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Length"), data}, err
}

// do is send for a call that must get a JSON answer. It reports failures
// with Errorf so goroutines may call it.
func (f *fixture) do(method, target string, body any) reply {
	f.t.Helper()
	a, err := f.send(method, target, body)
	if err != nil {
		f.t.Errorf("%s %s: %v", method, target, err)
		return reply{}
	}
	return f.parse(method+" "+target, a)
}

// parse reads an API or admin answer, which is always JSON.
func (f *fixture) parse(what string, a answer) reply {
	f.t.Helper()
	if a.contentType != "application/json; charset=utf-8" {
		f.t.Errorf("%s: Content-Type %q", what, a.contentType)
	}
	r := reply{status: a.status, raw: strings.TrimSpace(string(a.body))}
	if err := json.Unmarshal(a.body, &r); err != nil {
		f.t.Errorf("%s: body %q is not JSON: %v", what, a.body, err)
	}
	return r
}

// call sends body to a tag endpoint with the given token, by the method
// the endpoint requires.
func (f *fixture) call(path, token string, body any) reply {
	f.t.Helper()
	method, target := tagRequest(path, token)
	return f.do(method, target, body)
}

// tagRequest is the method and target of a call to a tag endpoint.
func tagRequest(path, token string) (method, target string) {
	method = http.MethodPost
	if path == "/cgi-bin/tags/get" {
		method = http.MethodGet
	}
	return method, path + "?access_token=" + url.QueryEscape(token)
}

// api calls a tag endpoint with the fixture's token.
func (f *fixture) api(path string, body any) reply {
	f.t.Helper()
	return f.call(path, f.token, body)
}

// ok calls a tag endpoint and requires success.
func (f *fixture) ok(path string, body any) reply {
	f.t.Helper()
	r := f.api(path, body)
	if r.status != http.StatusOK || r.ErrCode != 0 {
		f.t.Fatalf("%s %v: got %s, want success", path, body, r.raw)
	}
	return r
}

func (f *fixture) createTag(name string) int64 {
	f.t.Helper()
	return f.ok("/cgi-bin/tags/create", tagBody(0, name)).Tag.ID
}

func tagBody(id int64, name string) map[string]any {
	return map[string]any{"tag": map[string]any{"id": id, "name": name}}
}

func batchBody(tagID int64, openids ...string) map[string]any {
	return map[string]any{"tagid": tagID, "openid_list": openids}
}

// tokenFrom asks /cgi-bin/token (GET, query) or /cgi-bin/stable_token
// (POST, JSON) for a token with the given credentials.
func (f *fixture) tokenFrom(path, grantType, appid, secret string, forceRefresh bool) reply {
	f.t.Helper()
	if path == "/cgi-bin/token" {
		q := url.Values{"grant_type": {grantType}, "appid": {appid}, "secret": {secret}}
		return f.do(http.MethodGet, path+"?"+q.Encode(), nil)
	}
	return f.do(http.MethodPost, path, map[string]any{
		"grant_type": grantType, "appid": appid, "secret": secret, "force_refresh": forceRefresh,
	})
}

// newToken gets a token from path with the right credentials.
func (f *fixture) newToken(path string, forceRefresh bool) reply {
	f.t.Helper()
	r := f.tokenFrom(path, "client_credential", appID, appSecret, forceRefresh)
	if r.ErrCode != 0 || !tokenPattern.MatchString(r.AccessToken) {
		f.t.Fatalf("%s: got %s, want a token", path, r.raw)
	}
	return r
}

// wantErr checks r is the real service's error shape with the code.
func wantErr(t *testing.T, r reply, code int) {
	t.Helper()
	if r.status != http.StatusOK || r.ErrCode != code || !ridPattern.MatchString(r.ErrMsg) {
		t.Errorf("got HTTP %d %s, want HTTP 200 errcode %d with errmsg ending in a rid", r.status, r.raw, code)
	}
}

// tokenCode is the errcode tags/get answers with token: 0 if it works.
func (f *fixture) tokenCode(token string) int {
	f.t.Helper()
	return f.call("/cgi-bin/tags/get", token, nil).ErrCode
}
