package wechat

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
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

// TokenEndpoint names the endpoint a CachedTokenSource fetches tokens from.
type TokenEndpoint string

const (
	// StableTokenEndpoint is /cgi-bin/stable_token without force_refresh. It returns the
	// token that is already valid instead of replacing it, so the account's own servers,
	// which share the AppID, never see their token invalidated. force_refresh is never
	// sent: it is limited to 20 calls a day and would invalidate the token every other
	// user of stable_token holds.
	StableTokenEndpoint TokenEndpoint = "stable_token"
	// LegacyTokenEndpoint is /cgi-bin/token. Each call issues a new token and invalidates
	// the previous one after about five minutes, breaking every other holder of it, and
	// the account may call it only 2,000 times a day. Use it only where stable_token is
	// not available.
	LegacyTokenEndpoint TokenEndpoint = "token"
)

// CachedTokenSource fetches a token from the service and keeps it until shortly before
// it expires, or until the service rejects it.
type CachedTokenSource struct {
	client   *rawClient
	endpoint TokenEndpoint
	appID    string
	secret   string
	now      func() time.Time

	// lock is a channel rather than a sync.Mutex so that a caller waiting for another
	// caller's fetch can give up when its context is cancelled.
	lock    chan struct{}
	token   string
	renewAt time.Time
}

var (
	sharedTokenSourcesMu sync.Mutex
	sharedTokenSources   = map[string]*CachedTokenSource{}
)

// SharedTokenSource returns the process-wide token source for these credentials, so that
// every provider configuration, resource and data source of a Terraform run shares a
// single token and fetches it at most once while it is valid.
//
// Sources are told apart by everything that changes how they fetch: the base URL, the
// endpoint, the credentials, the HTTP client's Timeout and the retry policy, so that
// provider configurations that differ in one of these each get a source that honours
// it. The rest of the HTTP client and the Observer cannot be compared: the first
// caller's serve every later caller of the same source.
func SharedTokenSource(cfg Config, endpoint TokenEndpoint, appID, secret string) (*CachedTokenSource, error) {
	raw, err := newRawClient(cfg)
	if err != nil {
		return nil, err
	}
	// Hashed, so that the secret is not kept in the clear in the registry's keys.
	sum := sha256.Sum256([]byte(strings.Join([]string{
		raw.baseURL.String(), string(endpoint), appID, secret,
		raw.http.Timeout.String(),
		fmt.Sprint(raw.retry.MaxRetries), raw.retry.MinBackoff.String(), raw.retry.MaxBackoff.String(),
	}, "\x00")))
	key := hex.EncodeToString(sum[:])

	sharedTokenSourcesMu.Lock()
	defer sharedTokenSourcesMu.Unlock()
	if src, ok := sharedTokenSources[key]; ok {
		return src, nil
	}
	src, err := newCachedTokenSource(raw, endpoint, appID, secret)
	if err != nil {
		return nil, err
	}
	sharedTokenSources[key] = src
	return src, nil
}

// NewStableTokenSource returns a stable_token source of its own, not shared with other
// callers.
func NewStableTokenSource(cfg Config, appID, secret string) (*CachedTokenSource, error) {
	return newTokenSource(cfg, StableTokenEndpoint, appID, secret)
}

// NewLegacyTokenSource returns a /cgi-bin/token source of its own; see
// LegacyTokenEndpoint for why it is a last resort.
func NewLegacyTokenSource(cfg Config, appID, secret string) (*CachedTokenSource, error) {
	return newTokenSource(cfg, LegacyTokenEndpoint, appID, secret)
}

func newTokenSource(cfg Config, endpoint TokenEndpoint, appID, secret string) (*CachedTokenSource, error) {
	raw, err := newRawClient(cfg)
	if err != nil {
		return nil, err
	}
	return newCachedTokenSource(raw, endpoint, appID, secret)
}

func newCachedTokenSource(raw *rawClient, endpoint TokenEndpoint, appID, secret string) (*CachedTokenSource, error) {
	if endpoint != StableTokenEndpoint && endpoint != LegacyTokenEndpoint {
		return nil, fmt.Errorf("wechat: unknown token endpoint %q", endpoint)
	}
	return &CachedTokenSource{
		client:   raw,
		endpoint: endpoint,
		appID:    appID,
		secret:   secret,
		now:      time.Now,
		lock:     make(chan struct{}, 1),
	}, nil
}

func (s *CachedTokenSource) Token(ctx context.Context) (string, error) {
	return s.tokenUnless(ctx, "")
}

func (s *CachedTokenSource) Refresh(ctx context.Context, stale string) (string, error) {
	return s.tokenUnless(ctx, stale)
}

// tokenUnless returns the cached token when it is fresh and is not the rejected one;
// otherwise it fetches a new one. Concurrent callers wait for a single fetch.
func (s *CachedTokenSource) tokenUnless(ctx context.Context, rejected string) (string, error) {
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

func (s *CachedTokenSource) fetch(ctx context.Context) (string, int, error) {
	var response struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	req := apiRequest{endpoint: string(s.endpoint), response: &response, resendable: true, secrets: []string{s.secret}}
	switch s.endpoint {
	case StableTokenEndpoint:
		req.method = http.MethodPost
		req.body = struct {
			GrantType    string `json:"grant_type"`
			AppID        string `json:"appid"`
			Secret       string `json:"secret"`
			ForceRefresh bool   `json:"force_refresh"`
		}{GrantType: "client_credential", AppID: s.appID, Secret: s.secret}
	case LegacyTokenEndpoint:
		// This endpoint takes the secret in the query; the redaction of secrets covers
		// its escaped form there.
		req.method = http.MethodGet
		req.query = url.Values{"grant_type": {"client_credential"}, "appid": {s.appID}, "secret": {s.secret}}
	}
	if err := s.client.do(ctx, req, nil, nil); err != nil {
		return "", 0, err
	}
	if response.AccessToken == "" || response.ExpiresIn <= 0 {
		return "", 0, fmt.Errorf("WeChat %s: the response carries no access_token or expires_in", s.endpoint)
	}
	return response.AccessToken, response.ExpiresIn, nil
}
