package mockwechat_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

const quotaPath = "/cgi-bin/openapi/quota/get"

// quotaReply is getApiQuota's answer.
type quotaReply struct {
	ErrCode   int              `json:"errcode"`
	Quota     mockwechat.Quota `json:"quota"`
	RateLimit *struct {
		CallCount     int `json:"call_count"`
		RefreshSecond int `json:"refresh_second"`
	} `json:"rate_limit"`
}

func (f *fixture) quota(cgiPath string) quotaReply {
	f.t.Helper()
	r := f.api(quotaPath, map[string]string{"cgi_path": cgiPath})
	var q quotaReply
	if err := json.Unmarshal([]byte(r.raw), &q); err != nil {
		f.t.Fatalf("getApiQuota of %s: %v in %s", cgiPath, err, r.raw)
	}
	return q
}

func TestQuota_countsTheCallsServedToday(t *testing.T) {
	f := newFixture(t, mockwechat.Config{
		Followers:   []string{"oK3vT8sQpZ1mYx7RbN2cLd9WfE4a"},
		DailyQuotas: map[string]int{"/cgi-bin/tags/getidlist": 3},
	})
	getidlist := map[string]string{"openid": "oK3vT8sQpZ1mYx7RbN2cLd9WfE4a"}
	f.ok("/cgi-bin/tags/getidlist", getidlist)
	// A refused call uses no quota.
	if r := f.api("/cgi-bin/tags/getidlist", map[string]string{"openid": "oNotAFollowerAAAAAAAAAAAAAAA"}); r.ErrCode != 40003 {
		t.Fatalf("getidlist of a stranger: %s, want 40003", r.raw)
	}
	if q := f.quota("/cgi-bin/tags/getidlist"); q.ErrCode != 0 || q.Quota != (mockwechat.Quota{DailyLimit: 3, Used: 1, Remain: 2}) || q.RateLimit != nil {
		t.Errorf("quota after one call served: %+v, want limit 3, used 1, remain 2, no rate_limit", q)
	}
	f.ok("/cgi-bin/tags/getidlist", getidlist)
	f.ok("/cgi-bin/tags/getidlist", getidlist)
	if r := f.api("/cgi-bin/tags/getidlist", getidlist); r.ErrCode != 45009 {
		t.Errorf("the 4th call of a quota of 3: %s, want 45009", r.raw)
	}
	if q := f.quota("/cgi-bin/tags/getidlist"); q.Quota != (mockwechat.Quota{DailyLimit: 3, Used: 3, Remain: 0}) {
		t.Errorf("quota spent: %+v, want used 3, remain 0", q.Quota)
	}
	// Another path has its own quota, the mock's default.
	if q := f.quota("/cgi-bin/tags/get"); q.Quota.DailyLimit != 1_000_000 || q.Quota.Used != 0 {
		t.Errorf("tags/get quota: %+v, want the default limit, unused", q.Quota)
	}

	// 18:00 in China: the day ends six hours later, and the quota with it.
	f.clock.Advance(6 * time.Hour)
	f.token = f.srv.IssueAccessToken()
	if q := f.quota("/cgi-bin/tags/getidlist"); q.Quota != (mockwechat.Quota{DailyLimit: 3, Used: 0, Remain: 3}) {
		t.Errorf("quota the next day in China: %+v, want it whole again", q.Quota)
	}
	f.ok("/cgi-bin/tags/getidlist", getidlist)
}

func TestQuota_setByTheAdminAPI(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	f.ok("/cgi-bin/tags/get", nil)
	if err := f.srv.SetDailyQuota("/cgi-bin/tags/get", 1); err != nil {
		t.Fatal(err)
	}
	if r := f.api("/cgi-bin/tags/get", nil); r.ErrCode != 45009 {
		t.Errorf("tags/get past a limit lowered to the calls already made: %s, want 45009", r.raw)
	}
	if err := f.srv.SetDailyQuota("/cgi-bin/nothing", 1); err == nil {
		t.Error("SetDailyQuota accepted a path the mock does not serve")
	}
	f.serve()
	if r := f.do("POST", "/_mock/quotas", map[string]any{"path": "/cgi-bin/tags/get", "daily_limit": 5}); r.status != 200 {
		t.Fatalf("POST /_mock/quotas: %s", r.raw)
	}
	if got := f.srv.Quotas()["/cgi-bin/tags/get"]; got != (mockwechat.Quota{DailyLimit: 5, Used: 1, Remain: 4}) {
		t.Errorf("tags/get quota after the admin call: %+v", got)
	}
	if r := f.do("POST", "/_mock/quotas", map[string]any{"path": "/cgi-bin/tags/get"}); r.status == 200 {
		t.Errorf("POST /_mock/quotas without daily_limit succeeded: %s", r.raw)
	}
}

func TestQuota_refusesPathsItCannotReport(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	for path, code := range map[string]int{
		"":                           76003,
		"cgi-bin/tags/get":           76003,
		"/cgi-bin/tags/get?x=1":      76003,
		"/sns/userinfo":              76022,
		"/cgi-bin/message/send":      76021,
		"/cgi-bin/tags/get/extra":    76021,
		"/cgi-bin/tags/getidlist":    0,
		"/cgi-bin/openapi/quota/get": 0,
	} {
		if q := f.quota(path); q.ErrCode != code {
			t.Errorf("getApiQuota of %q: errcode %d, want %d", path, q.ErrCode, code)
		}
	}
	// The token endpoints report their documented quotas; stable_token its rate limit too.
	if q := f.quota("/cgi-bin/token"); q.Quota.DailyLimit != 2000 {
		t.Errorf("/cgi-bin/token quota: %+v, want 2,000 a day", q.Quota)
	}
	if q := f.quota("/cgi-bin/stable_token"); q.Quota.DailyLimit != 500_000 || q.RateLimit == nil || q.RateLimit.CallCount != 10_000 || q.RateLimit.RefreshSecond != 60 {
		t.Errorf("/cgi-bin/stable_token quota: %+v, rate limit %+v", q.Quota, q.RateLimit)
	}
}
