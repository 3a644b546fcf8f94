package wechat_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

func TestAPIQuota_readsTheDailyQuotaOfAPath(t *testing.T) {
	fans := mockwechat.GenerateOpenIDs(1, 1)
	f := newFixture(t, mockwechat.Config{Followers: fans, DailyQuotas: map[string]int{pathIDList: 500}})
	_, err := f.client.FollowerTags(t.Context(), fans[0])
	must(t, err)
	got, err := f.client.APIQuota(t.Context(), pathIDList)
	must(t, err)
	if want := (wechat.APIQuota{DailyLimit: 500, Used: 1, Remain: 499}); got != want {
		t.Errorf("APIQuota(%s) = %+v, want %+v", pathIDList, got, want)
	}
	stable, err := f.client.APIQuota(t.Context(), pathStableToken)
	must(t, err)
	if stable.RateLimit == nil || *stable.RateLimit != (wechat.RateLimit{CallCount: 10_000, RefreshSeconds: 60}) || stable.ComponentRateLimit != nil {
		t.Errorf("APIQuota(%s) = %+v, rate limit %+v: want 10,000 calls per 60 s and no component rate limit", pathStableToken, stable, stable.RateLimit)
	}
}

func TestAPIQuota_unknownPathIsTheServicesError(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	_, err := f.client.APIQuota(t.Context(), "/cgi-bin/no/such/api")
	if !wechat.HasCode(err, wechat.CodeCGIPathNotFound) {
		t.Errorf("APIQuota of an unknown path: %v, want errcode %d", err, wechat.CodeCGIPathNotFound)
	}
}

func TestAPIQuota_refusesWhatIsNoPathBeforeAnyCall(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	for _, path := range []string{"", "cgi-bin/tags/get", "https://api.weixin.qq.com/cgi-bin/tags/get", "/cgi-bin/tags/get?x=1", "/cgi-bin/tags /get"} {
		if _, err := f.client.APIQuota(t.Context(), path); err == nil {
			t.Errorf("APIQuota(%q) succeeded", path)
		}
		if err := wechat.ValidateCGIPath(path); err == nil {
			t.Errorf("ValidateCGIPath(%q) accepted it", path)
		}
	}
	requireCallCount(t, f.mock, "/cgi-bin/openapi/quota/get", 0)
}

// Newer answers carry rate limits, older ones none; a quota missing from a successful
// answer is an error, never a quota of zero.
func TestAPIQuota_decodesTheOptionalRateLimits(t *testing.T) {
	answers := map[string]string{
		"/cgi-bin/tags/get":       `{"errcode":0,"errmsg":"ok","quota":{"daily_limit":1000,"used":10,"remain":990},"rate_limit":{"call_count":100,"refresh_second":60},"component_rate_limit":{"call_count":50,"refresh_second":60}}`,
		"/cgi-bin/tags/getidlist": `{"errcode":0,"errmsg":"ok"}`,
	}
	mock := mockwechat.New(mockwechat.Config{AppID: testAppID, AppSecret: testSecret})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/cgi-bin/openapi/quota/get" {
			mock.ServeHTTP(w, r)
			return
		}
		request, _ := io.ReadAll(r.Body)
		for path, body := range answers {
			if strings.Contains(string(request), `"`+path+`"`) {
				_, _ = w.Write([]byte(body))
			}
		}
	}))
	t.Cleanup(srv.Close)
	cfg := wechat.Config{BaseURL: srv.URL}
	tokens, err := wechat.NewTokenSource(cfg, wechat.StableTokenEndpoint, testAppID, testSecret)
	must(t, err)
	client := newClient(t, cfg, tokens)

	got, err := client.APIQuota(t.Context(), "/cgi-bin/tags/get")
	must(t, err)
	if got.RateLimit == nil || got.ComponentRateLimit == nil || *got.ComponentRateLimit != (wechat.RateLimit{CallCount: 50, RefreshSeconds: 60}) || got.Remain != 990 {
		t.Errorf("APIQuota = %+v (%+v, %+v)", got, got.RateLimit, got.ComponentRateLimit)
	}
	if _, err := client.APIQuota(t.Context(), "/cgi-bin/tags/getidlist"); err == nil || !strings.Contains(err.Error(), "no quota") {
		t.Errorf("APIQuota of an answer without quota: %v, want an error", err)
	}
}
