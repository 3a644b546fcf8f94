// Package wechat is a client of the WeChat Official Account user tag API.
//
// It knows HTTP and the WeChat service, and nothing of Terraform. Every call takes a
// context, errors are typed (APIError, HTTPError, TransportError) with helpers such as
// IsTokenRejected, IsTransient, IsAmbiguous and IsTagNotFound, and the access token and
// app secret never appear in an error or in what the Observer sees.
//
// Transient failures are retried within a RetryPolicy. A write whose response was lost
// is never sent again blindly: requests that have the same effect when repeated (rename,
// delete) are resent, a lost tags/create is looked up by name before it is sent again,
// and a lost membership change is returned to the caller as ambiguous, to re-read.
package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultBaseURL is the address of the WeChat API.
const DefaultBaseURL = "https://api.weixin.qq.com"

// Config is what every client of the service shares: where it is and how to reach it.
type Config struct {
	// BaseURL is the scheme and host of the API, DefaultBaseURL when empty.
	BaseURL string
	// HTTPClient sends the requests; a client with no timeout when nil. Its
	// CheckRedirect is replaced: the client never follows redirects.
	HTTPClient *http.Client
	// Observer, when set, is told of every request once it has ended.
	Observer Observer
	// Retry bounds the retries of transient failures. The zero value retries nothing.
	Retry RetryPolicy
	// AppID names the account the client acts for, "" when unknown (a token obtained
	// elsewhere whose account nobody named). No tag call sends it: WeChat knows the account
	// by the token alone, and answers 49003 to an openid of another account.
	AppID string
	// MembershipReads chooses how FollowerTags reads a follower's tags; MembershipReadsAuto
	// when empty. See memberships.go.
	MembershipReads MembershipReads
	// Log, when set, is told of the client's decisions that change what a command costs,
	// such as how it reads memberships, for a debug log.
	Log LogFunc
}

// LogFunc receives a message and its structured fields, which never hold a credential.
type LogFunc func(ctx context.Context, message string, fields map[string]any)

// RetryPolicy bounds how transient failures are retried: exponential backoff from
// MinBackoff, doubling up to MaxBackoff, each wait drawn between half and all of it so
// that parallel callers do not retry in step.
type RetryPolicy struct {
	// MaxRetries is how many times one call is retried after its first attempt. A retry
	// after a token refresh is not counted.
	MaxRetries int
	MinBackoff time.Duration
	MaxBackoff time.Duration
}

// DefaultRetryPolicy suits the real service: a busy spell or a per-minute limit passes
// within the minute or so that eight retries wait at most.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxRetries: 8, MinBackoff: 250 * time.Millisecond, MaxBackoff: 15 * time.Second}
}

func (p RetryPolicy) backoff(retry int) time.Duration {
	d := p.MinBackoff
	for i := 1; i < retry && d < p.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, p.MaxBackoff)
	if d <= 0 {
		return 0
	}
	return d/2 + rand.N(d/2+1)
}

// Observer is told of every request to the service, for logging and metrics.
type Observer func(ctx context.Context, call CallInfo)

// CallInfo describes one request. It never holds the access token or the app secret.
type CallInfo struct {
	// Endpoint is the path below /cgi-bin/, such as "tags/create".
	Endpoint string
	// Attempt counts the requests of one call from 1: retries and the request after a
	// token refresh count.
	Attempt  int
	Duration time.Duration
	// Err is nil on success; ErrorCode(Err) gives the WeChat errcode of a refused call.
	Err error
	// RetryIn is how long the client waits before it retries the call; 0 when it does not.
	RetryIn time.Duration
}

// Client calls the tag endpoints with tokens from its TokenSource. It is safe for
// concurrent use.
type Client struct {
	raw    *rawClient
	tokens TokenSource
	fresh  freshTags
	tags   tagCache
	appID  string
	// memberships chooses how follower reads are answered, and holds the snapshot.
	memberships *membershipReads
	deletions   tagDeletions
}

// NewClient returns a client of the service described by cfg.
func NewClient(cfg Config, tokens TokenSource) (*Client, error) {
	if tokens == nil {
		return nil, errors.New("wechat: a token source is required")
	}
	raw, err := newRawClient(cfg)
	if err != nil {
		return nil, err
	}
	reads, err := newMembershipReads(cfg.MembershipReads, cfg.Log)
	if err != nil {
		return nil, err
	}
	return &Client{raw: raw, tokens: tokens, appID: cfg.AppID, memberships: reads}, nil
}

// AppID is the account the client acts for, as Config named it; "" when unknown.
func (c *Client) AppID() string { return c.appID }

// apiRequest is one call of an endpoint, as sent again on each attempt.
type apiRequest struct {
	method   string
	endpoint string
	// query holds parameters other than the access token.
	query    url.Values
	body     any
	response any
	// resendable says that sending the request again after its response was lost has the
	// same effect as sending it once.
	resendable bool
	// beforeSend, when set, is called before each attempt is sent.
	beforeSend func()
	// tagID is the tag the request names, or 0: a tag created moments ago may be refused
	// as unknown (45159), and is given a few retries before that is believed.
	tagID int64
	// secrets are credentials the request carries besides the token, masked in errors.
	secrets []string
	// retries, when set, counts the retries of an operation that itself sends the request
	// more than once (CreateTag after a lost response), so that all its sends share one
	// retry budget instead of each having a full one.
	retries *int
}

// freshTagGrace is how long after its creation a tag's 45159 is retried, and
// freshTagRetries how often.
const (
	freshTagGrace   = 2 * time.Minute
	freshTagRetries = 3
)

// freshTags remembers the tags this client created, and when.
type freshTags struct {
	mu      sync.Mutex
	created map[int64]time.Time
}

func (f *freshTags) add(id int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.created == nil {
		f.created = map[int64]time.Time{}
	}
	f.created[id] = time.Now()
}

func (f *freshTags) contains(id int64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	created, ok := f.created[id]
	return ok && time.Since(created) < freshTagGrace
}

// call sends req with an access token, within the retry policy.
func (c *Client) call(ctx context.Context, req apiRequest) error {
	return c.raw.do(ctx, req, c.tokens, &c.fresh)
}

// rawClient sends requests and decodes WeChat's response envelope.
type rawClient struct {
	baseURL  *url.URL
	http     *http.Client
	observer Observer
	retry    RetryPolicy
}

// ValidateBaseURL reports whether raw may serve as Config.BaseURL: an https URL with a
// host and without query, fragment or user info. Plain http is allowed only for loopback
// hosts (localhost, a loopback IP), such as a mock of the service in tests: anywhere else
// the app secret and the access tokens would cross the network unencrypted.
func ValidateBaseURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not a URL with a host", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("%q must not carry a query, a fragment or user info", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%q uses plain http, which would send the AppSecret and access tokens unencrypted; http is allowed only for loopback addresses", raw)
	}
	return fmt.Errorf("%q must use https", raw)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func newRawClient(cfg Config) (*rawClient, error) {
	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	if err := ValidateBaseURL(base); err != nil {
		return nil, fmt.Errorf("wechat: base URL %w", err)
	}
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil {
		return nil, fmt.Errorf("wechat: base URL %q: %w", base, err)
	}
	httpClient := http.Client{}
	if cfg.HTTPClient != nil {
		httpClient = *cfg.HTTPClient
	}
	// WeChat never redirects, and following a redirect would send the access token in
	// the query to wherever it points: a 3xx is returned as an HTTPError instead.
	httpClient.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &rawClient{baseURL: u, http: &httpClient, observer: cfg.Observer, retry: cfg.Retry}, nil
}

// do sends req until it succeeds, fails for good, or the retry budget is spent.
//
// With tokens, each request carries an access token; when the service rejects it as
// invalid or expired, do asks for a new one and sends the request again at once, only
// once. fresh, when given, lists the tags created moments ago, whose 45159 is retried a
// few times before it is believed.
func (c *rawClient) do(ctx context.Context, req apiRequest, tokens TokenSource, fresh *freshTags) error {
	var token string
	if tokens != nil {
		var err error
		if token, err = tokens.Token(ctx); err != nil {
			return fmt.Errorf("obtaining a WeChat access token: %w", err)
		}
	}
	retries := req.retries
	if retries == nil {
		retries = new(int)
	}
	refreshed, freshTagRetriesLeft, began := false, freshTagRetries, time.Now()
	for attempt := 1; ; attempt++ {
		start := time.Now()
		if req.beforeSend != nil {
			req.beforeSend()
		}
		err := c.roundTrip(ctx, req, token)
		call := CallInfo{Endpoint: req.endpoint, Attempt: attempt, Duration: time.Since(start), Err: err}
		if err == nil {
			c.observe(ctx, call)
			return nil
		}

		if tokens != nil && IsTokenRejected(err) && !refreshed {
			c.observe(ctx, call)
			refreshed = true
			newToken, refreshErr := tokens.Refresh(ctx, token)
			if errors.Is(refreshErr, ErrTokenNotRefreshable) {
				return fmt.Errorf("%w: the access token given to the provider is invalid or expired; give it a new one", err)
			}
			if refreshErr != nil {
				// The refresh's error decides what the caller does next: a busy token
				// endpoint is transient, a wrong secret is not.
				return fmt.Errorf("%v; obtaining a new access token failed: %w", err, refreshErr) //nolint:errorlint // only the refresh's error may match errors.Is and As
			}
			token = newToken
			continue
		}

		retry := retryable(req, err)
		if !retry && fresh != nil && req.tagID != 0 && IsInvalidTagID(err) && freshTagRetriesLeft > 0 && fresh.contains(req.tagID) {
			freshTagRetriesLeft--
			retry = true
		}
		if !retry || ctx.Err() != nil || *retries >= c.retry.MaxRetries {
			c.observe(ctx, call)
			if retry && attempt > 1 {
				// Said so that a user who waited knows the provider was retrying, not hung.
				return fmt.Errorf("%w (gave up on %s after %d attempts over %s)", err, c.baseURL.Host, attempt, time.Since(began).Round(10*time.Millisecond))
			}
			return err
		}
		*retries++
		call.RetryIn = c.retry.backoff(*retries)
		c.observe(ctx, call)
		if waitErr := sleep(ctx, call.RetryIn); waitErr != nil {
			return fmt.Errorf("%w (stopped retrying: %w)", err, waitErr)
		}
	}
}

func (c *rawClient) observe(ctx context.Context, call CallInfo) {
	if c.observer != nil {
		c.observer(ctx, call)
	}
}

// retryable reports whether sending req again may succeed and cannot do harm: the
// failure is transient, and either nothing was applied or applying req twice is the same
// as once.
func retryable(req apiRequest, err error) bool {
	return IsTransient(err) && (req.resendable || !IsAmbiguous(err))
}

func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// maxResponseBytes bounds what is read of a response. The largest legitimate one, a page
// of 10,000 openids, is about 320 KB.
const maxResponseBytes = 16 << 20

func (c *rawClient) roundTrip(ctx context.Context, req apiRequest, token string) error {
	redact := newRedactor(token, req.secrets)
	u := *c.baseURL
	u.Path += "/cgi-bin/" + req.endpoint
	query := url.Values{}
	for k, v := range req.query {
		query[k] = v
	}
	if token != "" {
		query.Set("access_token", token)
	}
	u.RawQuery = query.Encode()

	var body io.Reader
	if req.body != nil {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		// WeChat stores tag names as sent: "<" must not become "\u003c".
		enc.SetEscapeHTML(false)
		if err := enc.Encode(req.body); err != nil {
			return fmt.Errorf("WeChat %s: encoding the request: %w", req.endpoint, err)
		}
		body = &buf
	}
	// Whether the request reached the wire decides whether a failed write may have been
	// applied. Atomic: a transport may report the write from a goroutine of its own, and
	// need not wait for it before it returns.
	var sent atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(info httptrace.WroteRequestInfo) { sent.Store(info.Err == nil) },
	})
	httpReq, err := http.NewRequestWithContext(ctx, req.method, u.String(), body)
	if err != nil {
		return &TransportError{Endpoint: req.endpoint, message: "building the request failed", cause: err}
	}
	if body != nil {
		httpReq.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	httpReq.Header.Set("Accept", "application/json")

	resp, err := c.http.Do(httpReq)
	if err != nil {
		return transportError(req.endpoint, err, sent.Load(), redact)
	}
	defer resp.Body.Close()
	payload, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return transportError(req.endpoint, err, true, redact)
	}
	if resp.StatusCode != http.StatusOK {
		return &HTTPError{Endpoint: req.endpoint, StatusCode: resp.StatusCode, Body: snippet(payload, redact)}
	}
	return decodeResponse(req.endpoint, payload, req.response, redact)
}

// decodeResponse reads WeChat's envelope: an errcode other than 0 is an error whatever else
// the body holds, and a success body may have errcode 0 or none at all. Whatever of the
// body an error quotes goes through redact: a proxy's error page may echo the request.
func decodeResponse(endpoint string, payload []byte, response any, redact *strings.Replacer) error {
	var envelope struct {
		ErrCode *int   `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if err := json.Unmarshal(payload, &envelope); err != nil {
		return &TransportError{Endpoint: endpoint, RequestSent: true, message: "the response is not JSON: " + snippet(payload, redact), cause: err}
	}
	if envelope.ErrCode != nil && *envelope.ErrCode != 0 {
		return newAPIError(endpoint, *envelope.ErrCode, redact.Replace(envelope.ErrMsg))
	}
	if response == nil {
		return nil
	}
	if err := json.Unmarshal(payload, response); err != nil {
		return &TransportError{Endpoint: endpoint, RequestSent: true, message: "the response does not have the documented shape: " + err.Error(), cause: err}
	}
	return nil
}

// newRedactor masks the access token and the other secrets of a request, as sent and as
// escaped in a query, in any text an error quotes.
func newRedactor(token string, secrets []string) *strings.Replacer {
	var pairs []string
	if token != "" {
		pairs = append(pairs, token, "[access_token]", url.QueryEscape(token), "[access_token]")
	}
	for _, secret := range secrets {
		if secret != "" {
			pairs = append(pairs, secret, "[secret]", url.QueryEscape(secret), "[secret]")
		}
	}
	return strings.NewReplacer(pairs...)
}

// transportError keeps the cause of a failed request but not its URL: *url.Error prints
// the whole URL, query and access token included.
func transportError(endpoint string, err error, sent bool, redact *strings.Replacer) error {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err
	}
	return &TransportError{Endpoint: endpoint, RequestSent: sent, message: redact.Replace(err.Error()), cause: err}
}

// snippet is the start of a response body for an error message, credentials masked before
// it is cut so that no part of one survives.
func snippet(payload []byte, redact *strings.Replacer) string {
	const limit = 200
	s := redact.Replace(strings.TrimSpace(string(payload)))
	if len(s) > limit {
		s = s[:limit] + "…"
	}
	return s
}
