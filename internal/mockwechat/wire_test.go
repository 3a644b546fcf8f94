package mockwechat_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

// rid is the request id's pattern inside a pinned body.
const rid = `[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}`

// The answers' bytes as WeChat writes them: compact, names unescaped, and nothing after
// the closing brace (co-wechat-api fails on a trailing newline). Tokens and request ids
// are random, so they are pinned by their alphabet and length; everything else is exact.
func TestAnswers_areCompactJSONWithNothingAfterIt(t *testing.T) {
	openids := mockwechat.GenerateOpenIDs(1, 1)
	f := newFixture(t, mockwechat.Config{Followers: openids})
	f.serve() // through net/http, so the Content-Length is the server's
	q := url.Values{"grant_type": {"client_credential"}, "appid": {appID}, "secret": {appSecret}}
	stable := map[string]any{"grant_type": "client_credential", "appid": appID, "secret": appSecret}
	api := func(path string) string { return path + "?access_token=" + url.QueryEscape(f.token) }
	for _, tc := range []struct {
		method, target string
		body           any
		want           string // a regular expression; only tokens and rids are not literal
	}{
		{http.MethodGet, tokenPath + "?" + q.Encode(), nil, `\{"access_token":"86_[A-Za-z0-9_-]{154}","expires_in":7200\}`},
		{http.MethodPost, stablePath, stable, `\{"access_token":"86_[A-Za-z0-9_-]{154}","expires_in":7200\}`},
		{http.MethodPost, api("/cgi-bin/tags/create"), tagBody(0, "<广东&深圳>"), `\{"tag":\{"id":100,"name":"<广东&深圳>"\}\}`},
		{http.MethodGet, api("/cgi-bin/tags/get"), nil, `\{"tags":\[\{"id":2,"name":"星标组","count":0\},\{"id":100,"name":"<广东&深圳>","count":0\}\]\}`},
		{http.MethodPost, api("/cgi-bin/tags/members/batchtagging"), batchBody(100, openids[0]), `\{"errcode":0,"errmsg":"ok"\}`},
		{http.MethodPost, api("/cgi-bin/tags/getidlist"), map[string]string{"openid": openids[0]}, `\{"tagid_list":\[100\]\}`},
		{http.MethodPost, api("/cgi-bin/user/tag/get"), map[string]any{"tagid": 2}, `\{"count":0\}`},
		{http.MethodGet, "/cgi-bin/tags/get", nil, `\{"errcode":41001,"errmsg":"access_token missing rid: ` + rid + `"\}`},
		{http.MethodPost, api("/cgi-bin/user/info"), "{}", `\{"errcode":40066,"errmsg":"invalid url hint: \[the mock does not serve /cgi-bin/user/info\] rid: ` + rid + `"\}`},
	} {
		a, err := f.send(tc.method, tc.target, tc.body)
		if err != nil {
			t.Fatal(err)
		}
		// RE2's $ is the end of the text, never before a final newline.
		if !regexp.MustCompile(`^` + tc.want + `$`).Match(a.body) {
			t.Errorf("%s %s answered %q, want exactly %s", tc.method, tc.target, a.body, tc.want)
		}
		if a.status != http.StatusOK || a.contentType != "application/json; charset=utf-8" || a.contentLength != strconv.Itoa(len(a.body)) {
			t.Errorf("%s %s: HTTP %d, Content-Type %q, Content-Length %q for %d bytes",
				tc.method, tc.target, a.status, a.contentType, a.contentLength, len(a.body))
		}
	}
}

// Keys match exactly, as WeChat matches them: Go's json.Unmarshal would read OpenID_List
// as openid_list and tag the follower. A misspelled member is a missing one, a duplicate
// key or a tag id sent as a string is 47001, and a refused request changes nothing.
func TestRequests_withMisspelledDuplicateOrStringKeysAreRefusedAndChangeNothing(t *testing.T) {
	openids := mockwechat.GenerateOpenIDs(1, 1)
	follower := `"` + openids[0] + `"`
	f := newFixture(t, mockwechat.Config{Followers: openids, Tags: []string{"VIP", "广东"}})
	const (
		batch   = "/cgi-bin/tags/members/batchtagging"
		unbatch = "/cgi-bin/tags/members/batchuntagging"
	)
	if err := f.srv.TagUser(openids[0], 101); err != nil {
		t.Fatal(err)
	}
	tagsBefore, userTagsBefore := f.srv.Tags(), []int64{101}
	issuedBefore := len(f.srv.IssuedTokens())

	for _, tc := range []struct {
		path, body string
		want       int
	}{
		{batch, `{"OpenID_List":[` + follower + `],"TagID":100}`, 40032},
		{batch, `{"openid_list":[` + follower + `],"TagID":100}`, 45159},
		{batch, `{"openid_list":[` + follower + `],"tagid":null}`, 45159},
		{batch, `{"openid_list":[` + follower + `],"tagid":"100"}`, 47001},
		{batch, `{"openid_list":[` + follower + `],"tagid":100,"tagid":101}`, 47001},
		{batch, `{"openid_list":[],"openid_list":[` + follower + `],"tagid":100}`, 47001},
		{batch, `{"openid_list":[` + follower + `],"tagid":100.0}`, 47001},
		{unbatch, `{"OPENID_LIST":[` + follower + `],"tagid":101}`, 40032},
		{unbatch, `{"openid_list":[` + follower + `],"tagId":101}`, 45159},
		{"/cgi-bin/tags/create", `{"Tag":{"name":"新"}}`, 45157},
		{"/cgi-bin/tags/create", `{"tag":{"Name":"新"}}`, 45157},
		{"/cgi-bin/tags/create", `{"tag":{"name":"新","name":"新2"}}`, 47001},
		{"/cgi-bin/tags/create", `{"tag":{"name":"新"},"tag":{"name":"新2"}}`, 47001},
		{"/cgi-bin/tags/update", `{"tag":{"ID":100,"name":"新"}}`, 45159},
		{"/cgi-bin/tags/update", `{"tag":{"id":"100","name":"新"}}`, 47001},
		{"/cgi-bin/tags/delete", `{"tag":{"Id":100}}`, 45159},
		{"/cgi-bin/tags/delete", `{"TAG":{"id":100}}`, 45159},
		{"/cgi-bin/tags/getidlist", `{"OpenID":` + follower + `}`, 40003},
		{"/cgi-bin/user/tag/get", `{"TagID":101}`, 45159},
		{"/cgi-bin/user/tag/get", `{"tagid":"101"}`, 47001},
		{"/cgi-bin/tags/create", `["tag"]`, 47001},
	} {
		if r := f.api(tc.path, tc.body); r.ErrCode != tc.want {
			t.Errorf("%s %s: got %s, want errcode %d", tc.path, tc.body, r.raw, tc.want)
		} else {
			wantErr(t, r, tc.want)
		}
	}
	wantErr(t, f.do(http.MethodPost, stablePath, `{"grant_type":"client_credential","AppID":"`+appID+`","secret":"`+appSecret+`"}`), 41002)
	wantErr(t, f.do(http.MethodPost, stablePath, `{"grant_type":"client_credential","appid":"`+appID+`","Secret":"`+appSecret+`"}`), 41004)

	if got := f.srv.Tags(); !slices.Equal(got, tagsBefore) {
		t.Errorf("tags changed: %v, want %v", got, tagsBefore)
	}
	if got, _ := f.srv.UserTags(openids[0]); !slices.Equal(got, userTagsBefore) {
		t.Errorf("the follower's tags changed: %v, want %v", got, userTagsBefore)
	}
	if n := len(f.srv.IssuedTokens()); n != issuedBefore {
		t.Errorf("%d tokens issued, want none", n-issuedBefore)
	}

	// The same requests spelled right are served: the refusals above were for the keys.
	f.ok(batch, `{"openid_list":[`+follower+`],"tagid":100}`)
	f.ok(unbatch, `{"openid_list":[`+follower+`],"tagid":101}`)
	if got, _ := f.srv.UserTags(openids[0]); !slices.Equal(got, []int64{100}) {
		t.Errorf("the follower's tags are %v, want [100]", got)
	}
}

// An SDK that serialises an unset optional member as null is served as if it had left
// the member out.
func TestRequests_nullReadsAsAbsent(t *testing.T) {
	openids := mockwechat.GenerateOpenIDs(1, 1)
	f := newFixture(t, mockwechat.Config{Followers: openids, Tags: []string{"VIP"}})
	if err := f.srv.TagUser(openids[0], 100); err != nil {
		t.Fatal(err)
	}
	r := f.ok("/cgi-bin/user/tag/get", `{"tagid":100,"next_openid":null}`)
	if r.Count != 1 || !slices.Equal(r.Data.OpenID, openids) {
		t.Errorf("user/tag/get with next_openid null: %s, want the first page", r.raw)
	}
	current := f.newToken(stablePath, false).AccessToken
	r = f.do(http.MethodPost, stablePath, `{"grant_type":"client_credential","appid":"`+appID+`","secret":"`+appSecret+`","force_refresh":null}`)
	if r.ErrCode != 0 || r.AccessToken != current {
		t.Errorf("stable_token with force_refresh null: %s, want the current token", r.raw)
	}
}
