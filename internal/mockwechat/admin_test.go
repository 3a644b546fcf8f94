package mockwechat_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

// admin calls an admin endpoint and requires the status.
func (f *fixture) admin(method, path string, body any, status int) reply {
	f.t.Helper()
	r := f.do(method, "/_mock/"+path, body)
	if r.status != status {
		f.t.Errorf("%s /_mock/%s: HTTP %d %s, want %d", method, path, r.status, r.raw, status)
	}
	return r
}

func TestAdmin_changesAndInspectsTheAccountWithoutTokenOrCounting(t *testing.T) {
	openid := mockwechat.GenerateOpenIDs(1, 1)[0]
	f := newFixture(t, mockwechat.Config{})
	const ok = `{"ok":true}`

	if r := f.admin("POST", "tags/create", map[string]string{"name": "广东"}, 200); r.raw != `{"id":100,"name":"广东"}` {
		t.Errorf("tags/create: %s", r.raw)
	}
	f.admin("POST", "tags/create", map[string]string{"name": "VIP"}, 200)
	f.admin("POST", "followers", map[string]string{"openid": openid}, 200)
	if r := f.admin("GET", "followers", nil, 200); r.raw != `{"openids":["`+openid+`"]}` {
		t.Errorf("followers: %s", r.raw)
	}
	f.admin("POST", "tags/rename", map[string]any{"id": 100, "name": "广东人"}, 200)
	f.admin("POST", "users/tag", map[string]any{"openid": openid, "tagid": 100}, 200)
	f.admin("POST", "users/tag", map[string]any{"openid": openid, "tagid": 101}, 200)
	f.admin("POST", "users/untag", map[string]any{"openid": openid, "tagid": 101}, 200)
	f.admin("POST", "tags/delete", map[string]any{"id": 101}, 200)
	want := `{"tags":[{"id":2,"name":"星标组","count":0},{"id":100,"name":"广东人","count":1}],` +
		`"followers":[{"openid":"` + openid + `","tagid_list":[100]}]}`
	if r := f.admin("GET", "state", nil, 200); r.raw != want {
		t.Errorf("state:\n got %s\nwant %s", r.raw, want)
	}

	token := f.admin("POST", "tokens/issue", nil, 200).AccessToken
	if code := f.tokenCode(token); code != 0 {
		t.Errorf("token from tokens/issue refused with %d", code)
	}
	if r := f.admin("POST", "tokens/expire", nil, 200); r.raw != ok {
		t.Errorf("tokens/expire: %s", r.raw)
	}
	if code := f.tokenCode(token); code != 42001 {
		t.Errorf("after tokens/expire: errcode %d, want 42001", code)
	}

	var calls map[string]int
	if err := json.Unmarshal([]byte(f.admin("GET", "calls", nil, 200).raw), &calls); err != nil || len(calls) != 1 || calls["/cgi-bin/tags/get"] != 2 {
		t.Errorf("calls: %v %v, want only the two tags/get calls", calls, err)
	}
	f.admin("POST", "calls/reset", nil, 200)
	if r := f.admin("GET", "calls", nil, 200); r.raw != `{}` {
		t.Errorf("calls after reset: %s", r.raw)
	}

	f.admin("POST", "fail", map[string]any{"path": "/cgi-bin/tags/get", "errcode": -1}, 200)
	wantErr(t, f.api("/cgi-bin/tags/get", nil), -1)
}

func TestAdmin_refusals(t *testing.T) {
	f := newFixture(t, mockwechat.Config{Tags: []string{"VIP"}})
	f.admin("GET", "nope", nil, http.StatusNotFound)
	f.admin("GET", "tags/create", nil, http.StatusMethodNotAllowed)
	f.admin("POST", "tags/create", `{"name":`, http.StatusBadRequest)
	f.admin("POST", "followers", `{}`, http.StatusBadRequest)
	f.admin("POST", "fail", map[string]any{"path": "/cgi-bin/nope", "errcode": -1}, http.StatusBadRequest)
	for _, tc := range []struct {
		path string
		body any
		want int
	}{
		{"tags/create", map[string]string{"name": "VIP"}, 45157},
		{"tags/rename", map[string]any{"id": 2, "name": "x"}, 45058},
		{"tags/delete", map[string]any{"id": 999}, 45159},
		{"users/tag", map[string]any{"openid": "ocYxcuNotAFollowerOfThisApp0", "tagid": 100}, 40003},
		{"users/untag", map[string]any{"openid": "ocYxcuNotAFollowerOfThisApp0", "tagid": 100}, 40003},
	} {
		if r := f.admin("POST", tc.path, tc.body, http.StatusUnprocessableEntity); r.ErrCode != tc.want {
			t.Errorf("%s: %s, want errcode %d", tc.path, r.raw, tc.want)
		}
	}
}
