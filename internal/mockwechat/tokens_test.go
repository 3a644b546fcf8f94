package mockwechat_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

const tokenPath, stablePath = "/cgi-bin/token", "/cgi-bin/stable_token"

func TestToken_issuesRealisticTokenLivingTokenLifetime(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	r := f.newToken(tokenPath, false)
	if r.ExpiresIn != 7200 {
		t.Errorf("expires_in = %d, want 7200", r.ExpiresIn)
	}
	if code := f.tokenCode(r.AccessToken); code != 0 {
		t.Errorf("fresh token refused with %d", code)
	}
	f.clock.Advance(7200*time.Second - time.Second)
	if code := f.tokenCode(r.AccessToken); code != 0 {
		t.Errorf("token refused with %d a second before it expires", code)
	}
	f.clock.Advance(time.Second)
	if code := f.tokenCode(r.AccessToken); code != 42001 {
		t.Errorf("expired token: errcode %d, want 42001", code)
	}
}

func TestToken_eachCallReplacesThePreviousTokenWhichWorksForTheGracePeriod(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	old := f.newToken(tokenPath, false).AccessToken
	newer := f.newToken(tokenPath, false).AccessToken
	if old == newer {
		t.Fatal("second call returned the same token")
	}
	f.clock.Advance(5*time.Minute - time.Second)
	if code := f.tokenCode(old); code != 0 {
		t.Errorf("replaced token refused with %d inside the grace period", code)
	}
	f.clock.Advance(time.Second)
	if code := f.tokenCode(old); code != 40001 {
		t.Errorf("replaced token after the grace period: errcode %d, want 40001", code)
	}
	if code := f.tokenCode(newer); code != 0 {
		t.Errorf("newest token refused with %d", code)
	}
}

func TestToken_gracePeriodFollowsConfig(t *testing.T) {
	for _, tc := range []struct {
		grace time.Duration
		wait  time.Duration
		want  int
	}{
		{time.Minute, 59 * time.Second, 0},
		{time.Minute, time.Minute, 40001},
		{-1, 0, 40001}, // negative: no grace at all
	} {
		f := newFixture(t, mockwechat.Config{TokenGracePeriod: tc.grace})
		old := f.newToken(tokenPath, false).AccessToken
		f.newToken(tokenPath, false)
		f.clock.Advance(tc.wait)
		if code := f.tokenCode(old); code != tc.want {
			t.Errorf("grace %v, after %v: errcode %d, want %d", tc.grace, tc.wait, code, tc.want)
		}
	}
}

func TestTokenEndpoints_refuseBadCredentials(t *testing.T) {
	for _, path := range []string{tokenPath, stablePath} {
		for _, tc := range []struct {
			grantType, appid, secret string
			want                     int
		}{
			{"", appID, appSecret, 40002},
			{"authorization_code", appID, appSecret, 40002},
			{"client_credential", "", appSecret, 41002},
			{"client_credential", appID, "", 41004},
			{"client_credential", "wx0000000000000000", appSecret, 40013},
			{"client_credential", appID, strings.Repeat("0", 32), 40125},
		} {
			f := newFixture(t, mockwechat.Config{})
			r := f.tokenFrom(path, tc.grantType, tc.appid, tc.secret, false)
			t.Run(path, func(t *testing.T) { wantErr(t, r, tc.want) })
		}
	}
}

func TestTokenEndpoints_requireTheirMethod(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	wantErr(t, f.do(http.MethodPost, tokenPath+"?grant_type=client_credential&appid="+appID+"&secret="+appSecret, nil), 43001)
	wantErr(t, f.do(http.MethodGet, stablePath, nil), 43002)
}

func TestToken_dailyQuotaOf2000EndsAtMidnightChinaTime(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	for range 2000 {
		f.newToken(tokenPath, false)
	}
	wantErr(t, f.tokenFrom(tokenPath, "client_credential", appID, appSecret, false), 45009)

	f.clock.Advance(6*time.Hour - time.Second) // 23:59:59 in China
	wantErr(t, f.tokenFrom(tokenPath, "client_credential", appID, appSecret, false), 45009)
	f.clock.Advance(time.Second)
	f.newToken(tokenPath, false)
}

func TestToken_refusedCallsDoNotUseQuota(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	for range 2000 {
		f.tokenFrom(tokenPath, "client_credential", appID, "wrong", false)
	}
	f.newToken(tokenPath, false)
}

func TestExpireTokens_makesEveryIssuedTokenFailWith42001(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	plain := f.newToken(tokenPath, false).AccessToken
	stable := f.newToken(stablePath, false).AccessToken
	f.srv.ExpireTokens()
	for _, token := range []string{plain, stable, f.token} {
		if code := f.tokenCode(token); code != 42001 {
			t.Errorf("after ExpireTokens: errcode %d, want 42001", code)
		}
	}
	if code := f.tokenCode(f.newToken(tokenPath, false).AccessToken); code != 0 {
		t.Errorf("token issued after ExpireTokens refused with %d", code)
	}
	if renewed := f.newToken(stablePath, false).AccessToken; renewed == stable {
		t.Error("stable_token returned its expired token")
	}
}

func TestTagEndpoints_checkTheAccessToken(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	neverIssued := "86_" + strings.Repeat("A", 154)
	for _, path := range tagPaths {
		for _, tc := range []struct {
			token string
			want  int
		}{
			{"", 41001},
			{neverIssued, 40001},
			{strings.Repeat("A", 513), 40014},
			{"not a token!", 40014},
		} {
			t.Run(path, func(t *testing.T) { wantErr(t, f.call(path, tc.token, "{}"), tc.want) })
		}
	}
}

func TestIssueAccessToken_neitherReplacesNorIsReplaced(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	plain := f.newToken(tokenPath, false).AccessToken
	issued := f.srv.IssueAccessToken()
	f.newToken(tokenPath, false)
	f.clock.Advance(time.Hour)
	if code := f.tokenCode(issued); code != 0 {
		t.Errorf("issued token refused with %d after /cgi-bin/token calls", code)
	}
	if code := f.tokenCode(plain); code != 40001 {
		t.Errorf("replaced /cgi-bin/token token: errcode %d, want 40001", code)
	}
	if code := f.tokenCode(f.token); code != 0 {
		t.Errorf("first issued token refused with %d after a second was issued", code)
	}
}

func TestStableToken_returnsTheSameTokenWhileValidWithItsRemainingLifetime(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	first := f.newToken(stablePath, false)
	f.clock.Advance(100 * time.Second)
	again := f.newToken(stablePath, false)
	if again.AccessToken != first.AccessToken || first.ExpiresIn != 7200 || again.ExpiresIn != 7100 {
		t.Errorf("got %s then %s, want the same token with expires_in 7200 then 7100", first.raw, again.raw)
	}
}

func TestStableToken_renewsWhenLessThan300SecondsRemain(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	first := f.newToken(stablePath, false).AccessToken
	f.clock.Advance(7200*time.Second - 300*time.Second)
	if r := f.newToken(stablePath, false); r.AccessToken != first || r.ExpiresIn != 300 {
		t.Errorf("with 300 s left got %s, want the same token with expires_in 300", r.raw)
	}
	f.clock.Advance(time.Second)
	renewed := f.newToken(stablePath, false)
	if renewed.AccessToken == first || renewed.ExpiresIn != 7200 {
		t.Errorf("with 299 s left got %s, want a new token with expires_in 7200", renewed.raw)
	}
	if code := f.tokenCode(first); code != 0 {
		t.Errorf("renewal cut the old token's life short: errcode %d", code)
	}
}

func TestStableToken_isIsolatedFromTokenEndpoint(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	plain := f.newToken(tokenPath, false).AccessToken
	stable := f.newToken(stablePath, true).AccessToken // even a force refresh
	f.newToken(tokenPath, false)
	f.clock.Advance(time.Hour)
	if code := f.tokenCode(plain); code != 40001 {
		t.Errorf("/cgi-bin/token token replaced by another: errcode %d, want 40001", code)
	}
	if code := f.tokenCode(stable); code != 0 {
		t.Errorf("stable token refused with %d after /cgi-bin/token calls", code)
	}
	if r := f.newToken(stablePath, false); r.AccessToken != stable {
		t.Error("stable_token changed its token because of /cgi-bin/token calls")
	}
}

func TestStableToken_forceRefreshRevokesTheCurrentToken(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	old := f.newToken(stablePath, false).AccessToken
	forced := f.newToken(stablePath, true)
	if forced.AccessToken == old || forced.ExpiresIn != 7200 {
		t.Errorf("force refresh got %s, want a new token living 7200 s", forced.raw)
	}
	if code := f.tokenCode(old); code != 40001 {
		t.Errorf("revoked token: errcode %d, want 40001", code)
	}
	if r := f.newToken(stablePath, false); r.AccessToken != forced.AccessToken {
		t.Error("stable_token did not return the force-refreshed token")
	}
}

func TestStableToken_forceRefreshAllowedOncePer30Seconds(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	current := f.newToken(stablePath, true).AccessToken
	f.clock.Advance(29 * time.Second)
	wantErr(t, f.tokenFrom(stablePath, "client_credential", appID, appSecret, true), 45011)
	if code := f.tokenCode(current); code != 0 {
		t.Errorf("refused force refresh revoked the token: errcode %d", code)
	}
	f.clock.Advance(time.Second)
	f.newToken(stablePath, true)
}

func TestStableToken_forceRefreshAllowed20TimesADay(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	for range 20 {
		f.newToken(stablePath, true)
		f.clock.Advance(30 * time.Second)
	}
	wantErr(t, f.tokenFrom(stablePath, "client_credential", appID, appSecret, true), 45009)
	f.newToken(stablePath, false)
}

func TestStableToken_allows10000CallsAMinute(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	for range 10000 {
		f.newToken(stablePath, false)
	}
	wantErr(t, f.tokenFrom(stablePath, "client_credential", appID, appSecret, false), 45011)
	f.clock.Advance(time.Minute)
	f.newToken(stablePath, false)
}

func TestStableToken_refusesEmptyAndMalformedBodies(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	wantErr(t, f.do(http.MethodPost, stablePath, ""), 44002)
	wantErr(t, f.do(http.MethodPost, stablePath, `{"grant_type":`), 47001)
	wantErr(t, f.do(http.MethodPost, stablePath, `{"force_refresh":"yes"}`), 47001)
}
