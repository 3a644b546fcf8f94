// Package wechat is a client of the WeChat Official Account user tag API.
//
// It knows HTTP and the WeChat service, and nothing of Terraform. Every call takes a
// context, errors are typed (APIError, HTTPError, TransportError) with helpers such as
// IsTokenRejected and IsTransient, and the access token never appears in an error or in
// what the Observer sees.
package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultBaseURL is the address of the WeChat API.
const DefaultBaseURL = "https://api.weixin.qq.com"

// Config is what every client of the service shares: where it is and how to reach it.
type Config struct {
	// BaseURL is the scheme and host of the API, DefaultBaseURL when empty.
	BaseURL string
	// HTTPClient sends the requests; http.DefaultClient when nil.
	HTTPClient *http.Client
	// Observer, when set, is told of every request once it has ended.
	Observer Observer
}

// Observer is told of every request to the service, for logging and metrics.
type Observer func(ctx context.Context, call CallInfo)

// CallInfo describes one request. It never holds the access token or the app secret.
type CallInfo struct {
	// Endpoint is the path below /cgi-bin/, such as "tags/create".
	Endpoint string
	// Attempt counts from 1; a retry after a token refresh is attempt 2.
	Attempt  int
	Duration time.Duration
	// Err is nil on success; ErrorCode(Err) gives the WeChat errcode of a refused call.
	Err error
}

// Client calls the tag endpoints with tokens from its TokenSource. It is safe for
// concurrent use.
type Client struct {
	raw    *rawClient
	tokens TokenSource
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
	return &Client{raw: raw, tokens: tokens}, nil
}

// call sends a request with an access token. When the service rejects the token as
// invalid or expired, it asks the token source for a new one and tries exactly once more.
func (c *Client) call(ctx context.Context, method, endpoint string, request, response any) error {
	token, err := c.tokens.Token(ctx)
	if err != nil {
		return fmt.Errorf("obtaining a WeChat access token: %w", err)
	}
	err = c.raw.callAttempt(ctx, method, endpoint, token, request, response, 1)
	if !IsTokenRejected(err) {
		return err
	}
	fresh, refreshErr := c.tokens.Refresh(ctx, token)
	if errors.Is(refreshErr, ErrTokenNotRefreshable) {
		return fmt.Errorf("%w: the access token given to the provider is invalid or expired; give it a new one", err)
	}
	if refreshErr != nil {
		// The refresh's error decides what the caller does next: a busy token endpoint
		// is transient, a wrong secret is not.
		return fmt.Errorf("%v; obtaining a new access token failed: %w", err, refreshErr)
	}
	return c.raw.callAttempt(ctx, method, endpoint, fresh, request, response, 2)
}

// rawClient sends one request and decodes WeChat's response envelope.
type rawClient struct {
	baseURL  *url.URL
	http     *http.Client
	observer Observer
}

func newRawClient(cfg Config) (*rawClient, error) {
	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("wechat: base URL %q is not an http(s) URL with a host", base)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("wechat: base URL %q must not carry a query, fragment or user info", base)
	}
	httpClient := http.Client{}
	if cfg.HTTPClient != nil {
		httpClient = *cfg.HTTPClient
	}
	// WeChat never redirects, and following a redirect would send the access token in
	// the query to wherever it points: a 3xx is returned as an HTTPError instead.
	httpClient.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &rawClient{baseURL: u, http: &httpClient, observer: cfg.Observer}, nil
}

// maxResponseBytes bounds what is read of a response. The largest legitimate one, a page
// of 10,000 openids, is about 320 KB.
const maxResponseBytes = 16 << 20

// call sends one request; secrets are credentials in the request body (the app secret of
// stable_token) that must not appear in an error, like the token.
func (c *rawClient) call(ctx context.Context, method, endpoint, token string, request, response any, secrets ...string) error {
	return c.callAttempt(ctx, method, endpoint, token, request, response, 1, secrets...)
}

func (c *rawClient) callAttempt(ctx context.Context, method, endpoint, token string, request, response any, attempt int, secrets ...string) error {
	start := time.Now()
	err := c.roundTrip(ctx, method, endpoint, token, request, response, newRedactor(token, secrets))
	if c.observer != nil {
		c.observer(ctx, CallInfo{Endpoint: endpoint, Attempt: attempt, Duration: time.Since(start), Err: err})
	}
	return err
}

func (c *rawClient) roundTrip(ctx context.Context, method, endpoint, token string, request, response any, redact *strings.Replacer) error {
	u := *c.baseURL
	u.Path += "/cgi-bin/" + endpoint
	if token != "" {
		u.RawQuery = url.Values{"access_token": {token}}.Encode()
	}

	var body io.Reader
	if request != nil {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		// WeChat stores tag names as sent: "<" must not become "\u003c".
		enc.SetEscapeHTML(false)
		if err := enc.Encode(request); err != nil {
			return fmt.Errorf("WeChat %s: encoding the request: %w", endpoint, err)
		}
		body = &buf
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return &TransportError{Endpoint: endpoint, message: "building the request failed", cause: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	req.Header.Set("Accept", "application/json")

	resp, err := c.http.Do(req)
	if err != nil {
		return transportError(endpoint, err, redact)
	}
	defer resp.Body.Close()
	payload, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return transportError(endpoint, err, redact)
	}
	if resp.StatusCode != http.StatusOK {
		return &HTTPError{Endpoint: endpoint, StatusCode: resp.StatusCode, Body: snippet(payload, redact)}
	}
	return decodeResponse(endpoint, payload, response, redact)
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
		return &TransportError{Endpoint: endpoint, message: "the response is not JSON: " + snippet(payload, redact), cause: err}
	}
	if envelope.ErrCode != nil && *envelope.ErrCode != 0 {
		return newAPIError(endpoint, *envelope.ErrCode, redact.Replace(envelope.ErrMsg))
	}
	if response == nil {
		return nil
	}
	if err := json.Unmarshal(payload, response); err != nil {
		return &TransportError{Endpoint: endpoint, message: "the response does not have the documented shape: " + err.Error(), cause: err}
	}
	return nil
}

// newRedactor masks the access token, as sent and as escaped in the query, and the other
// secrets of a request, in any text an error quotes.
func newRedactor(token string, secrets []string) *strings.Replacer {
	var pairs []string
	if token != "" {
		pairs = append(pairs, token, "[access_token]", url.QueryEscape(token), "[access_token]")
	}
	for _, secret := range secrets {
		if secret != "" {
			pairs = append(pairs, secret, "[secret]")
		}
	}
	return strings.NewReplacer(pairs...)
}

// transportError keeps the cause of a failed request but not its URL: *url.Error prints
// the whole URL, query and access token included.
func transportError(endpoint string, err error, redact *strings.Replacer) error {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err
	}
	return &TransportError{Endpoint: endpoint, message: redact.Replace(err.Error()), cause: err}
}

// snippet is the start of a response body for an error message, credentials masked before
// it is cut so that no part of one survives.
func snippet(payload []byte, redact *strings.Replacer) string {
	const limit = 200
	s := strings.TrimSpace(redact.Replace(string(payload)))
	if len(s) > limit {
		s = s[:limit] + "…"
	}
	return s
}
