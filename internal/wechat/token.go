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

// failedFetchReuse is how long the error of a failed token fetch answers every caller
// without a new fetch. The fetch has already spent the retry policy: without this, each of
// the N resources of a Terraform refresh that reach the token one after another would wait
// out a full retry chain of its own against a token endpoint that is down or refusing the
// credentials, and spend N times the token calls.
const failedFetchReuse = 30 * time.Second

// CachedTokenSource fetches a token from the service and keeps it until shortly before
// it expires, or until the service rejects it. Concurrent callers share one fetch, and a
// failed fetch answers the callers of the next failedFetchReuse (30 s) with its error.
type CachedTokenSource struct {
	client   *rawClient
	endpoint TokenEndpoint
	appID    string
	secret   string
	now      func() time.Time

	mu      sync.Mutex
	token   string
	renewAt time.Time
	// tokenFrom is the fetch that gave token, so that a fetch started earlier and ended
	// later does not replace it with an older token.
	tokenFrom uint64
	// failure is the error of the last fetch, until retryAt; nil after a success.
	failure  error
	retryAt  time.Time
	fetches  uint64
	inflight *tokenFetch
}

// tokenFetch is one fetch, and what it gave, shared by every caller waiting for it.
type tokenFetch struct {
	seq  uint64
	done chan struct{}
	// waiters counts the callers still waiting; cancel stops the fetch when the last
	// one gives up, as no one would use its token or its error.
	waiters int
	cancel  context.CancelFunc
	token   string
	err     error
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

// NewTokenSource returns a token source of its own, shared with no other caller, unlike
// SharedTokenSource: for a program that must not meet another's cached token, such as a
// test. LegacyTokenEndpoint says why /cgi-bin/token is a last resort.
func NewTokenSource(cfg Config, endpoint TokenEndpoint, appID, secret string) (*CachedTokenSource, error) {
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
	}, nil
}

func (s *CachedTokenSource) Token(ctx context.Context) (string, error) {
	return s.tokenUnless(ctx, "")
}

func (s *CachedTokenSource) Refresh(ctx context.Context, stale string) (string, error) {
	return s.tokenUnless(ctx, stale)
}

// tokenUnless returns the cached token when it is fresh and is not the rejected one, the
// error of a fetch that failed moments ago, or the outcome of a fetch: the one in flight,
// or a new one.
func (s *CachedTokenSource) tokenUnless(ctx context.Context, rejected string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	s.mu.Lock()
	now := s.now()
	if s.token != "" && s.token == rejected {
		// Known dead: callers arriving while it is replaced wait for the new one instead
		// of spending a call on a token the service will refuse.
		s.token = ""
	}
	switch {
	case s.token != "" && now.Before(s.renewAt):
		token := s.token
		s.mu.Unlock()
		return token, nil
	case s.failure != nil && now.Before(s.retryAt):
		err := s.failure
		s.mu.Unlock()
		return "", err
	}
	fetch := s.inflight
	if fetch == nil {
		fetch = s.startFetch(ctx)
	}
	fetch.waiters++
	s.mu.Unlock()

	select {
	case <-fetch.done:
		return fetch.token, fetch.err
	case <-ctx.Done():
		s.leave(fetch)
		return "", ctx.Err()
	}
}

// startFetch starts a fetch that no single caller's cancellation or deadline ends: a
// caller that gives up must not fail the others waiting for it. The caller holds s.mu.
func (s *CachedTokenSource) startFetch(ctx context.Context) *tokenFetch {
	s.fetches++
	fetchCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	fetch := &tokenFetch{seq: s.fetches, done: make(chan struct{}), cancel: cancel}
	s.inflight = fetch
	go func() {
		defer cancel()
		token, expiresIn, err := s.fetch(fetchCtx)
		s.mu.Lock()
		defer s.mu.Unlock()
		latest := s.inflight == fetch
		if latest {
			s.inflight = nil
		}
		switch {
		case err == nil && fetch.seq > s.tokenFrom:
			s.token, s.tokenFrom, s.failure = token, fetch.seq, nil
			s.renewAt = s.now().Add(time.Duration(expiresIn)*time.Second - tokenRenewMargin)
		case err != nil && latest:
			// A fetch abandoned by all its callers was stopped, which says nothing of the
			// service: only the latest fetch's own failure is remembered.
			s.failure, s.retryAt = err, s.now().Add(failedFetchReuse)
		}
		fetch.token, fetch.err = token, err
		close(fetch.done)
	}()
	return fetch
}

// leave records that a caller stopped waiting for fetch; the last one to leave stops it,
// and the next caller starts a fetch of its own.
func (s *CachedTokenSource) leave(fetch *tokenFetch) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fetch.waiters--
	if fetch.waiters == 0 {
		fetch.cancel()
		if s.inflight == fetch {
			s.inflight = nil
		}
	}
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

// ErrLegacyTokenNotShared refuses to hand out a /cgi-bin/token token: the next fetch,
// by the provider or by the account's own servers, invalidates it within minutes.
var ErrLegacyTokenNotShared = errors.New("a token from /cgi-bin/token is not handed out: every new one invalidates the one before, " +
	"so the program given it would fail minutes later; use the stable_token endpoint (the default) or pass the token as access_token")

// current is the token Token returns, with the time after which this source no longer
// uses it; zero when a concurrent fetch replaced it meanwhile.
func (s *CachedTokenSource) current(ctx context.Context) (string, time.Time, error) {
	token, err := s.Token(ctx)
	if err != nil {
		return "", time.Time{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token != token {
		return token, time.Time{}, nil
	}
	return token, s.renewAt, nil
}

// AccessToken is the token the client's calls carry, for another program of the same run
// to call WeChat with, and the time until which the client itself keeps using it (zero
// when unknown, as for a token given by the user). A stable_token token is the one the
// account's other holders have too, so handing it out invalidates nothing; a
// /cgi-bin/token token is refused with ErrLegacyTokenNotShared.
func (c *Client) AccessToken(ctx context.Context) (string, time.Time, error) {
	source, cached := c.tokens.(*CachedTokenSource)
	switch {
	case cached && source.endpoint == LegacyTokenEndpoint:
		return "", time.Time{}, ErrLegacyTokenNotShared
	case cached:
		return source.current(ctx)
	}
	token, err := c.tokens.Token(ctx)
	return token, time.Time{}, err
}
