package wechat

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Error codes of getApiQuota (/cgi-bin/openapi/quota/get); see
// ../shared/wechat-api/FACTS.md.
const (
	CodeMalformedCGIPath   = 76003
	CodeCGIPathNotFound    = 76021
	CodeCGIPathNotForToken = 76022
)

// APIQuota is the account's daily quota of one API, as getApiQuota reports it. WeChat
// publishes no figure for the tag APIs: each account has its own, growing with its
// followers.
type APIQuota struct {
	DailyLimit, Used, Remain int64
	// RateLimit and ComponentRateLimit are the per-window limits newer answers carry (the
	// account's own, and a third-party platform's calls on its behalf); nil where the
	// answer has none.
	RateLimit, ComponentRateLimit *RateLimit
}

// RateLimit allows CallCount calls every RefreshSeconds.
type RateLimit struct {
	CallCount, RefreshSeconds int64
}

// ValidateCGIPath reports whether path can name an API to getApiQuota: the path of its
// URL, without host or query, such as "/cgi-bin/tags/getidlist". The service refuses
// others with 76003 or 76021.
func ValidateCGIPath(path string) error {
	switch {
	case path == "":
		return errors.New("the API path is empty; give the path of an API, such as /cgi-bin/tags/getidlist")
	case strings.Contains(path, "://"):
		return fmt.Errorf("%q is a URL; give only its path, such as /cgi-bin/tags/getidlist", path)
	case !strings.HasPrefix(path, "/"):
		return fmt.Errorf("%q does not start with /; give the API's path, such as /cgi-bin/tags/getidlist", path)
	case strings.ContainsAny(path, "?#"):
		return fmt.Errorf("%q holds a query or fragment; give only the path, such as /cgi-bin/tags/getidlist", path)
	case strings.ContainsFunc(path, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return fmt.Errorf("%q holds white space or a control character", path)
	}
	return nil
}

// APIQuota reads the account's daily quota of the API at cgiPath (getApiQuota). The call
// uses no quota of a tag API.
func (c *Client) APIQuota(ctx context.Context, cgiPath string) (APIQuota, error) {
	if err := ValidateCGIPath(cgiPath); err != nil {
		return APIQuota{}, fmt.Errorf("getApiQuota: %w", err)
	}
	request := struct {
		CGIPath string `json:"cgi_path"`
	}{CGIPath: cgiPath}
	type rateLimit struct {
		CallCount     int64 `json:"call_count"`
		RefreshSecond int64 `json:"refresh_second"`
	}
	var response struct {
		Quota *struct {
			DailyLimit int64 `json:"daily_limit"`
			Used       int64 `json:"used"`
			Remain     int64 `json:"remain"`
		} `json:"quota"`
		RateLimit          *rateLimit `json:"rate_limit"`
		ComponentRateLimit *rateLimit `json:"component_rate_limit"`
	}
	if err := c.call(ctx, apiRequest{method: http.MethodPost, endpoint: "openapi/quota/get", body: request, response: &response, resendable: true}); err != nil {
		return APIQuota{}, err
	}
	if response.Quota == nil {
		return APIQuota{}, errors.New("WeChat openapi/quota/get: the response carries no quota")
	}
	limitOf := func(r *rateLimit) *RateLimit {
		if r == nil {
			return nil
		}
		return &RateLimit{CallCount: r.CallCount, RefreshSeconds: r.RefreshSecond}
	}
	q := response.Quota
	return APIQuota{
		DailyLimit: q.DailyLimit, Used: q.Used, Remain: q.Remain,
		RateLimit: limitOf(response.RateLimit), ComponentRateLimit: limitOf(response.ComponentRateLimit),
	}, nil
}
