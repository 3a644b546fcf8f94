// Package mockwechat is an in-memory fake of the WeChat Official Account user
// tag API (https://api.weixin.qq.com), written from the official pages and
// a facts sheet gathered from public SDKs, independently of the provider's
// API client, so that tests exercising one against the other compare two
// readings of the documentation rather than one reading with itself.
//
// A *Server is an http.Handler. It serves the token endpoints
// (/cgi-bin/token, /cgi-bin/stable_token), the eight tag endpoints under
// /cgi-bin/, and an admin API under /_mock/ for a mock running as its own
// process (see cmd/wechat-mock). Go code changes the account
// out of band with methods such as CreateTag and TagUser, as another
// administrator would, inspects it with Tags, UserTags and Calls, and
// makes the service busy and flaky with FailNext and SetFaults.
//
// # Wire format
//
// Every API answer is HTTP 200 with Content-Type "application/json;
// charset=utf-8" and a Content-Length; the body is compact JSON that ends at
// its closing brace, without the newline json.Encoder would add (co-wechat-api
// cannot parse one). Errors are {"errcode":N,"errmsg":"<text> rid: <id>"}
// where the request id is three dash-separated groups of eight hex digits,
// the first being the Unix time, as the real service does. Names are not
// HTML-escaped; U+2028 and U+2029 are, as encoding/json always escapes them.
//
// A path the mock does not serve (/cgi-bin/user/info, /cgi-bin/user/get, ...)
// answers like an API error: HTTP 200, errcode 40066 "invalid url hint: [the
// mock does not serve PATH] rid: ...". That is what wechatpy users report
// WeChat answering for a wrong path (wechatpy#121, #289); the mock's choice,
// uncertain. Such paths are not counted by Calls and never fail by faults.
//
// Checks run in this order on every API request: the latency and the
// fault of the call (see Faults below; an error queued by FailNext comes
// first), the HTTP method (43001 "require GET method" / 43002 "require
// POST method"), the access token (tag endpoints only), the body (44002 when
// empty, 47001 when it is not one JSON object, has a duplicate key or is over
// 1 MiB), then the endpoint's own rules.
//
// Request bodies are read with exact keys, as WeChat matches them: a client
// must send openid_list, not OpenID_List (Go's json.Unmarshal would accept
// that). Choices, where WeChat's answer is undocumented:
//   - A misspelled member is a missing one, and null reads as absent. A
//     missing member answers what an empty or invalid value answers: a
//     missing openid_list is 40032, a missing tag id 45159 (not tag 0's
//     45058), a missing tag name 45157, a missing openid 40003, a missing
//     grant_type, appid or secret 40002, 41002 or 41004, a missing cgi_path
//     76003. next_openid and force_refresh are optional.
//   - A member of the wrong type is 47001: a tag id sent as a string
//     ("tagid":"100"), or as 100.0. SDK authors report that answer from
//     WeChat for string ids (uncertain; PowerWeChat#356 changed its tag ids
//     to numbers for it).
//   - A duplicate key, at the top level or in the "tag" object, is 47001:
//     {"tagid":100,"tagid":101} has no safe reading.
//   - Unknown members are ignored, as the real service ignores them (one SDK
//     sends "tagid":0 to getidlist).
//
// # Faults
//
// SetFaults (or POST /_mock/faults) makes a share of API calls fail, so that
// a client can be shown to converge against a busy, flaky service; the
// admin paths and unknown paths never fail. An API call goes through these
// steps:
//
//  1. Its body is read, then it waits Faults.Latency. A call whose client
//     gives up meanwhile never reaches the account: it is not counted,
//     nothing is drawn for it and nothing is applied.
//  2. Under the server's lock it is counted by Calls and its fault decided:
//     an error queued by FailNext if any (nothing drawn); else, if a rate
//     is above 0 and Paths is empty or lists the path, one number u in
//     [0, 1) is drawn and compared with the rates taken in the order
//     errcode, HTTP 500, drop, lost response (u < errcode_rate is an
//     errcode, then u < errcode_rate+http500_rate an HTTP 500, and so on);
//     an errcode fault draws a second number to pick one of Errcodes.
//  3. An errcode fault answers like any refusal (HTTP 200, errmsg with a
//     rid) and applies nothing. A drawn 45169 becomes -1 on any path but
//     batchtagging and batchuntagging, the only endpoints that report
//     concurrent tagging. An HTTP 500 answers an HTML page with
//     Content-Type text/html, as the gateway in front of a failing service
//     would, and applies nothing. A drop closes the connection before the
//     call is applied; a lost response applies the call in full (the change
//     is visible, a token is issued) and then closes the connection. Both
//     close it without writing a byte, so the client reads EOF or a reset:
//     it cannot tell whether the call was applied, which is the point.
//
// Connections are closed by hijacking them (HTTP/1.1, as httptest.NewServer
// and http.Server serve by default). A ResponseWriter that cannot be
// hijacked (HTTP/2, an httptest.ResponseRecorder) gets a panic with
// http.ErrAbortHandler instead, which net/http turns into a closed
// connection or reset stream and which reaches a caller of ServeHTTP that
// has no server around it.
//
// The decisions come from a generator seeded with Faults.Seed and restarted
// by every SetFaults, so the same seed and the same sequence of calls give
// the same faults: the n-th call a fault is decided for gets the n-th
// decision. Calls that FailNext takes, that Paths leaves out or that were
// cancelled during the latency draw nothing and shift nothing. Concurrent
// callers reach the lock in an order that varies from run to run, so the
// same decisions then fall on different calls; their counts do not change.
// FaultStats counts the faults injected since the last SetFaults, by kind
// and errcode, and the calls a fault was decided for.
//
// Go's http.Transport resends by itself a request that can be replayed (a
// GET without a body, such as /cgi-bin/token and tags/get) when a reused
// keep-alive connection closes without an answer. Each resend is a new call
// with its own decision: count with Calls and FaultStats, not with the
// requests the client code made.
//
// IssuedTokens (GET /_mock/tokens) lists every access token ever issued, so
// that tests can show none leaks into logs or state; faults are where leaks
// hide, since Go's *url.Error for a dropped call quotes the whole URL,
// access_token included. The mock is a test
// tool with no security of its own, and this endpoint hands out working
// tokens: that is why cmd/wechat-mock refuses a non-loopback
// address unless told otherwise.
//
// # Choices where the documentation is silent or uncertain
//
// Tokens:
//   - Tokens are "86_" followed by 154 random characters of [A-Za-z0-9_-]
//     (157 in all, the length seen in the wild, below the 512 allowed).
//   - Tag endpoints answer 41001 when access_token is missing, 40014 when it
//     cannot be a token (over 512 characters, or a character outside
//     [A-Za-z0-9_-]), 40001 when it was never issued, 42001 when it has
//     expired (its lifetime passed, or ExpireTokens was called), and 40001
//     when it was replaced and is past its grace period or was revoked by a
//     stable_token force_refresh. Expiry is checked before replacement.
//   - /cgi-bin/token checks grant_type (40002), appid present (41002),
//     secret present (41004), appid (40013), secret (40125), then the daily
//     quota of 2,000 issued tokens (45009). Refused calls do not use quota.
//     Every issued token replaces the previous /cgi-bin/token token, which
//     keeps working for Config.TokenGracePeriod (a negative period: not at
//     all). Tokens from IssueAccessToken and stable_token are never replaced
//     by /cgi-bin/token, and the other way round.
//   - Quota days run midnight to midnight China Standard Time (UTC+8).
//   - /cgi-bin/stable_token takes the same credential checks, then allows
//     10,000 calls a minute (45011 beyond). Without force_refresh it returns
//     the current stable token with its remaining whole seconds, or mints a
//     new one when fewer than 300 s remain (the old one stays valid until it
//     expires), so expires_in is at least 300 whenever TokenLifetime is.
//     force_refresh=true revokes the current stable token at once (40001)
//     and mints a new one; a force refresh within 30 s of the previous one
//     fails with 45011 "api minute-quota reach limit", the 21st of a day with
//     45009 "reach max api daily quota limit"; neither revokes anything.
//
// Quotas:
//   - Every API path has a daily quota, counted midnight to midnight China
//     Standard Time: /cgi-bin/token its 2,000 issued tokens,
//     /cgi-bin/stable_token 500,000 calls, every other path 1,000,000 (WeChat
//     publishes none for the tag APIs), unless Config.DailyQuotas or
//     SetDailyQuota sets another. Only calls served with errcode 0 use quota;
//     the call after the last is refused with 45009, after the token check.
//   - /cgi-bin/openapi/quota/get (getApiQuota) answers {"cgi_path": P} with
//     P's daily_limit, used and remain, and for /cgi-bin/stable_token a
//     rate_limit of 10,000 calls per 60 s. P is checked in this order: not
//     starting with "/", or holding a query or white space: 76003; an /sns/
//     path: 76022; a path the mock does not serve: 76021.
//
// Tags:
//   - System tags 0 (未分组), 1 (黑名单) and 2 (星标组) always exist; only 2
//     is listed by tags/get, Tags and TagByID. They do not count towards
//     Config.MaxTags: an account holds MaxTags tags it created itself; with
//     Config.CountSystemTags (flag -count-system-tags), the other reading of
//     WeChat's undocumented rule, they do, and it holds MaxTags-3.
//   - A new name is checked in this order: blank (empty or only white
//     space), invalid UTF-8 or holding a control character: 45157; over 30
//     bytes of UTF-8: 45158 (ten Chinese characters fit); equal to another
//     tag's name (exact, case-sensitive) or a system tag's name: 45157; then,
//     for a create, the MaxTags limit: 45056.
//   - Updating or deleting tags 0, 1, 2 is 45058, any other unknown id is
//     45159. Ids start at 100 and are never reused.
//   - Deleting a tag with more than 100,000 fans is 45057; deleting a
//     smaller tag removes it from every follower.
//   - batchtagging, batchuntagging and user/tag/get accept tag 2 and refuse
//     tags 0 and 1 with 45159, like any unknown id.
//   - batchtagging/batchuntagging check, in order: list size (empty or over
//     50 openids: 40032, for untagging too), tag id (45159), every openid
//     (49003 for an openid of another AppID, 40003 for anything else that is
//     not a follower), then for tagging that no follower would pass 20 tags
//     (45059; tag 2 counts like any other). Nothing changes unless the whole
//     request is valid. Tagging a tagged follower, untagging an untagged one
//     or naming an openid twice is a no-op.
//   - getidlist lists a follower's tags in the order they were applied (the
//     official example answers [134, 2]); an empty openid is 40003.
//   - user/tag/get lists fans in the order they followed the account, at
//     most Config.PageSize per page. next_openid is the last openid returned
//     even on the last page; the page after the last, or any page of a tag
//     without fans, is exactly {"count":0}. A next_openid that is not a
//     follower is 40003 (49003 when it belongs to another AppID).
//
// # Admin API
//
// Under /_mock/, a path the real API never uses; no token, not counted by
// Calls. Refusals are non-2xx with {"error":"..."}: 400 for a bad request,
// 404/405 for an unknown path or method, 422 with "errcode" too when an API
// rule refused the change. Changes answer {"ok":true} unless noted.
//
//	GET  /_mock/calls            {"/cgi-bin/tags/get":3,...}
//	POST /_mock/calls/reset
//	GET  /_mock/state            {"tags":[{"id","name","count"}],"followers":[{"openid","tagid_list"}]}
//	GET  /_mock/followers        {"openids":[...]}
//	POST /_mock/followers        {"openid":"..."}
//	POST /_mock/tags/create      {"name":"..."} -> {"id":100,"name":"..."}
//	POST /_mock/tags/rename      {"id":100,"name":"..."}
//	POST /_mock/tags/delete      {"id":100}
//	POST /_mock/users/tag        {"openid":"...","tagid":100}
//	POST /_mock/users/untag      {"openid":"...","tagid":100}
//	POST /_mock/tokens/issue     -> {"access_token":"..."}
//	POST /_mock/tokens/expire
//	GET  /_mock/tokens           {"issued":["86_...",...]}
//	POST /_mock/fail             {"path":"/cgi-bin/tags/get","errcode":-1}
//	POST /_mock/faults           {"seed":1,"errcode_rate":0.1,"errcodes":[-1,45011,45169],
//	                              "http500_rate":0.1,"drop_rate":0.05,"lost_response_rate":0.05,
//	                              "latency":"50ms","paths":["/cgi-bin/tags/members/batchtagging"]}
//	GET  /_mock/faults           {"faults":{...as posted...},"stats":{"errcodes":{"-1":3},
//	                              "http500":2,"drops":1,"lost_responses":1,"calls":40}}
//	DELETE /_mock/faults         (as does POST /_mock/faults with {})
//
// POST /_mock/faults replaces the faults in force and resets the stats;
// every field may be left out (the Faults zero value), latency is a Go
// duration string, and an unknown field, a rate outside 0..1, rates
// summing over 1, errcode 0, a negative latency or an unknown path is 400.
//
// Not simulated unless queued with FailNext or injected with SetFaults: -1
// system busy, 45011 on tag endpoints, 45159 right after a tag is created,
// 45169 concurrent tagging, 48001 unverified account, and the IP whitelist
// errors of the token endpoints.
package mockwechat
