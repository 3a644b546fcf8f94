package mockwechat

import (
	"crypto/rand"
	"strings"
	"time"
)

const (
	maxTokenLength     = 512
	stableMinRemaining = 300 * time.Second
	forceRefreshGap    = 30 * time.Second
)

type token struct {
	value      string
	expires    time.Time
	superseded time.Time // when a newer /cgi-bin/token token replaced it
	revoked    bool      // by a stable_token force_refresh
}

// quota counts uses within a window (a day, a minute) of the clock.
type quota struct {
	limit  int
	window func(time.Time) time.Time // start of the window holding t
	start  time.Time
	used   int
}

func (q *quota) take(now time.Time) bool {
	if w := q.window(now); !w.Equal(q.start) {
		q.start, q.used = w, 0
	}
	if q.used >= q.limit {
		return false
	}
	q.used++
	return true
}

var chinaTime = time.FixedZone("CST", 8*60*60)

func chinaDay(t time.Time) time.Time {
	y, m, d := t.In(chinaTime).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, chinaTime)
}

func minute(t time.Time) time.Time { return t.Truncate(time.Minute) }

// idAlphabet has 64 symbols, so a random byte masked to 6 bits picks one
// uniformly.
const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

func newTokenValue() string {
	b := make([]byte, 154)
	rand.Read(b)
	for i := range b {
		b[i] = idAlphabet[b[i]&63]
	}
	return "86_" + string(b)
}

func (s *Server) mint(now time.Time) *token {
	t := &token{value: newTokenValue(), expires: now.Add(s.cfg.TokenLifetime)}
	s.tokens[t.value] = t
	s.issued = append(s.issued, t.value)
	return t
}

func (s *Server) checkToken(value string, now time.Time) error {
	if value == "" {
		return apiError(41001)
	}
	if len(value) > maxTokenLength || strings.Trim(value, idAlphabet) != "" {
		return apiError(40014)
	}
	t, ok := s.tokens[value]
	switch {
	case !ok:
		return apiError(40001)
	case !now.Before(t.expires):
		return apiError(42001)
	case t.revoked, !t.superseded.IsZero() && !now.Before(t.superseded.Add(s.cfg.TokenGracePeriod)):
		return apiError(40001)
	}
	return nil
}

func (s *Server) checkCredentials(grantType, appID, secret string) error {
	switch {
	case grantType != "client_credential":
		return apiError(40002)
	case appID == "":
		return apiError(41002)
	case secret == "":
		return apiError(41004)
	case appID != s.cfg.AppID:
		return apiError(40013)
	case secret != s.cfg.AppSecret:
		return apiError(40125)
	}
	return nil
}

type tokenReply struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
}

func (s *Server) getToken(c *call) (any, error) {
	q := c.query
	if err := s.checkCredentials(q.Get("grant_type"), q.Get("appid"), q.Get("secret")); err != nil {
		return nil, err
	}
	if !s.daily[tokenPath].take(c.now) {
		return nil, apiError(45009)
	}
	if s.latest != nil {
		s.latest.superseded = c.now
	}
	s.latest = s.mint(c.now)
	return tokenReply{s.latest.value, int(s.cfg.TokenLifetime / time.Second)}, nil
}

func (s *Server) getStableToken(c *call) (any, error) {
	body, err := c.object()
	if err != nil {
		return nil, err
	}
	// A missing member reads as empty: 40002, 41002 and 41004 name what is missing, and
	// force_refresh is optional.
	var grantType, appID, secret string
	var forceRefresh bool
	if _, err := body.decode(fields{"grant_type": &grantType, "appid": &appID, "secret": &secret, "force_refresh": &forceRefresh}); err != nil {
		return nil, err
	}
	if err := s.checkCredentials(grantType, appID, secret); err != nil {
		return nil, err
	}
	if !s.stableQuota.take(c.now) {
		return nil, apiError(45011)
	}
	if forceRefresh {
		if !s.lastForce.IsZero() && c.now.Sub(s.lastForce) < forceRefreshGap {
			return nil, apiError(45011)
		}
		if !s.forceQuota.take(c.now) {
			return nil, apiError(45009)
		}
		s.lastForce = c.now
		if s.stable != nil {
			s.stable.revoked = true
			s.stable = nil
		}
	}
	if s.stable == nil || s.stable.expires.Sub(c.now) < stableMinRemaining {
		s.stable = s.mint(c.now)
	}
	return tokenReply{s.stable.value, int(s.stable.expires.Sub(c.now) / time.Second)}, nil
}

// IssueAccessToken mints a token as a third-party platform's
// authorizer_access_token would be: it lives TokenLifetime and neither
// replaces nor is replaced by any other token.
func (s *Server) IssueAccessToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mint(s.cfg.Now()).value
}

// IssuedTokens returns every access token the mock has issued, by
// /cgi-bin/token, /cgi-bin/stable_token and IssueAccessToken, in the order
// issued, expired ones included: tests assert none of them leaks into logs
// or state files.
func (s *Server) IssuedTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string{}, s.issued...)
}

// ExpireTokens makes every token issued so far fail with 42001, as if its
// lifetime had passed; the token endpoints then mint fresh ones.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	for _, t := range s.tokens {
		if t.expires.After(now) {
			t.expires = now
		}
	}
}
