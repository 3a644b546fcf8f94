package wechat_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

// Every stable_token call is one of 10,000 a minute shared with the account's production
// servers, so many concurrent resources must share one fetch.
func TestStableTokenSource_fetchesOnceForManyConcurrentCalls(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	const callers = 50
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			_, err := f.client.ListTags(t.Context())
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	requireCallCount(t, f.mock, pathStableToken, 1)
	requireCallCount(t, f.mock, pathList, callers)
}

// When a token dies under many concurrent calls, the first to notice fetches a new one
// and the others, rejected with the same stale token, use it instead of fetching again.
func TestStableTokenSource_concurrentRejectionsShareOneRefresh(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	_, err := f.client.ListTags(t.Context())
	must(t, err)
	f.mock.ExpireTokens()

	const callers = 20
	var wg sync.WaitGroup
	var failures atomic.Int32
	for range callers {
		wg.Go(func() {
			if _, err := f.client.ListTags(t.Context()); err != nil {
				failures.Add(1)
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if failures.Load() != 0 {
		return
	}
	requireCallCount(t, f.mock, pathStableToken, 2)
	// A caller that starts after the refresh never sees the stale token, so the number of
	// rejected attempts depends on scheduling; none is retried twice.
	if n := f.mock.CallCount(pathList); n < 1+callers || n > 1+2*callers {
		t.Errorf("tags/get was called %d times, want between %d and %d", n, 1+callers, 1+2*callers)
	}
}

func TestClient_expiredTokenIsRefreshedOnceAndTheCallRetried(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	_, err := f.client.ListTags(t.Context())
	must(t, err)
	f.mock.ExpireTokens()

	tag, err := f.client.CreateTag(t.Context(), "广东")
	must(t, err)
	requireCallCount(t, f.mock, pathStableToken, 2)
	requireCallCount(t, f.mock, pathCreate, 2)
	// The refused first attempt changed nothing: there is one tag, not two.
	if tags := f.mock.Tags(); len(tags) != 2 || tags[1].ID != tag.ID {
		t.Errorf("the mock holds %v, want the starred tag and %v", tags, tag)
	}

	type seen struct {
		endpoint string
		attempt  int
		code     int
	}
	var got []seen
	for _, c := range f.log.all() {
		code, _ := wechat.ErrorCode(c.Err)
		if c.Err != nil && code == 0 {
			t.Errorf("call %+v failed without an errcode", c)
		}
		got = append(got, seen{c.Endpoint, c.Attempt, code})
	}
	want := []seen{
		{"stable_token", 1, 0},
		{"tags/get", 1, 0},
		{"tags/create", 1, wechat.CodeAccessTokenExpired},
		{"stable_token", 1, 0},
		{"tags/create", 2, 0},
	}
	if !slices.Equal(got, want) {
		t.Errorf("the observer saw %v, want %v", got, want)
	}
}

func TestClient_everyTokenRejectionCodeGetsOneRefresh(t *testing.T) {
	for _, code := range []int{wechat.CodeInvalidCredential, wechat.CodeInvalidAccessToken, wechat.CodeAccessTokenExpired} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			f := newFixture(t, mockwechat.Config{})
			must(t, f.mock.FailNext(pathList, code))

			_, err := f.client.ListTags(t.Context())
			must(t, err)
			requireCallCount(t, f.mock, pathList, 2)
			requireCallCount(t, f.mock, pathStableToken, 2)
			if got := f.log.attempts("tags/get"); !slices.Equal(got, []int{1, 2}) {
				t.Errorf("tags/get attempts %v, want [1 2]", got)
			}
		})
	}
}

// Some SDKs retry 40001 forever; a token refused right after a refresh is a configuration
// problem that another refresh will not fix.
func TestClient_tokenRejectedTwiceIsNotRetriedAThirdTime(t *testing.T) {
	f := newFixture(t, mockwechat.Config{Followers: twoFans})
	must(t, f.mock.FailNext(pathIDList, wechat.CodeInvalidCredential))
	must(t, f.mock.FailNext(pathIDList, wechat.CodeInvalidCredential))

	_, err := f.client.FollowerTags(t.Context(), twoFans[0])
	requireAPIError(t, err, "tags/getidlist", wechat.CodeInvalidCredential)
	if !wechat.IsTokenRejected(err) || wechat.IsTransient(err) {
		t.Errorf("IsTokenRejected = %v, IsTransient = %v; want true, false", wechat.IsTokenRejected(err), wechat.IsTransient(err))
	}
	requireCallCount(t, f.mock, pathIDList, 2)
	requireCallCount(t, f.mock, pathStableToken, 2)
	if got := f.log.attempts("tags/getidlist"); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("attempts %v, want [1 2]", got)
	}
}

func TestClient_staticTokenIsUsedAsGivenAndNeverRefreshed(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	client := newClient(t, f.cfg, wechat.StaticToken(f.mock.IssueAccessToken()))

	_, err := client.ListTags(t.Context())
	must(t, err)
	requireCallCount(t, f.mock, pathStableToken, 0)

	f.mock.ExpireTokens()
	_, err = client.ListTags(t.Context())
	requireAPIError(t, err, "tags/get", wechat.CodeAccessTokenExpired)
	if errors.Is(err, wechat.ErrTokenNotRefreshable) {
		t.Error("the error is about refreshing, not the service's refusal")
	}
	requireCallCount(t, f.mock, pathStableToken, 0)
	requireCallCount(t, f.mock, pathList, 2)
	if got := f.log.attempts("tags/get"); !slices.Equal(got, []int{1, 1}) {
		t.Errorf("attempts %v, want [1 1]", got)
	}
}

func TestClient_staticTokensTheServiceRefuses(t *testing.T) {
	tests := []struct {
		name  string
		token string
		code  int
	}{
		{"never issued", "86_" + fmt.Sprintf("%0154d", 0), wechat.CodeInvalidCredential},
		{"not shaped like a token", "not a token!", wechat.CodeInvalidAccessToken},
		// No token at all sends no access_token parameter: the service says it is missing.
		{"empty", "", wechat.CodeAccessTokenMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, mockwechat.Config{})
			client := newClient(t, f.cfg, wechat.StaticToken(tt.token))
			_, err := client.ListTags(t.Context())
			requireAPIError(t, err, "tags/get", tt.code)
			requireCallCount(t, f.mock, pathList, 1)
			requireCallCount(t, f.mock, pathStableToken, 0)
		})
	}
}

func TestStaticToken(t *testing.T) {
	token := wechat.StaticToken("abc")
	got, err := token.Token(t.Context())
	if got != "abc" || err != nil {
		t.Errorf("Token = %q, %v", got, err)
	}
	if _, err := token.Refresh(t.Context(), "abc"); !errors.Is(err, wechat.ErrTokenNotRefreshable) {
		t.Errorf("Refresh = %v, want ErrTokenNotRefreshable", err)
	}
}

func TestStableTokenSource_refusedCredentials(t *testing.T) {
	tests := []struct {
		name          string
		appID, secret string
		code          int
	}{
		{"bad secret", testAppID, "0000000000000000000000000000000f", 40125},
		{"wrong appid", "wx0000000000000000", testSecret, 40013},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, mockwechat.Config{})
			tokens, err := wechat.NewTokenSource(f.cfg, wechat.StableTokenEndpoint, tt.appID, tt.secret)
			must(t, err)
			client := newClient(t, f.cfg, tokens)

			_, err = client.ListTags(t.Context())
			requireAPIError(t, err, "stable_token", tt.code)
			if wechat.IsTokenRejected(err) || wechat.IsTransient(err) {
				t.Error("bad credentials read as a rejected token or a transient failure")
			}
			requireCallCount(t, f.mock, pathList, 0)
			requireCallCount(t, f.mock, pathStableToken, 1)
		})
	}
}

func TestStableTokenSource_aBusyTokenServiceIsTransient(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	must(t, f.mock.FailNext(pathStableToken, wechat.CodeSystemBusy))
	tokens, err := wechat.NewTokenSource(f.cfg, wechat.StableTokenEndpoint, testAppID, testSecret)
	must(t, err)
	clock := newFakeClock()
	wechat.SetClock(tokens, clock.now)
	client := newClient(t, f.cfg, tokens)

	_, err = client.ListTags(t.Context())
	requireAPIError(t, err, "stable_token", wechat.CodeSystemBusy)
	if !wechat.IsTransient(err) {
		t.Error("IsTransient = false")
	}
	// A failed fetch is remembered for a while only: the first call after that fetches
	// again and succeeds.
	clock.advance(wechat.FailedFetchReuse)
	_, err = client.ListTags(t.Context())
	must(t, err)
	requireCallCount(t, f.mock, pathStableToken, 2)
}

// When the token is rejected and fetching a new one fails, the fetch's error is the one
// callers act on (a busy token endpoint is transient), and the message keeps both.
func TestClient_aFailedRefreshIsJudgedByTheRefreshError(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	_, err := f.client.ListTags(t.Context())
	must(t, err)
	f.mock.ExpireTokens()
	must(t, f.mock.FailNext(pathStableToken, wechat.CodeSystemBusy))

	_, err = f.client.ListTags(t.Context())
	requireAPIError(t, err, "stable_token", wechat.CodeSystemBusy)
	if !wechat.IsTransient(err) {
		t.Errorf("IsTransient(%q) = false, want true: the token endpoint was only busy", err)
	}
	if !strings.Contains(err.Error(), "tags/get: errcode 42001") {
		t.Errorf("the error %q does not say the token was rejected first", err)
	}
	requireCallCount(t, f.mock, pathList, 2)
}

// A call waiting for another caller's token fetch can still be cancelled: Terraform's
// interrupt must not hang behind a slow token endpoint.
func TestStableTokenSource_aWaitingCallerCanGiveUp(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		fmt.Fprint(w, `{"access_token":"86_fresh","expires_in":7200}`)
	}))
	t.Cleanup(srv.Close)
	tokens, err := wechat.NewTokenSource(wechat.Config{BaseURL: srv.URL}, wechat.StableTokenEndpoint, testAppID, testSecret)
	must(t, err)

	first := make(chan error, 1)
	go func() {
		token, err := tokens.Token(t.Context())
		if err == nil && token != "86_fresh" {
			err = fmt.Errorf("got token %q", token)
		}
		first <- err
	}()
	<-entered

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := tokens.Token(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("the waiting caller got %v, want context.DeadlineExceeded", err)
	}
	close(release)
	must(t, <-first)
}

func TestStableTokenSource_cachesUntilShortlyBeforeExpiry(t *testing.T) {
	tests := []struct {
		expiresIn int
		wantCalls int32
	}{
		{7200, 1},
		{300, 1},
		// A token with less than the renewal margin left is replaced before each use.
		{30, 3},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("expires_in %d", tt.expiresIn), func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := calls.Add(1)
				fmt.Fprintf(w, `{"access_token":"86_token%d","expires_in":%d}`, n, tt.expiresIn)
			}))
			t.Cleanup(srv.Close)
			tokens, err := wechat.NewTokenSource(wechat.Config{BaseURL: srv.URL}, wechat.StableTokenEndpoint, testAppID, testSecret)
			must(t, err)
			for range 3 {
				_, err := tokens.Token(t.Context())
				must(t, err)
			}
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("%d fetches, want %d", got, tt.wantCalls)
			}
		})
	}
}

func TestStableTokenSource_refusesAResponseWithoutAToken(t *testing.T) {
	for _, body := range []string{`{}`, `{"access_token":"86_x"}`, `{"expires_in":7200}`, `{"access_token":"86_x","expires_in":0}`} {
		t.Run(body, func(t *testing.T) {
			srv := httptest.NewServer(replyWith(http.StatusOK, body))
			t.Cleanup(srv.Close)
			tokens, err := wechat.NewTokenSource(wechat.Config{BaseURL: srv.URL}, wechat.StableTokenEndpoint, testAppID, testSecret)
			must(t, err)
			if token, err := tokens.Token(t.Context()); err == nil {
				t.Errorf("Token = %q, nil; want an error", token)
			}
		})
	}
}

// The stable_token request is the documented one: never force_refresh, which is limited to
// 20 a day and revokes the token the account's own servers hold.
func TestStableTokenSource_neverForcesARefresh(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	_, err := f.client.ListTags(t.Context())
	must(t, err)
	// The mock refuses a forced refresh within 30 s of another with 45011, so three
	// refreshes in a row succeeding show that none was forced. The body says so too.
	for range 3 {
		f.mock.ExpireTokens()
		_, err = f.client.ListTags(t.Context())
		must(t, err)
	}
	requireCallCount(t, f.mock, pathStableToken, 4)

	body := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		body <- string(b)
		fmt.Fprint(w, `{"access_token":"86_x","expires_in":7200}`)
	}))
	t.Cleanup(srv.Close)
	tokens, err := wechat.NewTokenSource(wechat.Config{BaseURL: srv.URL}, wechat.StableTokenEndpoint, testAppID, testSecret)
	must(t, err)
	_, err = tokens.Token(t.Context())
	must(t, err)
	want := fmt.Sprintf(`{"grant_type":"client_credential","appid":%q,"secret":%q,"force_refresh":false}`+"\n", testAppID, testSecret)
	if got := <-body; got != want {
		t.Errorf("stable_token body %q, want %q", got, want)
	}
}

func TestSharedTokenSource_isSharedPerServiceEndpointAndCredentials(t *testing.T) {
	// Credentials of this test only: the registry is process-wide.
	appID, secret := "wx"+t.Name(), "secret-"+t.Name()
	base := wechat.Config{BaseURL: "https://api.example.test"}
	src := func(cfg wechat.Config, appID, secret string) *wechat.CachedTokenSource {
		s, err := wechat.SharedTokenSource(cfg, wechat.StableTokenEndpoint, appID, secret)
		must(t, err)
		return s
	}
	first := src(base, appID, secret)

	same := map[string]*wechat.CachedTokenSource{
		"same arguments":                src(base, appID, secret),
		"trailing slash on the address": src(wechat.Config{BaseURL: base.BaseURL + "/"}, appID, secret),
		// The observer and the HTTP client's transport cannot be compared: the first
		// caller's serve.
		"another observer":  src(wechat.Config{BaseURL: base.BaseURL, Observer: func(context.Context, wechat.CallInfo) {}}, appID, secret),
		"another transport": src(wechat.Config{BaseURL: base.BaseURL, HTTPClient: &http.Client{Transport: &http.Transport{}}}, appID, secret),
	}
	for name, s := range same {
		if s != first {
			t.Errorf("%s: got another source", name)
		}
	}
	legacy, err := wechat.SharedTokenSource(base, wechat.LegacyTokenEndpoint, appID, secret)
	must(t, err)
	different := map[string]*wechat.CachedTokenSource{
		"another endpoint": legacy,
		"another AppID":    src(base, appID+"x", secret),
		"another secret":   src(base, appID, secret+"x"),
		"another address":  src(wechat.Config{BaseURL: "https://api2.example.test"}, appID, secret),
		// The separator keeps ("ab", "c") and ("a", "bc") apart.
		"shifted boundary": src(base, appID+secret[:1], secret[1:]),
		// Provider aliases with their own request_timeout or max_retries each get them.
		"another request timeout": src(wechat.Config{BaseURL: base.BaseURL, HTTPClient: &http.Client{Timeout: time.Second}}, appID, secret),
		"another retry budget":    src(wechat.Config{BaseURL: base.BaseURL, Retry: wechat.RetryPolicy{MaxRetries: 1}}, appID, secret),
		"another backoff":         src(wechat.Config{BaseURL: base.BaseURL, Retry: wechat.RetryPolicy{MinBackoff: time.Second}}, appID, secret),
		"another longest wait":    src(wechat.Config{BaseURL: base.BaseURL, Retry: wechat.RetryPolicy{MaxBackoff: time.Second}}, appID, secret),
	}
	for name, s := range different {
		if s == first {
			t.Errorf("%s: got the same source", name)
		}
	}
	timed := wechat.Config{BaseURL: base.BaseURL, HTTPClient: &http.Client{Timeout: time.Second}, Retry: fastRetry}
	if first, again := src(timed, appID, secret), src(timed, appID, secret); first != again {
		t.Error("the same timeout and retry policy got another source")
	}
}

func TestSharedTokenSource_sharesTheFetchedToken(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	cfg := privateAddress(t, wechat.Config{BaseURL: f.cfg.BaseURL})
	for range 3 {
		tokens, err := wechat.SharedTokenSource(cfg, wechat.StableTokenEndpoint, testAppID, testSecret)
		must(t, err)
		_, err = newClient(t, cfg, tokens).ListTags(t.Context())
		must(t, err)
	}
	requireCallCount(t, f.mock, pathStableToken, 1)
	requireCallCount(t, f.mock, pathList, 3)
}

func TestClient_observerSeesEveryCall(t *testing.T) {
	fans := mockwechat.GenerateOpenIDs(60, 5)
	f := newFixture(t, mockwechat.Config{Followers: fans, Tags: []string{"广东"}})
	must(t, f.client.TagFollowers(t.Context(), firstTagID, fans[:50]))
	must(t, f.client.TagFollowers(t.Context(), firstTagID, fans[50:]))
	must(t, f.mock.FailNext(pathList, wechat.CodeSystemBusy))
	_, err := f.client.ListTags(t.Context())
	if err == nil {
		t.Fatal("the injected failure did not happen")
	}

	calls := f.log.all()
	var endpoints []string
	for _, c := range calls {
		endpoints = append(endpoints, c.Endpoint)
		if c.Attempt != 1 || c.Duration <= 0 {
			t.Errorf("call %+v: want attempt 1 and a duration", c)
		}
	}
	want := []string{"stable_token", "tags/members/batchtagging", "tags/members/batchtagging", "tags/get"}
	if !slices.Equal(endpoints, want) {
		t.Errorf("observed %v, want %v", endpoints, want)
	}
	if last := calls[len(calls)-1]; !wechat.HasCode(last.Err, wechat.CodeSystemBusy) {
		t.Errorf("the failed call was observed with error %v", last.Err)
	}
}

// tokenEndpoint serves a token endpoint answering each call with reply(n), n counting
// the calls from 1, and returns a source of it of its own, on clock.
func tokenEndpoint(t *testing.T, cfg wechat.Config, clock *fakeClock, reply func(n int32) string) (*wechat.CachedTokenSource, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, reply(calls.Add(1)))
	}))
	t.Cleanup(srv.Close)
	cfg.BaseURL = srv.URL
	tokens, err := wechat.NewTokenSource(cfg, wechat.StableTokenEndpoint, testAppID, testSecret)
	must(t, err)
	wechat.SetClock(tokens, clock.now)
	return tokens, &calls
}

// A refresh of many resources while stable_token is down must not make each of them run
// a retry chain of its own: the callers waiting for a fetch share its failure, and so do
// those that come shortly after, until FailedFetchReuse has passed.
func TestCachedTokenSource_callersShareAFailedFetchForAWhile(t *testing.T) {
	clock := newFakeClock()
	var healthy atomic.Bool
	tokens, calls := tokenEndpoint(t, wechat.Config{Retry: fastRetry}, clock, func(n int32) string {
		if healthy.Load() {
			return fmt.Sprintf(`{"access_token":"86_token%d","expires_in":7200}`, n)
		}
		return busyReply
	})
	chain := int32(fastRetry.MaxRetries + 1)

	const callers = 20
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() { _, errs[i] = tokens.Token(t.Context()) })
	}
	wg.Wait()
	for i, err := range errs {
		if !wechat.HasCode(err, wechat.CodeSystemBusy) {
			t.Errorf("caller %d got %v, want the busy error", i, err)
		}
	}
	if got := calls.Load(); got != chain {
		t.Fatalf("%d callers made %d stable_token calls, want one retry chain of %d", callers, got, chain)
	}

	// Callers that reach the token shortly after, refreshing a rejected one included,
	// are answered with the same failure and no call.
	healthy.Store(true)
	clock.advance(wechat.FailedFetchReuse - time.Second)
	if _, err := tokens.Token(t.Context()); !wechat.HasCode(err, wechat.CodeSystemBusy) {
		t.Errorf("Token within the window = %v, want the remembered busy error", err)
	}
	if _, err := tokens.Refresh(t.Context(), "86_rejected"); !wechat.HasCode(err, wechat.CodeSystemBusy) {
		t.Errorf("Refresh within the window = %v, want the remembered busy error", err)
	}
	if got := calls.Load(); got != chain {
		t.Errorf("within the window the source made %d calls more", got-chain)
	}

	// After it, the next caller fetches again.
	clock.advance(time.Second)
	token, err := tokens.Token(t.Context())
	must(t, err)
	if want := fmt.Sprintf("86_token%d", chain+1); token != want || calls.Load() != chain+1 {
		t.Errorf("after the window Token = %q after %d calls, want %q after %d", token, calls.Load(), want, chain+1)
	}
}

// Concurrent callers share one successful fetch, and its token. The fetch is held until
// every caller waits for it: a caller that arrived after it ended would be answered from
// the cache, which proves nothing of sharing.
func TestCachedTokenSource_callersShareASuccessfulFetch(t *testing.T) {
	release := make(chan struct{})
	var releaseOnce sync.Once
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		<-release
		fmt.Fprintf(w, `{"access_token":"86_token%d","expires_in":7200}`, n)
	}))
	t.Cleanup(srv.Close)
	// Registered after srv.Close, so run before it: a held handler would keep Close waiting.
	t.Cleanup(func() { releaseOnce.Do(func() { close(release) }) })
	tokens, err := wechat.NewTokenSource(wechat.Config{BaseURL: srv.URL}, wechat.StableTokenEndpoint, testAppID, testSecret)
	must(t, err)

	const callers = 20
	got := make([]string, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() { got[i], errs[i] = tokens.Token(t.Context()) })
	}
	deadline := time.Now().Add(10 * time.Second)
	for wechat.FetchWaiters(tokens) < callers {
		if n := calls.Load(); n > 1 {
			t.Fatalf("%d stable_token calls while the first was in flight, want 1", n)
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s, %d of %d callers wait for the fetch in flight", wechat.FetchWaiters(tokens), callers)
		}
		time.Sleep(time.Millisecond)
	}
	releaseOnce.Do(func() { close(release) })
	wg.Wait()
	for i, token := range got {
		if errs[i] != nil || token != "86_token1" {
			t.Errorf("caller %d got %q, %v; want 86_token1", i, token, errs[i])
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("%d stable_token calls, want 1", n)
	}
}

// Refresh fetches anew only while the token it was handed is the one cached: when
// another caller has replaced it, the replacement serves.
func TestCachedTokenSource_refreshReplacesOnlyTheStaleToken(t *testing.T) {
	tokens, calls := tokenEndpoint(t, wechat.Config{}, newFakeClock(), func(n int32) string {
		return fmt.Sprintf(`{"access_token":"86_token%d","expires_in":7200}`, n)
	})
	steps := []struct {
		name  string
		call  func() (string, error)
		want  string
		calls int32
	}{
		{"Token", func() (string, error) { return tokens.Token(t.Context()) }, "86_token1", 1},
		{"Refresh of the cached token", func() (string, error) { return tokens.Refresh(t.Context(), "86_token1") }, "86_token2", 2},
		{"Refresh of a token already replaced", func() (string, error) { return tokens.Refresh(t.Context(), "86_token1") }, "86_token2", 2},
		{"Token after the refresh", func() (string, error) { return tokens.Token(t.Context()) }, "86_token2", 2},
		{"Refresh of the new token", func() (string, error) { return tokens.Refresh(t.Context(), "86_token2") }, "86_token3", 3},
	}
	for _, step := range steps {
		token, err := step.call()
		must(t, err)
		if token != step.want || calls.Load() != step.calls {
			t.Errorf("%s = %q after %d calls, want %q after %d", step.name, token, calls.Load(), step.want, step.calls)
		}
	}
}

// When every caller waiting for a fetch has given up, the fetch is stopped, not left to
// wait out its backoff, and its end is no failure of the service to remember: the next
// caller fetches at once.
func TestCachedTokenSource_aFetchNoOneWaitsForIsStoppedAndNotRemembered(t *testing.T) {
	hourly := wechat.RetryPolicy{MaxRetries: 3, MinBackoff: time.Hour, MaxBackoff: time.Hour}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	waiting := func(_ context.Context, call wechat.CallInfo) {
		if call.RetryIn > 0 {
			cancel()
		}
	}
	tokens, calls := tokenEndpoint(t, wechat.Config{Retry: hourly, Observer: waiting}, newFakeClock(), func(n int32) string {
		if n == 1 {
			return busyReply
		}
		return `{"access_token":"86_fresh","expires_in":7200}`
	})

	if _, err := tokens.Token(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("the caller that gave up got %v, want context.Canceled", err)
	}
	done := make(chan error, 1)
	go func() {
		token, err := tokens.Token(t.Context())
		if err == nil && token != "86_fresh" {
			err = fmt.Errorf("got token %q", token)
		}
		done <- err
	}()
	select {
	case err := <-done:
		must(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("the next caller is waiting for the abandoned fetch")
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("%d stable_token calls, want 2: the abandoned fetch's, then the next caller's", n)
	}
}
