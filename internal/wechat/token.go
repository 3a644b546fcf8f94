package wechat

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"sync"
	"time"
)

// TokenSource supplies the access token that every tag call carries.
type TokenSource interface {
	// Token returns the current access token, fetching one if there is none yet.
	Token(ctx context.Context) (string, error)
	// Refresh is called after the service rejected the token stale. It returns a token
	// different from stale, or ErrTokenNotRefreshable.
	Refresh(ctx context.Context, stale string) (string, error)
}

// ErrTokenNotRefreshable is returned by a token source that cannot obtain a new token,
// such as a static token given by the user.
var ErrTokenNotRefreshable = errors.New("the access token cannot be refreshed by the provider")

// StaticToken is an access token obtained elsewhere, such as a third-party platform's
// authorizer_access_token. It is used as it is and never refreshed.
type StaticToken string

func (t StaticToken) Token(context.Context) (string, error) { return string(t), nil }

func (t StaticToken) Refresh(context.Context, string) (string, error) {
	return "", ErrTokenNotRefreshable
}

// tokenRenewMargin is how long before its announced expiry a cached token is replaced, so
// that a call started just before expiry does not carry a token that dies in flight.
const tokenRenewMargin = time.Minute

// StableTokenSource fetches tokens from /cgi-bin/stable_token without force_refresh.
//
// Unlike /cgi-bin/token, stable_token returns the token that is already valid instead of
// replacing it, so the account's own servers, which share the AppID, never see their token
// invalidated by Terraform. force_refresh is never sent: it is limited to 20 calls a day
// and would invalidate the token every other user of stable_token holds.
type StableTokenSource struct {
	client *rawClient
	appID  string
	secret string
	now    func() time.Time

	// lock is a channel rather than a sync.Mutex so that a caller waiting for another
	// caller's fetch can give up when its context is cancelled.
	lock    chan struct{}
	token   string
	renewAt time.Time
}

var (
	sharedTokenSourcesMu sync.Mutex
	sharedTokenSources   = map[string]*StableTokenSource{}
)

// SharedStableTokenSource returns the process-wide token source for these credentials, so
// that every provider configuration, resource and data source of a Terraform run shares a
// single token and fetches it at most once while it is valid.
func SharedStableTokenSource(cfg Config, appID, secret string) (*StableTokenSource, error) {
	raw, err := newRawClient(cfg)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(raw.baseURL.String() + "\x00" + appID + "\x00" + secret))
	key := hex.EncodeToString(sum[:])

	sharedTokenSourcesMu.Lock()
	defer sharedTokenSourcesMu.Unlock()
	if src, ok := sharedTokenSources[key]; ok {
		return src, nil
	}
	src := newStableTokenSource(raw, appID, secret)
	sharedTokenSources[key] = src
	return src, nil
}

// NewStableTokenSource returns a token source of its own, not shared with other callers.
func NewStableTokenSource(cfg Config, appID, secret string) (*StableTokenSource, error) {
	raw, err := newRawClient(cfg)
	if err != nil {
		return nil, err
	}
	return newStableTokenSource(raw, appID, secret), nil
}

func newStableTokenSource(raw *rawClient, appID, secret string) *StableTokenSource {
	return &StableTokenSource{
		client: raw,
		appID:  appID,
		secret: secret,
		now:    time.Now,
		lock:   make(chan struct{}, 1),
	}
}

func (s *StableTokenSource) Token(ctx context.Context) (string, error) {
	return s.tokenUnless(ctx, "")
}

func (s *StableTokenSource) Refresh(ctx context.Context, stale string) (string, error) {
	return s.tokenUnless(ctx, stale)
}

// tokenUnless returns the cached token when it is fresh and is not the rejected one;
// otherwise it fetches a new one. Concurrent callers wait for a single fetch.
func (s *StableTokenSource) tokenUnless(ctx context.Context, rejected string) (string, error) {
	select {
	case s.lock <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-s.lock }()

	if s.token != "" && s.token != rejected && s.now().Before(s.renewAt) {
		return s.token, nil
	}
	token, expiresIn, err := s.fetch(ctx)
	if err != nil {
		return "", err
	}
	s.token = token
	s.renewAt = s.now().Add(time.Duration(expiresIn)*time.Second - tokenRenewMargin)
	return s.token, nil
}

func (s *StableTokenSource) fetch(ctx context.Context) (string, int, error) {
	request := struct {
		GrantType    string `json:"grant_type"`
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}{GrantType: "client_credential", AppID: s.appID, Secret: s.secret}
	var response struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := s.client.call(ctx, http.MethodPost, "stable_token", "", request, &response, s.secret); err != nil {
		return "", 0, err
	}
	if response.AccessToken == "" || response.ExpiresIn <= 0 {
		return "", 0, errors.New("WeChat stable_token: the response carries no access_token or expires_in")
	}
	return response.AccessToken, response.ExpiresIn, nil
}
