package mockwechat

import (
	"fmt"
	"strings"
	"time"
)

// Daily quotas, as getApiQuota (/cgi-bin/openapi/quota/get) reports them. WeChat publishes
// no figure for the tag APIs, so every path has defaultDailyQuota unless Config.DailyQuotas
// or SetDailyQuota says otherwise; /cgi-bin/token has its documented 2,000 and
// /cgi-bin/stable_token its 500,000.
const (
	defaultDailyQuota = 1_000_000
	tokenPath         = "/cgi-bin/token"
	stableTokenPath   = "/cgi-bin/stable_token"
)

var documentedDailyQuotas = map[string]int{tokenPath: 2000, stableTokenPath: 500_000}

// Quota is an API path's daily quota: its limit, and the calls served today (China
// Standard Time), successful ones only.
type Quota struct {
	DailyLimit int `json:"daily_limit"`
	Used       int `json:"used"`
	Remain     int `json:"remain"`
}

func newDailyQuotas(limits map[string]int) map[string]*quota {
	daily := make(map[string]*quota, len(endpoints))
	for path := range endpoints {
		limit, set := limits[path]
		if !set {
			limit, set = documentedDailyQuotas[path]
		}
		if !set {
			limit = defaultDailyQuota
		}
		daily[path] = &quota{limit: limit, window: chinaDay}
	}
	for path := range limits {
		if _, ok := endpoints[path]; !ok {
			panic(fmt.Sprintf("mockwechat: Config.DailyQuotas: %q is not an API path", path))
		}
	}
	return daily
}

// remaining is how many more uses the window holding now allows.
func (q *quota) remaining(now time.Time) int {
	if w := q.window(now); !w.Equal(q.start) {
		q.start, q.used = w, 0
	}
	return max(q.limit-q.used, 0)
}

func (q *quota) report(now time.Time) Quota {
	remain := q.remaining(now)
	return Quota{DailyLimit: q.limit, Used: q.used, Remain: remain}
}

// SetDailyQuota sets the daily limit of calls of an API path (e.g. "/cgi-bin/tags/get");
// the calls already served today count against it.
func (s *Server) SetDailyQuota(path string, limit int) error {
	if limit < 0 {
		return fmt.Errorf("mockwechat: SetDailyQuota: limit %d is negative", limit)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.daily[path]
	if !ok {
		return fmt.Errorf("mockwechat: SetDailyQuota: %q is not an API path", path)
	}
	q.limit = limit
	return nil
}

// Quotas returns every API path's daily quota, as of now.
func (s *Server) Quotas() map[string]Quota {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	out := make(map[string]Quota, len(s.daily))
	for path, q := range s.daily {
		out[path] = q.report(now)
	}
	return out
}

// rateLimit is the per-minute limit getApiQuota reports for the paths that have one.
type rateLimit struct {
	CallCount     int `json:"call_count"`
	RefreshSecond int `json:"refresh_second"`
}

// apiQuota serves getApiQuota. The path is checked in this order: not one that starts
// with "/", or holding a query or white space: 76003; an /sns/ path, which takes a user's
// token rather than the account's: 76022; a path the mock does not serve: 76021.
func (s *Server) apiQuota(c *call) (any, error) {
	body, err := c.object()
	if err != nil {
		return nil, err
	}
	var path string // missing: empty, which is malformed
	if _, err := body.decode(fields{"cgi_path": &path}); err != nil {
		return nil, err
	}
	switch {
	case !strings.HasPrefix(path, "/") || strings.ContainsAny(path, "?# \t\r\n"):
		return nil, apiError(76003)
	case strings.HasPrefix(path, "/sns/"):
		return nil, apiError(76022)
	}
	q, ok := s.daily[path]
	if !ok {
		return nil, apiError(76021)
	}
	reply := struct {
		wxStatus
		Quota     Quota      `json:"quota"`
		RateLimit *rateLimit `json:"rate_limit,omitempty"`
	}{wxStatus: okReply, Quota: q.report(c.now)}
	if path == stableTokenPath {
		reply.RateLimit = &rateLimit{CallCount: s.stableQuota.limit, RefreshSecond: 60}
	}
	return reply, nil
}

// IsAPIPath reports whether the mock serves the API path, such as "/cgi-bin/tags/get".
func IsAPIPath(path string) bool {
	_, ok := endpoints[path]
	return ok
}
