package mockwechat_test

import (
	"net/http"
	"net/url"
	"regexp"
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
