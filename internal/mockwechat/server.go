package mockwechat

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config describes the account the mock serves. Zero values take the
// documented defaults.
type Config struct {
	AppID     string // required for the token endpoints
	AppSecret string

	// Followers are the openids of the account's followers, in the order
	// they followed it.
	Followers []string
	// ForeignOpenIDs are well-formed openids of another AppID: tag calls
	// naming them fail with 49003.
	ForeignOpenIDs []string
	// Tags are the names of user tags that exist at start, as if made by
	// another administrator; they get ids 100, 101, ... New panics if one
	// breaks a naming rule or the MaxTags limit.
	Tags []string

	TokenLifetime    time.Duration // default 7200 s
	TokenGracePeriod time.Duration // default 5 min; negative: none
	MaxTags          int           // tags an account holds; default 100
	// CountSystemTags counts the 3 system tags towards MaxTags, so that an account holds
	// MaxTags-3 tags it created. Whether WeChat counts them is not documented; by
	// default the mock does not.
	CountSystemTags bool
	PageSize        int // user/tag/get page size; default 10,000
	// DailyQuotas are daily call limits by API path, such as
	// {"/cgi-bin/tags/getidlist": 500}; see quotas.go for the others.
	DailyQuotas map[string]int
	Now         func() time.Time
}

// Tag is a tag as tags/get lists it.
type Tag struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Count int    `json:"count"` // followers with the tag
}

// Error is a refusal under the API's rules, carrying the errcode and errmsg
// (without request id) the real service would answer.
type Error struct {
	Code    int
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("errcode %d: %s", e.Code, e.Message) }

var errmsgs = map[int]string{
	-1:    "system error",
	40001: "invalid credential, access_token is invalid or not latest",
	40002: "invalid grant_type",
	40003: "invalid openid",
	40013: "invalid appid",
	40014: "invalid access_token",
	40032: "invalid openid list size",
	40066: "invalid url",
	40125: "invalid appsecret",
	41001: "access_token missing",
	41002: "appid missing",
	41004: "appsecret missing",
	42001: "access_token expired",
	43001: "require GET method",
	43002: "require POST method",
	44002: "empty post data",
	45009: "reach max api daily quota limit",
	45011: "api minute-quota reach limit  mustslower  retry next minute",
	45056: "too many tag now, no need to add new",
	45057: "can't delete the tag that has too many fans",
	45058: "can't modify sys tag",
	45059: "can not tagging one user too much",
	45157: "invalid tag name",
	45158: "tag name too long",
	45159: "invalid tag id",
	45169: "openid much req",
	47001: "data format error",
	48001: "api unauthorized",
	49003: "not match openid with appid",
	76003: "invalid cgi_path",
	76021: "cgi_path not found, please check",
	76022: "could not use this cgi_path, no permission",
}

func apiError(code int) error {
	return &Error{Code: code, Message: cmp.Or(errmsgs[code], "mock injected error")}
}

// wxStatus is both the error body and the {"errcode":0,"errmsg":"ok"} body.
type wxStatus struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

var okReply = wxStatus{ErrMsg: "ok"}

// Server is the mock account. All state sits behind mu, so requests,
// out-of-band changes and inspection may run concurrently.
type Server struct {
	cfg Config

	mu       sync.Mutex
	calls    map[string]int
	queued   map[string][]int // by FailNext
	injector injector         // by SetFaults

	tags      map[int64]*Tag // user tags and system tag 2
	nextTagID int64
	followers map[string]*follower
	order     []*follower // follow order
	foreign   map[string]bool

	tokens      map[string]*token
	issued      []string // every token value, in the order minted
	latest      *token   // newest /cgi-bin/token token
	stable      *token   // current stable_token token
	lastForce   time.Time
	daily       map[string]*quota // by API path; /cgi-bin/token's counts issued tokens
	stableQuota quota
	forceQuota  quota
}

// New returns a mock serving the account cfg describes.
func New(cfg Config) *Server {
	cfg.TokenLifetime = cmp.Or(cfg.TokenLifetime, 7200*time.Second)
	cfg.TokenGracePeriod = cmp.Or(cfg.TokenGracePeriod, 5*time.Minute)
	cfg.MaxTags = cmp.Or(cfg.MaxTags, 100)
	cfg.PageSize = cmp.Or(cfg.PageSize, 10000)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{
		cfg:         cfg,
		calls:       map[string]int{},
		queued:      map[string][]int{},
		injector:    newInjector(Faults{}),
		tags:        map[int64]*Tag{starredTagID: {ID: starredTagID, Name: systemTagNames[starredTagID]}},
		nextTagID:   firstUserTagID,
		followers:   map[string]*follower{},
		foreign:     map[string]bool{},
		tokens:      map[string]*token{},
		daily:       newDailyQuotas(cfg.DailyQuotas),
		stableQuota: quota{limit: 10000, window: minute},
		forceQuota:  quota{limit: 20, window: chinaDay},
	}
	for _, openid := range cfg.Followers {
		s.addFollower(openid)
	}
	for _, openid := range cfg.ForeignOpenIDs {
		s.foreign[openid] = true
	}
	for _, name := range cfg.Tags {
		if _, err := s.createTag(name); err != nil {
			panic(fmt.Sprintf("mockwechat: Config.Tags: %q: %v", name, err))
		}
	}
	return s
}

type endpoint struct {
	method      string
	credentials bool // token endpoints take appid and secret, not an access_token
	handle      func(*Server, *call) (any, error)
}

var endpoints = map[string]endpoint{
	"/cgi-bin/token":                       {http.MethodGet, true, (*Server).getToken},
	"/cgi-bin/stable_token":                {http.MethodPost, true, (*Server).getStableToken},
	"/cgi-bin/tags/create":                 {http.MethodPost, false, (*Server).apiCreateTag},
	"/cgi-bin/tags/get":                    {http.MethodGet, false, (*Server).apiListTags},
	"/cgi-bin/tags/update":                 {http.MethodPost, false, (*Server).apiUpdateTag},
	"/cgi-bin/tags/delete":                 {http.MethodPost, false, (*Server).apiDeleteTag},
	"/cgi-bin/user/tag/get":                {http.MethodPost, false, (*Server).apiTagFans},
	"/cgi-bin/tags/members/batchtagging":   {http.MethodPost, false, (*Server).apiBatchTagging},
	"/cgi-bin/tags/members/batchuntagging": {http.MethodPost, false, (*Server).apiBatchUntagging},
	"/cgi-bin/tags/getidlist":              {http.MethodPost, false, (*Server).apiUserTagIDs},
	"/cgi-bin/openapi/quota/get":           {http.MethodPost, false, (*Server).apiQuota},
}

var wrongMethod = map[string]int{http.MethodGet: 43001, http.MethodPost: 43002}

// call is one API request, read before the lock is taken so that a slow
// client never holds up the others.
type call struct {
	query   url.Values
	body    []byte
	readErr error
	now     time.Time
}

const maxBodyBytes = 1 << 20

// ServeHTTP serves the API and, under /_mock/, the admin endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, adminPrefix) {
		s.serveAdmin(w, r)
		return
	}
	ep, ok := endpoints[r.URL.Path]
	if !ok {
		// A body without errcode reads as success to the SDKs that never look at the
		// status. The path, not the URL: the query carries tokens and secrets.
		err := &Error{Code: 40066, Message: errmsgs[40066] + " hint: [the mock does not serve " + r.URL.Path + "]"}
		writeAPIReply(w, nil, err, s.cfg.Now())
		return
	}
	c := &call{query: r.URL.Query()}
	c.body, c.readErr = io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if !s.delay(r) {
		return // the client gave up before the call reached the account
	}

	f, reply, err := s.process(r, ep, c)
	switch f.kind {
	case http500Fault:
		writeGatewayError(w)
	case dropFault, lostResponseFault:
		hangUp(w)
	default:
		writeAPIReply(w, reply, err, c.now)
	}
}

func writeAPIReply(w http.ResponseWriter, reply any, err error, now time.Time) {
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			e = &Error{Code: -1, Message: errmsgs[-1]}
		}
		reply = wxStatus{ErrCode: e.Code, ErrMsg: e.Message + " rid: " + requestID(now)}
	}
	writeJSON(w, http.StatusOK, reply)
}

// process decides the call's fault and, unless the fault stops the call
// first, applies the account's rules, under one lock so that counting,
// deciding and changing the account are one step.
func (s *Server) process(r *http.Request, ep endpoint, c *call) (fault, any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.now = s.cfg.Now()
	s.calls[r.URL.Path]++
	f := s.decide(r.URL.Path)
	switch f.kind {
	case noFault, lostResponseFault:
		reply, err := s.serveAPI(r.URL.Path, r.Method, ep, c)
		return f, reply, err
	case errcodeFault:
		return f, nil, apiError(f.errcode)
	}
	return f, nil, nil
}

func (s *Server) serveAPI(path, method string, ep endpoint, c *call) (any, error) {
	if method != ep.method {
		return nil, apiError(wrongMethod[ep.method])
	}
	if !ep.credentials {
		if err := s.checkToken(c.query.Get("access_token"), c.now); err != nil {
			return nil, err
		}
	}
	// /cgi-bin/token counts the tokens it issues itself, after its own checks.
	daily := s.daily[path]
	if path == tokenPath {
		return ep.handle(s, c)
	}
	if daily.remaining(c.now) == 0 {
		return nil, apiError(45009)
	}
	reply, err := ep.handle(s, c)
	if err == nil {
		daily.used++
	}
	return reply, err
}

func requestID(now time.Time) string {
	// The low 32 bits of the time, as eight hex digits like the real rids.
	return fmt.Sprintf("%08x-%08x-%08x", uint32(now.Unix()), rand.Uint32(), rand.Uint32()) //nolint:gosec // truncation intended
}

// writeJSON answers v as WeChat does: compact JSON, names unescaped (json.Marshal would
// write "<" as \u003c), and no trailing newline, which co-wechat-api cannot parse.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	body := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// FailNext makes the next request to an API path (e.g.
// "/cgi-bin/tags/get") fail with errcode, before any other check and
// instead of any fault SetFaults would inject; calls queue up. It simulates
// what the mock never does by itself: -1 system busy, 45011 rate limits,
// 45159 right after a create, 45169.
func (s *Server) FailNext(path string, errcode int) error {
	if _, ok := endpoints[path]; !ok {
		return fmt.Errorf("mockwechat: FailNext: %q is not an API path", path)
	}
	if errcode == 0 {
		return errors.New("mockwechat: FailNext: errcode 0 is success")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queued[path] = append(s.queued[path], errcode)
	return nil
}

// Calls returns how many requests each API path has had since the start or
// the last ResetCalls, successful or not.
func (s *Server) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.calls)
}

// CallCount returns Calls()[path].
func (s *Server) CallCount(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[path]
}

// ResetCalls sets every count back to zero.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.calls)
}
