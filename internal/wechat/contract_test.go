package wechat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

// The wire contract of every request the client sends, and its reading of the answers the
// official pages (../shared/wechat-api/*.txt) and FACTS.md document. The mock decodes
// requests with encoding/json, which matches field names without regard to case and would
// take "tagid":"134" for a decoding error of its own making: these tests read the bytes.

// wireCall is one request as it reached the server.
type wireCall struct {
	method      string
	path        string // as sent, not unescaped
	rawQuery    string
	contentType string
	body        []byte
}

// wireServer answers the requests of one test in order, each with the next of answers,
// and records them.
type wireServer struct {
	t       *testing.T
	url     string
	mu      sync.Mutex
	answers []string
	calls   []wireCall
}

func newWireServer(t *testing.T, answers ...string) *wireServer {
	t.Helper()
	s := &wireServer{t: t, answers: answers}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

func (s *wireServer) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.t.Errorf("reading the request body: %v", err)
	}
	s.mu.Lock()
	s.calls = append(s.calls, wireCall{
		method: r.Method, path: r.URL.EscapedPath(), rawQuery: r.URL.RawQuery,
		contentType: r.Header.Get("Content-Type"), body: body,
	})
	n := len(s.calls)
	s.mu.Unlock()
	if n > len(s.answers) {
		s.t.Errorf("request %d (%s %s) is one more than the %d expected", n, r.Method, r.URL.Path, len(s.answers))
		w.WriteHeader(http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json; encoding=utf-8")
	fmt.Fprint(w, s.answers[n-1])
}

func (s *wireServer) recorded() []wireCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]wireCall(nil), s.calls...)
}

// wireRequest is what one request must be. A nil query is the access token alone, the
// query of every tag call; body "" is no body.
type wireRequest struct {
	method, path string
	query        url.Values
	body         string
}

func (want wireRequest) check(t *testing.T, i int, got wireCall) {
	t.Helper()
	if got.method != want.method || got.path != want.path {
		t.Errorf("request %d is %s %s, want %s %s", i+1, got.method, got.path, want.method, want.path)
	}
	query, err := url.ParseQuery(got.rawQuery)
	if err != nil {
		t.Errorf("request %d: the query %q does not parse: %v", i+1, got.rawQuery, err)
	}
	wantQuery := want.query
	if wantQuery == nil {
		wantQuery = url.Values{"access_token": {stubToken}}
	}
	if !reflect.DeepEqual(query, wantQuery) {
		t.Errorf("request %d to %s carries the query %q, want exactly %v", i+1, want.path, got.rawQuery, wantQuery)
	}
	if want.body == "" {
		if len(got.body) != 0 {
			t.Errorf("request %d to %s carries the body %q, want none", i+1, want.path, got.body)
		}
		return
	}
	if media, _, err := mime.ParseMediaType(got.contentType); err != nil || media != "application/json" {
		t.Errorf("request %d to %s has Content-Type %q, want application/json", i+1, want.path, got.contentType)
	}
	requireSameJSON(t, fmt.Sprintf("request %d to %s", i+1, want.path), got.body, want.body)
}

// requireSameJSON compares JSON strictly: key names as written, every key and no other,
// a number never equal to a string, the order of object keys and the white space aside.
func requireSameJSON(t *testing.T, what string, got []byte, want string) {
	t.Helper()
	wantValue, err := strictJSON([]byte(want))
	if err != nil {
		t.Fatalf("the expected JSON %s: %v", want, err)
	}
	gotValue, err := strictJSON(got)
	if err != nil {
		t.Errorf("%s: the body %q is not one JSON value: %v", what, got, err)
		return
	}
	if !reflect.DeepEqual(gotValue, wantValue) {
		t.Errorf("%s: the body is\n\t%s\nwant\n\t%s", what, bytes.TrimSpace(got), want)
	}
}

// strictJSON decodes one JSON value into maps, slices, json.Number, string, bool and nil,
// refusing a key given twice (of which encoding/json would keep the last) and anything
// after the value.
func strictJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := strictValue(dec)
	if err != nil {
		return nil, err
	}
	if tok, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%v after the value (%w)", tok, err)
	}
	return v, nil
}

func strictValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		object := map[string]any{}
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return nil, err
			}
			name, ok := key.(string)
			if !ok {
				return nil, fmt.Errorf("the key %v is no string", key)
			}
			if _, twice := object[name]; twice {
				return nil, fmt.Errorf("the key %q is given twice", name)
			}
			if object[name], err = strictValue(dec); err != nil {
				return nil, err
			}
		}
		_, err := dec.Token()
		return object, err
	case json.Delim('['):
		array := []any{}
		for dec.More() {
			v, err := strictValue(dec)
			if err != nil {
				return nil, err
			}
			array = append(array, v)
		}
		_, err := dec.Token()
		return array, err
	}
	return tok, nil
}

func requireRequests(t *testing.T, srv *wireServer, want ...wireRequest) {
	t.Helper()
	got := srv.recorded()
	if len(got) != len(want) {
		t.Errorf("the server received %d requests, want %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		want[i].check(t, i, got[i])
	}
}

// Openids of the official samples.
const (
	sampleOpenID1 = "ocYxcuAEy30bX0NXmGn4ypqx3tI0"
	sampleOpenID2 = "ocYxcuBt0mRugKZ7tGAHPnUaOW7Y"
	sampleOpenID3 = "ocYxcuCz9aVdKpQ2wHn6LmRtXs81"
)

// Answers as the official pages print them: indented, a success without errcode.
const (
	sampleCreateAnswer = `{
"tag": {
"id": 134,
"name": "广东"
}
}`
	sampleOKAnswer = `{
"errcode":0,
"errmsg":"ok"
}`
	sampleIDListAnswer = `{
  "tagid_list":[134, 2]
} `
	sampleTagsAnswer = `{
  "tags":[{
      "id":2,
      "name":"星标组",
      "count":0
    },{
      "id":134,
      "name":"广东",
      "count":5
    }
  ]
}`
	sampleFansAnswer = `{
  "count":2,
  "data":{
    "openid":[
      "ocYxcuAEy30bX0NXmGn4ypqx3tI0",
      "ocYxcuBt0mRugKZ7tGAHPnUaOW7Y"
    ]
  },
  "next_openid":"ocYxcuBt0mRugKZ7tGAHPnUaOW7Y"
}`
	sampleTokenAnswer = `{"access_token":"86_sampleAccessToken-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789","expires_in":7200}`
	sampleToken       = "86_sampleAccessToken-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)

// wireClient is a client of srv with the static stub token, reading followers with
// getidlist so that FollowerTags sends nothing else.
func wireClient(t *testing.T, srv *wireServer) *wechat.Client {
	t.Helper()
	return newClient(t, wechat.Config{BaseURL: srv.url, MembershipReads: wechat.MembershipReadsPerFollower}, wechat.StaticToken(stubToken))
}

// Every tag call: POST with a JSON body (GET for tags/get), the access token the only
// query parameter, tag ids as JSON numbers, and the field names of the official pages.
func TestWire_everyTagCallSendsTheDocumentedRequest(t *testing.T) {
	openids := []string{sampleOpenID1, sampleOpenID2}
	cases := []struct {
		name     string
		call     func(context.Context, *wechat.Client) (any, error)
		answers  []string
		requests []wireRequest
		want     any
	}{
		{
			name: "createTag",
			call: func(ctx context.Context, c *wechat.Client) (any, error) { return c.CreateTag(ctx, "广东") },
			// The official sample answer, which carries no errcode.
			answers:  []string{sampleCreateAnswer},
			requests: []wireRequest{{method: http.MethodPost, path: "/cgi-bin/tags/create", body: `{"tag":{"name":"广东"}}`}},
			want:     wechat.Tag{ID: 134, Name: "广东"},
		},
		{
			name:     "getTag",
			call:     func(ctx context.Context, c *wechat.Client) (any, error) { return c.ListTags(ctx) },
			answers:  []string{sampleTagsAnswer},
			requests: []wireRequest{{method: http.MethodGet, path: "/cgi-bin/tags/get"}},
			want:     []wechat.Tag{{ID: 2, Name: "星标组"}, {ID: 134, Name: "广东", Count: 5}},
		},
		{
			name: "updateTag",
			call: func(ctx context.Context, c *wechat.Client) (any, error) {
				return nil, c.RenameTag(ctx, 134, "广东人")
			},
			answers:  []string{sampleOKAnswer},
			requests: []wireRequest{{method: http.MethodPost, path: "/cgi-bin/tags/update", body: `{"tag":{"id":134,"name":"广东人"}}`}},
		},
		{
			name:     "deleteTag",
			call:     func(ctx context.Context, c *wechat.Client) (any, error) { return nil, c.DeleteTag(ctx, 134) },
			answers:  []string{sampleOKAnswer},
			requests: []wireRequest{{method: http.MethodPost, path: "/cgi-bin/tags/delete", body: `{"tag":{"id":134}}`}},
		},
		{
			// next_openid names the last openid even on the last page: the listing goes on
			// from it until a page is empty.
			name: "getTagUsers over three pages",
			call: func(ctx context.Context, c *wechat.Client) (any, error) { return c.TagMembers(ctx, 134) },
			answers: []string{
				sampleFansAnswer,
				`{"count":1,"data":{"openid":["` + sampleOpenID3 + `"]},"next_openid":"` + sampleOpenID3 + `"}`,
				`{"count":0}`,
			},
			requests: []wireRequest{
				{method: http.MethodPost, path: "/cgi-bin/user/tag/get", body: `{"tagid":134,"next_openid":""}`},
				{method: http.MethodPost, path: "/cgi-bin/user/tag/get", body: `{"tagid":134,"next_openid":"` + sampleOpenID2 + `"}`},
				{method: http.MethodPost, path: "/cgi-bin/user/tag/get", body: `{"tagid":134,"next_openid":"` + sampleOpenID3 + `"}`},
			},
			want: []string{sampleOpenID1, sampleOpenID2, sampleOpenID3},
		},
		{
			name: "batchTagging",
			call: func(ctx context.Context, c *wechat.Client) (any, error) {
				return nil, c.TagFollowers(ctx, 134, openids)
			},
			answers:  []string{sampleOKAnswer},
			requests: []wireRequest{{method: http.MethodPost, path: "/cgi-bin/tags/members/batchtagging", body: `{"openid_list":["` + sampleOpenID1 + `","` + sampleOpenID2 + `"],"tagid":134}`}},
		},
		{
			name: "batchUntagging",
			call: func(ctx context.Context, c *wechat.Client) (any, error) {
				return nil, c.UntagFollowers(ctx, 134, openids)
			},
			answers:  []string{sampleOKAnswer},
			requests: []wireRequest{{method: http.MethodPost, path: "/cgi-bin/tags/members/batchuntagging", body: `{"openid_list":["` + sampleOpenID1 + `","` + sampleOpenID2 + `"],"tagid":134}`}},
		},
		{
			name:     "getTagidList",
			call:     func(ctx context.Context, c *wechat.Client) (any, error) { return c.FollowerTags(ctx, sampleOpenID2) },
			answers:  []string{sampleIDListAnswer},
			requests: []wireRequest{{method: http.MethodPost, path: "/cgi-bin/tags/getidlist", body: `{"openid":"` + sampleOpenID2 + `"}`}},
			want:     []int64{134, 2},
		},
		{
			name: "getApiQuota",
			call: func(ctx context.Context, c *wechat.Client) (any, error) {
				return c.APIQuota(ctx, "/cgi-bin/tags/getidlist")
			},
			answers:  []string{`{"errcode":0,"errmsg":"ok","quota":{"daily_limit":100000,"used":80,"remain":99920},"rate_limit":{"call_count":600,"refresh_second":60}}`},
			requests: []wireRequest{{method: http.MethodPost, path: "/cgi-bin/openapi/quota/get", body: `{"cgi_path":"/cgi-bin/tags/getidlist"}`}},
			want: wechat.APIQuota{
				DailyLimit: 100000, Used: 80, Remain: 99920,
				RateLimit: &wechat.RateLimit{CallCount: 600, RefreshSeconds: 60},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newWireServer(t, tc.answers...)
			got, err := tc.call(t.Context(), wireClient(t, srv))
			must(t, err)
			requireRequests(t, srv, tc.requests...)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("the call returned %#v, want %#v", got, tc.want)
			}
		})
	}
}

// stable_token takes the credentials in its body: the secret never enters a URL, where
// proxies and SDK error messages would print it. force_refresh is sent, and false.
func TestWire_stableTokenSendsTheSecretInTheBodyOnly(t *testing.T) {
	srv := newWireServer(t, sampleTokenAnswer, sampleTagsAnswer)
	cfg := wechat.Config{BaseURL: srv.url}
	tokens, err := wechat.NewTokenSource(cfg, wechat.StableTokenEndpoint, testAppID, testSecret)
	must(t, err)
	_, err = newClient(t, cfg, tokens).ListTags(t.Context())
	must(t, err)

	requireRequests(t, srv,
		wireRequest{
			method: http.MethodPost, path: "/cgi-bin/stable_token", query: url.Values{},
			body: `{"grant_type":"client_credential","appid":"` + testAppID + `","secret":"` + testSecret + `","force_refresh":false}`,
		},
		wireRequest{method: http.MethodGet, path: "/cgi-bin/tags/get", query: url.Values{"access_token": {sampleToken}}},
	)
	requireSecretInNoURL(t, srv)
}

// /cgi-bin/token takes the secret in its query, as WeChat requires; the tag calls after it
// carry the token alone.
func TestWire_legacyTokenSendsTheSecretInItsQueryAndNowhereElse(t *testing.T) {
	srv := newWireServer(t, sampleTokenAnswer, sampleTagsAnswer)
	cfg := wechat.Config{BaseURL: srv.url}
	tokens, err := wechat.NewTokenSource(cfg, wechat.LegacyTokenEndpoint, testAppID, testSecret)
	must(t, err)
	_, err = newClient(t, cfg, tokens).ListTags(t.Context())
	must(t, err)

	requireRequests(t, srv,
		wireRequest{
			method: http.MethodGet, path: "/cgi-bin/token",
			query: url.Values{"grant_type": {"client_credential"}, "appid": {testAppID}, "secret": {testSecret}},
		},
		wireRequest{method: http.MethodGet, path: "/cgi-bin/tags/get", query: url.Values{"access_token": {sampleToken}}},
	)
	if calls := srv.recorded(); len(calls) == 2 && strings.Contains(calls[1].rawQuery+string(calls[1].body), testSecret) {
		t.Errorf("the tag call after /cgi-bin/token carries the secret: %s %s", calls[1].rawQuery, calls[1].body)
	}
}

func requireSecretInNoURL(t *testing.T, srv *wireServer) {
	t.Helper()
	for _, call := range srv.recorded() {
		if strings.Contains(call.path+"?"+call.rawQuery, testSecret) || strings.Contains(call.path+"?"+call.rawQuery, url.QueryEscape(testSecret)) {
			t.Errorf("the URL of %s %s carries the app secret", call.method, call.path)
		}
	}
}

// Tag names are sent as written: WeChat stores "\u003c" literally.
func TestWire_tagNamesAreNotHTMLEscaped(t *testing.T) {
	srv := newWireServer(t, `{"tag":{"id":134,"name":"<VIP> & co"}}`, sampleOKAnswer)
	client := wireClient(t, srv)
	_, err := client.CreateTag(t.Context(), "<VIP> & co")
	must(t, err)
	must(t, client.RenameTag(t.Context(), 134, "<VIP> & co"))
	for _, call := range srv.recorded() {
		if !bytes.Contains(call.body, []byte(`"<VIP> & co"`)) {
			t.Errorf("%s sent %s, want the name as written", call.path, call.body)
		}
	}
}

// How the answers the documentation shows, and the ones it implies, are read.
func TestWire_documentedAnswersAreReadAsTheyMean(t *testing.T) {
	t.Run("an errcode with a rid is the service's refusal", func(t *testing.T) {
		srv := newWireServer(t, `{"errcode":45157,"errmsg":"invalid tag name rid: 6583a2b1-1c0b0b21-4f3c3d4e"}`)
		_, err := wireClient(t, srv).CreateTag(t.Context(), "广东")
		apiErr := requireAPIError(t, err, "tags/create", wechat.CodeIllegalTagName)
		if apiErr.ErrMsg != "invalid tag name" || apiErr.RequestID != "6583a2b1-1c0b0b21-4f3c3d4e" {
			t.Errorf("ErrMsg %q and RequestID %q, want the message and its rid apart", apiErr.ErrMsg, apiErr.RequestID)
		}
	})
	t.Run("an errcode on getidlist is no empty tag list", func(t *testing.T) {
		srv := newWireServer(t, `{"errcode":40003,"errmsg":"invalid openid rid: 6583a2b1-1c0b0b21-4f3c3d4e"}`)
		ids, err := wireClient(t, srv).FollowerTags(t.Context(), sampleOpenID1)
		requireAPIError(t, err, "tags/getidlist", wechat.CodeInvalidOpenID)
		if ids != nil {
			t.Errorf("FollowerTags returned %v with the error", ids)
		}
	})
	t.Run("an errcode on user/tag/get is no empty tag", func(t *testing.T) {
		// 45011 is transient: the client would retry it, but this client has no retries.
		srv := newWireServer(t, `{"errcode":45011,"errmsg":"api minute-quota reach limit  mustslower  retry next minute rid: 6583a2b1-1c0b0b21-4f3c3d4e"}`)
		members, err := wireClient(t, srv).TagMembers(t.Context(), 134)
		requireAPIError(t, err, "user/tag/get", wechat.CodeFrequencyLimit)
		if members != nil {
			t.Errorf("TagMembers returned %v with the error", members)
		}
	})
	t.Run("user/tag/get of a tag without followers answers just count 0", func(t *testing.T) {
		srv := newWireServer(t, `{"count":0}`)
		members, err := wireClient(t, srv).TagMembers(t.Context(), 134)
		must(t, err)
		if len(members) != 0 {
			t.Errorf("TagMembers = %v, want none", members)
		}
		requireRequests(t, srv, wireRequest{method: http.MethodPost, path: "/cgi-bin/user/tag/get", body: `{"tagid":134,"next_openid":""}`})
	})
	// Documented is {"count":0} for a tag without followers; a body without count says
	// nothing of the tag, and read as its end it would drop the followers of the pages
	// not read yet.
	for _, body := range []string{`{}`, `{"errcode":0,"errmsg":"ok"}`} {
		t.Run("user/tag/get answering "+body+" is an error", func(t *testing.T) {
			srv := newWireServer(t, sampleFansAnswer, body)
			if members, err := wireClient(t, srv).TagMembers(t.Context(), 134); err == nil {
				t.Errorf("TagMembers = %v, nil; want an error", members)
			}
		})
	}
	t.Run("getidlist of a follower without tags answers an empty list", func(t *testing.T) {
		srv := newWireServer(t, `{"tagid_list":[]}`)
		ids, err := wireClient(t, srv).FollowerTags(t.Context(), sampleOpenID1)
		if err != nil || ids == nil || len(ids) != 0 {
			t.Errorf("FollowerTags = %#v, %v; want an empty list", ids, err)
		}
	})
	// The page documents tagid_list and nothing else: an answer without it is not a
	// follower without tags, and reading it so would let an exclusive wechat_user_tags
	// plan on a follower it never saw.
	for _, body := range []string{`{}`, `{"errcode":0,"errmsg":"ok"}`, `{"tagid_list":null}`} {
		t.Run("getidlist answering "+body+" is an error", func(t *testing.T) {
			srv := newWireServer(t, body)
			if ids, err := wireClient(t, srv).FollowerTags(t.Context(), sampleOpenID1); err == nil {
				t.Errorf("FollowerTags = %v, nil; want an error", ids)
			}
		})
	}
	t.Run("a token answer is read without errcode", func(t *testing.T) {
		srv := newWireServer(t, sampleTokenAnswer)
		tokens, err := wechat.NewTokenSource(wechat.Config{BaseURL: srv.url}, wechat.StableTokenEndpoint, testAppID, testSecret)
		must(t, err)
		token, err := tokens.Token(t.Context())
		if err != nil || token != sampleToken {
			t.Errorf("Token = %q, %v; want %q", token, err, sampleToken)
		}
	})
}
