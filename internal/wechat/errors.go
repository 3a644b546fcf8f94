package wechat

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// Error codes of the WeChat tag API that callers act on. The service reports them in the
// errcode field of an HTTP 200 response; see ../shared/wechat-api/FACTS.md.
const (
	CodeSystemBusy            = -1
	CodeInvalidCredential     = 40001
	CodeInvalidOpenID         = 40003
	CodeInvalidAccessToken    = 40014
	CodeInvalidOpenIDListSize = 40032
	CodeAccessTokenMissing    = 41001
	CodeAccessTokenExpired    = 42001
	CodeEmptyBody             = 44002
	CodeDailyQuotaReached     = 45009
	CodeFrequencyLimit        = 45011
	CodeTagLimitReached       = 45056
	CodeTagHasTooManyFans     = 45057
	CodeSystemTag             = 45058
	CodeUserTagLimitReached   = 45059
	CodeIllegalTagName        = 45157 // also returned for a name another tag already has
	CodeTagNameTooLong        = 45158
	CodeInvalidTagID          = 45159
	CodeConcurrentTagging     = 45169
	CodeBadJSON               = 47001
	CodeAPIUnauthorized       = 48001
	CodeOpenIDNotOfApp        = 49003
)

// Error codes of the token endpoints (/cgi-bin/stable_token and /cgi-bin/token) that a
// user can fix; see ../shared/wechat-api/FACTS.md.
const (
	CodeInvalidAppID     = 40013
	CodeInvalidAppSecret = 40125
	CodeIPNotWhitelisted = 40164
	CodeAppIDMissing     = 41002
	CodeAppSecretMissing = 41004
	CodeAppSecretFrozen  = 40243
)

// CodesIPNeedsConfirmation are the errcodes of a token call from an IP whose calls need
// an administrator's confirmation; WeChat does not document one meaning for each.
var CodesIPNeedsConfirmation = []int{89503, 89506, 89507}

var whitelistIPPattern = regexp.MustCompile(`invalid ip (\S+?),?\s`)

// WhitelistIP returns the caller's IP that a 40164 names ("invalid ip 1.2.3.4 ipv6
// ::ffff:1.2.3.4, not in whitelist"), or "" when err is no such error or names none.
func WhitelistIP(err error) string {
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.ErrCode != CodeIPNotWhitelisted {
		return ""
	}
	if m := whitelistIPPattern.FindStringSubmatch(apiErr.ErrMsg + " "); m != nil {
		return m[1]
	}
	return ""
}

// APIError is an error reported by the WeChat service in a response body.
type APIError struct {
	// Endpoint is the API path below /cgi-bin/, such as "tags/create".
	Endpoint string
	ErrCode  int
	// ErrMsg is the service's message without its trailing request id.
	ErrMsg string
	// RequestID is the rid the service appends to every error message; WeChat support asks
	// for it.
	RequestID string
}

func (e *APIError) Error() string {
	return "WeChat " + e.Endpoint + ": " + e.detail()
}

// detail is the error without the endpoint it names, for errors that say more about the
// same refusal.
func (e *APIError) detail() string {
	var b strings.Builder
	fmt.Fprintf(&b, "errcode %d", e.ErrCode)
	if e.ErrMsg != "" {
		fmt.Fprintf(&b, " (%s)", e.ErrMsg)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, ", rid %s", e.RequestID)
	}
	if e.ErrCode == CodeDailyQuotaReached {
		fmt.Fprintf(&b, ": the account has used its daily quota of calls to this API, which WeChat resets at midnight "+
			"China Standard Time (UTC+8), in %s; the quota can also be reset in the Official Account console",
			untilQuotaReset(time.Now()).Round(time.Minute))
	}
	return b.String()
}

// chinaStandardTime is the zone of WeChat's daily quotas.
var chinaStandardTime = time.FixedZone("CST", 8*60*60)

func untilQuotaReset(now time.Time) time.Duration {
	local := now.In(chinaStandardTime)
	midnight := time.Date(local.Year(), local.Month(), local.Day()+1, 0, 0, 0, 0, chinaStandardTime)
	return midnight.Sub(now)
}

var ridPattern = regexp.MustCompile(`[,;]?\s*rid:\s*([0-9A-Za-z-]+)\s*$`)

func newAPIError(endpoint string, code int, msg string) *APIError {
	e := &APIError{Endpoint: endpoint, ErrCode: code, ErrMsg: strings.TrimSpace(msg)}
	if m := ridPattern.FindStringSubmatchIndex(e.ErrMsg); m != nil {
		e.RequestID = e.ErrMsg[m[2]:m[3]]
		e.ErrMsg = strings.TrimSpace(e.ErrMsg[:m[0]])
	}
	return e
}

// HTTPError is a response whose HTTP status was not 200. WeChat reports its own errors
// with status 200, so this comes from a gateway or proxy in front of it.
type HTTPError struct {
	Endpoint   string
	StatusCode int
	// Body is the start of the response body, to help diagnose a proxy in the way.
	Body string
}

func (e *HTTPError) Error() string {
	msg := fmt.Sprintf("WeChat %s: HTTP %d %s", e.Endpoint, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// TransportError is a request that got no usable response: connection refused or reset,
// timeout, cancellation, an unreadable body. Its message never contains the request URL,
// whose query carries the access token.
type TransportError struct {
	Endpoint string
	// RequestSent says that the whole request reached the wire before the failure, so
	// that a write may have been applied although no answer came back.
	RequestSent bool
	message     string
	cause       error
}

func (e *TransportError) Error() string { return "WeChat " + e.Endpoint + ": " + e.message }

// Unwrap gives callers errors.Is(err, context.Canceled) and net.Error checks.
func (e *TransportError) Unwrap() error { return e.cause }

// ErrorCode returns the WeChat errcode carried by err, if any.
func ErrorCode(err error) (int, bool) {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrCode, true
	}
	return 0, false
}

// HasCode reports whether err is a WeChat error with one of the given codes.
func HasCode(err error, codes ...int) bool {
	code, ok := ErrorCode(err)
	if !ok {
		return false
	}
	for _, c := range codes {
		if c == code {
			return true
		}
	}
	return false
}

// IsTokenRejected reports whether the service refused the access token as invalid, not
// latest or expired: a fresh token may succeed where this one failed.
func IsTokenRejected(err error) bool {
	return HasCode(err, CodeInvalidCredential, CodeInvalidAccessToken, CodeAccessTokenExpired)
}

// IsUnknownFollower reports whether the service refused an openid as not a follower of
// this account (40003): one that never followed it, or no longer does.
func IsUnknownFollower(err error) bool {
	return HasCode(err, CodeInvalidOpenID)
}

// IsOpenIDOfAnotherApp reports whether the service refused an openid as belonging to
// another AppID (49003). An openid this account gave out cannot get this answer with the
// right credentials, so it means the credentials are wrong, never that a follower is gone.
func IsOpenIDOfAnotherApp(err error) bool {
	return HasCode(err, CodeOpenIDNotOfApp)
}

// IsInvalidTagID reports whether the service refused a tag id it does not know. The
// service also returns this briefly for a tag it has just created, so it alone is no proof
// that a tag is gone: IsTagNotFound is.
func IsInvalidTagID(err error) bool {
	return HasCode(err, CodeInvalidTagID)
}

// ErrTagNotFound is matched by the error of a call naming a tag that the account does not
// have: the service refused the tag id (45159), and a tags/get sent after that refusal
// does not list it.
var ErrTagNotFound = errors.New("the tag does not exist on the account")

// IsTagNotFound reports whether err proves the tag it names gone; see ErrTagNotFound. A
// 45159 that tags/get did not confirm, or could not, is no such proof.
func IsTagNotFound(err error) bool {
	return errors.Is(err, ErrTagNotFound)
}

// tagNotFoundError is a 45159 confirmed by tags/get. It matches ErrTagNotFound and still
// is the service's APIError for errors.As, ErrorCode and IsInvalidTagID.
type tagNotFoundError struct {
	id     int64
	apiErr *APIError
	err    error
}

func (e *tagNotFoundError) Error() string {
	return fmt.Sprintf("WeChat %s: tag %d does not exist on the account (%s)", e.apiErr.Endpoint, e.id, e.apiErr.detail())
}

func (e *tagNotFoundError) Unwrap() []error { return []error{ErrTagNotFound, e.err} }

// IsAmbiguous reports whether a failed write may have been applied: the request was
// sent, and the answer was lost (a timeout, a broken connection, a gateway error). The
// caller finds out what happened before it sends the write again.
func IsAmbiguous(err error) bool {
	var transportErr *TransportError
	if errors.As(err, &transportErr) {
		return transportErr.RequestSent && !errors.Is(err, context.Canceled)
	}
	var httpErr *HTTPError
	return errors.As(err, &httpErr) && httpErr.StatusCode >= 500
}

// IsTransient reports whether the same request may succeed later: the service is busy or
// rate limited, a gateway failed, or the connection broke. A transient error never means
// that the object asked for is missing. A call the caller cancelled is not transient, even
// when it was cancelled while waiting to retry a busy service: retrying it is not the
// caller's wish.
func IsTransient(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	if HasCode(err, CodeSystemBusy, CodeFrequencyLimit, CodeConcurrentTagging) {
		return true
	}
	var httpErr *HTTPError
	if errors.As(err, &httpErr) {
		return httpErr.StatusCode == http.StatusTooManyRequests || httpErr.StatusCode >= 500
	}
	var transportErr *TransportError
	return errors.As(err, &transportErr)
}
