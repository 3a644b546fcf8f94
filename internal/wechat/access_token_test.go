package wechat_test

import (
	"errors"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

func TestAccessToken_handsOutTheStableTokenTheCallsCarry(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	_, err := f.client.CachedTags(t.Context())
	must(t, err)
	token, until, err := f.client.AccessToken(t.Context())
	must(t, err)
	if issued := f.mock.IssuedTokens(); !slices.Equal(issued, []string{token}) {
		t.Errorf("AccessToken = %.10s…, the mock issued %d tokens: want the one the calls carried, and no other fetch", token, len(issued))
	}
	if left := time.Until(until); left < time.Hour || left > 2*time.Hour {
		t.Errorf("the token is used until %s, %s from now; want about two hours less a minute", until, left)
	}
	requireCallCount(t, f.mock, pathStableToken, 1)
}

func TestAccessToken_refusesTheLegacyEndpointsToken(t *testing.T) {
	mock := mockwechat.New(mockwechat.Config{AppID: testAppID, AppSecret: testSecret})
	srv := httptest.NewServer(mock)
	t.Cleanup(srv.Close)
	cfg := wechat.Config{BaseURL: srv.URL}
	tokens, err := wechat.NewTokenSource(cfg, wechat.LegacyTokenEndpoint, testAppID, testSecret)
	must(t, err)
	if _, _, err := newClient(t, cfg, tokens).AccessToken(t.Context()); !errors.Is(err, wechat.ErrLegacyTokenNotShared) {
		t.Errorf("AccessToken with /cgi-bin/token: %v, want ErrLegacyTokenNotShared", err)
	}
	requireCallCount(t, mock, "/cgi-bin/token", 0)
}

func TestAccessToken_aStaticTokenHasNoKnownExpiry(t *testing.T) {
	client := newClient(t, wechat.Config{BaseURL: "http://127.0.0.1:1"}, wechat.StaticToken(stubToken))
	token, until, err := client.AccessToken(t.Context())
	if err != nil || token != stubToken || !until.IsZero() {
		t.Errorf("AccessToken = %q, %s, %v; want the static token with no expiry", token, until, err)
	}
}
