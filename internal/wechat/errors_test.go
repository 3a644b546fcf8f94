package wechat_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

// Openids shared by the tests of this package.
var (
	twoFans  = mockwechat.GenerateOpenIDs(2, 11)
	stranger = mockwechat.GenerateOpenIDs(1, 12)[0] // follows no account the mock knows
	foreign  = mockwechat.GenerateOpenIDs(1, 13)[0] // follows another AppID
)

// twentyTags names one tag more than a follower can carry.
func twentyTags() []string {
	names := make([]string, wechat.MaxTagsPerFollower+1)
	for i := range names {
		names[i] = fmt.Sprintf("tag %d", i)
	}
	return names
}

func TestClient_serviceRefusalsAreTypedAPIErrors(t *testing.T) {
	tests := []struct {
		name     string
		cfg      mockwechat.Config
		setup    func(t *testing.T, mock *mockwechat.Server)
		call     func(ctx context.Context, c *wechat.Client) error
		endpoint string
		code     int
		msg      string // the mock's errmsg, which must arrive without its rid
		// gone is the tag id a 45159 names when tags/get confirms that the tag is gone.
		gone int64
	}{
		{
			name:     "45056 the account has as many tags as allowed",
			cfg:      mockwechat.Config{MaxTags: 2, Tags: []string{"a", "b"}},
			call:     func(ctx context.Context, c *wechat.Client) error { _, err := c.CreateTag(ctx, "c"); return err },
			endpoint: "tags/create", code: wechat.CodeTagLimitReached, msg: "too many tag now, no need to add new",
		},
		{
			name:     "45058 renaming the starred tag",
			call:     func(ctx context.Context, c *wechat.Client) error { return c.RenameTag(ctx, wechat.TagStarred, "stars") },
			endpoint: "tags/update", code: wechat.CodeSystemTag, msg: "can't modify sys tag",
		},
		{
			name: "45058 renaming the ungrouped tag",
			call: func(ctx context.Context, c *wechat.Client) error {
				return c.RenameTag(ctx, wechat.TagUngrouped, "none")
			},
			endpoint: "tags/update", code: wechat.CodeSystemTag, msg: "can't modify sys tag",
		},
		{
			name:     "45058 deleting the blacklist",
			call:     func(ctx context.Context, c *wechat.Client) error { return c.DeleteTag(ctx, wechat.TagBlacklist) },
			endpoint: "tags/delete", code: wechat.CodeSystemTag, msg: "can't modify sys tag",
		},
		{
			name:     "45058 deleting the starred tag",
			call:     func(ctx context.Context, c *wechat.Client) error { return c.DeleteTag(ctx, wechat.TagStarred) },
			endpoint: "tags/delete", code: wechat.CodeSystemTag, msg: "can't modify sys tag",
		},
		{
			name: "45059 a follower with twenty tags gets a twenty-first",
			cfg:  mockwechat.Config{Followers: twoFans, Tags: twentyTags()},
			setup: func(t *testing.T, mock *mockwechat.Server) {
				for id := firstTagID; id < firstTagID+wechat.MaxTagsPerFollower; id++ {
					must(t, mock.TagUser(twoFans[0], id))
				}
			},
			call: func(ctx context.Context, c *wechat.Client) error {
				return c.TagFollowers(ctx, firstTagID+wechat.MaxTagsPerFollower, twoFans)
			},
			endpoint: "tags/members/batchtagging", code: wechat.CodeUserTagLimitReached, msg: "can not tagging one user too much",
		},
		{
			name: "40003 tagging someone who does not follow",
			cfg:  mockwechat.Config{Followers: twoFans, Tags: []string{"a"}},
			call: func(ctx context.Context, c *wechat.Client) error {
				return c.TagFollowers(ctx, firstTagID, []string{twoFans[0], stranger})
			},
			endpoint: "tags/members/batchtagging", code: wechat.CodeInvalidOpenID, msg: "invalid openid",
		},
		{
			name: "40003 untagging someone who does not follow",
			cfg:  mockwechat.Config{Followers: twoFans, Tags: []string{"a"}},
			call: func(ctx context.Context, c *wechat.Client) error {
				return c.UntagFollowers(ctx, firstTagID, []string{stranger})
			},
			endpoint: "tags/members/batchuntagging", code: wechat.CodeInvalidOpenID, msg: "invalid openid",
		},
		{
			name:     "40003 the tags of someone who does not follow",
			call:     func(ctx context.Context, c *wechat.Client) error { _, err := c.FollowerTags(ctx, stranger); return err },
			endpoint: "tags/getidlist", code: wechat.CodeInvalidOpenID, msg: "invalid openid",
		},
		{
			name: "49003 tagging an openid of another AppID",
			cfg:  mockwechat.Config{Followers: twoFans, ForeignOpenIDs: []string{foreign}, Tags: []string{"a"}},
			call: func(ctx context.Context, c *wechat.Client) error {
				return c.TagFollowers(ctx, firstTagID, []string{foreign})
			},
			endpoint: "tags/members/batchtagging", code: wechat.CodeOpenIDNotOfApp, msg: "not match openid with appid",
		},
		{
			name:     "49003 the tags of an openid of another AppID",
			cfg:      mockwechat.Config{ForeignOpenIDs: []string{foreign}},
			call:     func(ctx context.Context, c *wechat.Client) error { _, err := c.FollowerTags(ctx, foreign); return err },
			endpoint: "tags/getidlist", code: wechat.CodeOpenIDNotOfApp, msg: "not match openid with appid",
		},
		{
			name:     "45157 creating a tag with a name another tag has",
			cfg:      mockwechat.Config{Tags: []string{"广东"}},
			call:     func(ctx context.Context, c *wechat.Client) error { _, err := c.CreateTag(ctx, "广东"); return err },
			endpoint: "tags/create", code: wechat.CodeIllegalTagName, msg: "invalid tag name",
		},
		{
			name:     "45157 creating a tag with the starred tag's name",
			call:     func(ctx context.Context, c *wechat.Client) error { _, err := c.CreateTag(ctx, "星标组"); return err },
			endpoint: "tags/create", code: wechat.CodeIllegalTagName, msg: "invalid tag name",
		},
		{
			name:     "45157 renaming a tag to the name of another",
			cfg:      mockwechat.Config{Tags: []string{"广东", "北京"}},
			call:     func(ctx context.Context, c *wechat.Client) error { return c.RenameTag(ctx, firstTagID, "北京") },
			endpoint: "tags/update", code: wechat.CodeIllegalTagName, msg: "invalid tag name",
		},
		{
			// Only an empty name is caught before sending: what counts as blank is the service's call.
			name:     "45157 a name of white space only",
			call:     func(ctx context.Context, c *wechat.Client) error { _, err := c.CreateTag(ctx, "   "); return err },
			endpoint: "tags/create", code: wechat.CodeIllegalTagName, msg: "invalid tag name",
		},
		{
			name:     "45159 renaming a tag that does not exist",
			call:     func(ctx context.Context, c *wechat.Client) error { return c.RenameTag(ctx, 999, "x") },
			endpoint: "tags/update", code: wechat.CodeInvalidTagID, msg: "invalid tag id", gone: 999,
		},
		{
			name:     "45159 deleting a tag that does not exist",
			call:     func(ctx context.Context, c *wechat.Client) error { return c.DeleteTag(ctx, 999) },
			endpoint: "tags/delete", code: wechat.CodeInvalidTagID, msg: "invalid tag id", gone: 999,
		},
		{
			name:     "45159 tagging with a tag that does not exist",
			cfg:      mockwechat.Config{Followers: twoFans},
			call:     func(ctx context.Context, c *wechat.Client) error { return c.TagFollowers(ctx, 999, twoFans) },
			endpoint: "tags/members/batchtagging", code: wechat.CodeInvalidTagID, msg: "invalid tag id", gone: 999,
		},
		{
			// Tag 1 exists on every account, though tags/get never lists it: not gone.
			name: "45159 tagging with the blacklist, which is not a member tag",
			cfg:  mockwechat.Config{Followers: twoFans},
			call: func(ctx context.Context, c *wechat.Client) error {
				return c.TagFollowers(ctx, wechat.TagBlacklist, twoFans)
			},
			endpoint: "tags/members/batchtagging", code: wechat.CodeInvalidTagID, msg: "invalid tag id",
		},
		{
			name:     "45159 the fans of a tag that does not exist",
			call:     func(ctx context.Context, c *wechat.Client) error { _, err := c.TagMembers(ctx, 999); return err },
			endpoint: "user/tag/get", code: wechat.CodeInvalidTagID, msg: "invalid tag id", gone: 999,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.cfg)
			if tt.setup != nil {
				tt.setup(t, f.mock)
			}
			before := f.mock.Tags()

			err := tt.call(t.Context(), f.client)
			apiErr := requireAPIError(t, err, tt.endpoint, tt.code)
			if apiErr.ErrMsg != tt.msg {
				t.Errorf("ErrMsg = %q, want %q", apiErr.ErrMsg, tt.msg)
			}
			want := fmt.Sprintf("WeChat %s: errcode %d (%s), rid %s", tt.endpoint, tt.code, tt.msg, apiErr.RequestID)
			if tt.gone != 0 {
				want = fmt.Sprintf("WeChat %s: tag %d does not exist on the account (errcode %d (%s), rid %s)",
					tt.endpoint, tt.gone, tt.code, tt.msg, apiErr.RequestID)
			}
			if err.Error() != want {
				t.Errorf("Error() = %q, want %q", err.Error(), want)
			}
			if got := wechat.IsTagNotFound(err); got != (tt.gone != 0) {
				t.Errorf("IsTagNotFound = %v", got)
			}
			// A refusal of the caller's input is neither worth retrying nor a token problem.
			if wechat.IsTransient(err) || wechat.IsTokenRejected(err) {
				t.Errorf("IsTransient = %v, IsTokenRejected = %v; want both false", wechat.IsTransient(err), wechat.IsTokenRejected(err))
			}
			// 49003 says the credentials are wrong, not that a follower is gone.
			if got := wechat.IsUnknownFollower(err); got != (tt.code == wechat.CodeInvalidOpenID) {
				t.Errorf("IsUnknownFollower = %v", got)
			}
			if got := wechat.IsOpenIDOfAnotherApp(err); got != (tt.code == wechat.CodeOpenIDNotOfApp) {
				t.Errorf("IsOpenIDOfAnotherApp = %v", got)
			}
			if got := wechat.IsInvalidTagID(err); got != (tt.code == wechat.CodeInvalidTagID) {
				t.Errorf("IsInvalidTagID = %v", got)
			}
			// Every refusal above is of a request the service rejects whole; the client
			// must not have retried it either.
			if after := f.mock.Tags(); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("the refused call changed the tags from %v to %v", before, after)
			}
			if got := len(f.log.attempts(tt.endpoint)); got != 1 {
				t.Errorf("%d requests to %s, want 1", got, tt.endpoint)
			}
			// A 45159 is checked against tags/get, unless it names a system tag, which
			// tags/get need not list.
			wantLists := 0
			if tt.gone != 0 {
				wantLists = 1
			}
			requireCallCount(t, f.mock, pathList, wantLists)
		})
	}
}

// 45057 needs a tag with more than 100,000 fans; tagging them out of band is cheap.
func TestClient_deletingATagWithMoreThanHundredThousandFansIsRefused(t *testing.T) {
	fans := mockwechat.GenerateOpenIDs(100_001, 57)
	f := newFixture(t, mockwechat.Config{Followers: fans, Tags: []string{"everyone"}})
	for _, fan := range fans {
		must(t, f.mock.TagUser(fan, firstTagID))
	}

	err := f.client.DeleteTag(t.Context(), firstTagID)
	requireAPIError(t, err, "tags/delete", wechat.CodeTagHasTooManyFans)
	if _, ok := f.mock.TagByID(firstTagID); !ok {
		t.Fatal("the refused delete removed the tag")
	}

	// At exactly 100,000 fans the delete goes through.
	must(t, f.client.UntagFollowers(t.Context(), firstTagID, fans[:1]))
	must(t, f.client.DeleteTag(t.Context(), firstTagID))
}

// Input the service would refuse is refused before any request, token request included:
// the mock must see nothing.
func TestClient_invalidInputIsRefusedBeforeAnyRequest(t *testing.T) {
	tooLong := strings.Repeat("标", 10) + "x" // 31 bytes, though only 11 characters
	tests := []struct {
		name string
		call func(ctx context.Context, c *wechat.Client) error
		want error
	}{
		{"create with an empty name", func(ctx context.Context, c *wechat.Client) error { _, err := c.CreateTag(ctx, ""); return err }, wechat.ErrEmptyTagName},
		{"create with a name over 30 bytes", func(ctx context.Context, c *wechat.Client) error { _, err := c.CreateTag(ctx, tooLong); return err }, wechat.ErrTagNameTooLong},
		{"create with 31 ASCII characters", func(ctx context.Context, c *wechat.Client) error {
			_, err := c.CreateTag(ctx, strings.Repeat("x", 31))
			return err
		}, wechat.ErrTagNameTooLong},
		{"rename to an empty name", func(ctx context.Context, c *wechat.Client) error { return c.RenameTag(ctx, firstTagID, "") }, wechat.ErrEmptyTagName},
		{"rename to a name over 30 bytes", func(ctx context.Context, c *wechat.Client) error { return c.RenameTag(ctx, firstTagID, tooLong) }, wechat.ErrTagNameTooLong},
		{"tag no one", func(ctx context.Context, c *wechat.Client) error { return c.TagFollowers(ctx, firstTagID, nil) }, wechat.ErrNoOpenIDs},
		{"untag no one", func(ctx context.Context, c *wechat.Client) error {
			return c.UntagFollowers(ctx, firstTagID, []string{})
		}, wechat.ErrNoOpenIDs},
		{"tag with an empty openid", func(ctx context.Context, c *wechat.Client) error {
			return c.TagFollowers(ctx, firstTagID, append(mockwechat.GenerateOpenIDs(10, 1), ""))
		}, wechat.ErrEmptyOpenID},
		{"tag more openids than one call takes", func(ctx context.Context, c *wechat.Client) error {
			return c.TagFollowers(ctx, firstTagID, mockwechat.GenerateOpenIDs(51, 1))
		}, wechat.ErrTooManyOpenIDs},
		{"untag an empty openid", func(ctx context.Context, c *wechat.Client) error {
			return c.UntagFollowers(ctx, firstTagID, []string{""})
		}, wechat.ErrEmptyOpenID},
		{"the tags of an empty openid", func(ctx context.Context, c *wechat.Client) error { _, err := c.FollowerTags(ctx, ""); return err }, wechat.ErrEmptyOpenID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, mockwechat.Config{Tags: []string{"广东"}})
			err := tt.call(t.Context(), f.client)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if _, ok := wechat.ErrorCode(err); ok || wechat.IsTransient(err) {
				t.Errorf("a local refusal %v reads as a service error or a transient one", err)
			}
			requireNoCalls(t, f.mock)
			if calls := f.log.all(); len(calls) != 0 {
				t.Errorf("the observer saw %v", calls)
			}
		})
	}
}

// FACTS pitfall: SDKs that ignore errcode on tags/get read "busy" as "no tags", and
// Terraform then plans to create every tag again.
func TestClient_busyTagListIsAnErrorNotAnEmptyList(t *testing.T) {
	f := newFixture(t, mockwechat.Config{Tags: []string{"广东"}})
	must(t, f.mock.FailNext(pathList, wechat.CodeSystemBusy))

	tags, err := f.client.ListTags(t.Context())
	requireAPIError(t, err, "tags/get", wechat.CodeSystemBusy)
	if tags != nil {
		t.Errorf("ListTags returned %v with the error, want nil", tags)
	}
	if !wechat.IsTransient(err) {
		t.Error("a busy service is not reported as transient")
	}
	// The client leaves retrying to its caller: one request, and nothing cached.
	requireCallCount(t, f.mock, pathList, 1)
	tags, err = f.client.ListTags(t.Context())
	must(t, err)
	if len(tags) != 2 {
		t.Errorf("the next ListTags returned %v, want the starred tag and 广东", tags)
	}
}

func TestClient_onlyBusyAndRateLimitCodesAreTransient(t *testing.T) {
	tests := []struct {
		code      int
		path      string
		call      func(ctx context.Context, c *wechat.Client) error
		transient bool
	}{
		{wechat.CodeSystemBusy, pathCreate, func(ctx context.Context, c *wechat.Client) error { _, err := c.CreateTag(ctx, "x"); return err }, true},
		{wechat.CodeSystemBusy, pathMembers, func(ctx context.Context, c *wechat.Client) error {
			_, err := c.TagMembers(ctx, wechat.TagStarred)
			return err
		}, true},
		{wechat.CodeFrequencyLimit, pathTag, func(ctx context.Context, c *wechat.Client) error {
			return c.TagFollowers(ctx, wechat.TagStarred, twoFans)
		}, true},
		{wechat.CodeFrequencyLimit, pathIDList, func(ctx context.Context, c *wechat.Client) error {
			_, err := c.FollowerTags(ctx, twoFans[0])
			return err
		}, true},
		{wechat.CodeConcurrentTagging, pathUntag, func(ctx context.Context, c *wechat.Client) error {
			return c.UntagFollowers(ctx, wechat.TagStarred, twoFans)
		}, true},
		// The daily quota resets at midnight: retrying within a run is pointless.
		{wechat.CodeDailyQuotaReached, pathList, func(ctx context.Context, c *wechat.Client) error { _, err := c.ListTags(ctx); return err }, false},
		// Seen right after a create, but not a reason to retry blindly: IsInvalidTagID says what it is.
		{wechat.CodeInvalidTagID, pathTag, func(ctx context.Context, c *wechat.Client) error {
			return c.TagFollowers(ctx, wechat.TagStarred, twoFans)
		}, false},
		{wechat.CodeAPIUnauthorized, pathList, func(ctx context.Context, c *wechat.Client) error { _, err := c.ListTags(ctx); return err }, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d on %s", tt.code, tt.path), func(t *testing.T) {
			f := newFixture(t, mockwechat.Config{Followers: twoFans})
			must(t, f.mock.FailNext(tt.path, tt.code))

			err := tt.call(t.Context(), f.client)
			requireAPIError(t, err, strings.TrimPrefix(tt.path, "/cgi-bin/"), tt.code)
			if got := wechat.IsTransient(err); got != tt.transient {
				t.Errorf("IsTransient = %v, want %v", got, tt.transient)
			}
			if wechat.IsTokenRejected(err) {
				t.Error("IsTokenRejected = true")
			}
			requireCallCount(t, f.mock, tt.path, 1)
			requireCallCount(t, f.mock, pathStableToken, 1)
		})
	}
}

// WeChat answers its own errors with HTTP 200; any other status comes from something in
// front of it.
func TestClient_httpStatusErrors(t *testing.T) {
	tests := []struct {
		status    int
		transient bool
	}{
		{http.StatusInternalServerError, true},
		{http.StatusBadGateway, true},
		{http.StatusServiceUnavailable, true},
		{http.StatusGatewayTimeout, true},
		{http.StatusTooManyRequests, true},
		{http.StatusNotFound, false},
		{http.StatusForbidden, false},
		{http.StatusBadRequest, false},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			client, _ := newStub(t, replyWith(tt.status, "<html>upstream says no</html>\n"))

			tags, err := client.ListTags(t.Context())
			var httpErr *wechat.HTTPError
			if !errors.As(err, &httpErr) {
				t.Fatalf("got %v (%T), want a *wechat.HTTPError", err, err)
			}
			if httpErr.Endpoint != "tags/get" || httpErr.StatusCode != tt.status || httpErr.Body != "<html>upstream says no</html>" {
				t.Errorf("got %+v", httpErr)
			}
			if tags != nil {
				t.Errorf("ListTags returned %v with the error", tags)
			}
			if got := wechat.IsTransient(err); got != tt.transient {
				t.Errorf("IsTransient = %v, want %v", got, tt.transient)
			}
			if _, ok := wechat.ErrorCode(err); ok {
				t.Error("an HTTP error carries an errcode")
			}
		})
	}
}

func TestClient_longErrorPagesAreCutShort(t *testing.T) {
	client, _ := newStub(t, replyWith(http.StatusBadGateway, strings.Repeat("x", 10_000)))
	err := client.DeleteTag(t.Context(), firstTagID)
	var httpErr *wechat.HTTPError
	if !errors.As(err, &httpErr) || len(httpErr.Body) > 300 || !strings.HasPrefix(httpErr.Body, "xxx") {
		t.Errorf("got %v, want an HTTPError with the start of the body only", err)
	}
}

func TestClient_brokenConnectionsAreTransientTransportErrors(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc // nil: nothing listens
	}{
		{"nothing listening", nil},
		{"connection closed without an answer", hangUp},
		{"body cut short", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100")
			fmt.Fprint(w, `{"tags":[`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			if tt.handler == nil {
				srv.Close()
			} else {
				t.Cleanup(srv.Close)
			}
			client := newClient(t, wechat.Config{BaseURL: srv.URL}, wechat.StaticToken(stubToken))

			tags, err := client.ListTags(t.Context())
			var transportErr *wechat.TransportError
			if !errors.As(err, &transportErr) || transportErr.Endpoint != "tags/get" {
				t.Fatalf("got %v (%T), want a TransportError of tags/get", err, err)
			}
			if tags != nil {
				t.Errorf("ListTags returned %v with the error", tags)
			}
			if !wechat.IsTransient(err) {
				t.Error("IsTransient = false")
			}
		})
	}
}

// hangUp closes the connection without answering.
func hangUp(w http.ResponseWriter, r *http.Request) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		_ = conn.Close() // a hang-up has no one to report a failed close to
	}
}

// Cancellation is the caller's own decision (Terraform was interrupted): retrying it
// would be wrong, unlike a timeout.
func TestClient_cancellationIsNotTransientButATimeoutIs(t *testing.T) {
	block := func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

	t.Run("cancelled", func(t *testing.T) {
		client, _ := newStub(t, block)
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(20*time.Millisecond, cancel)
		_, err := client.ListTags(ctx)
		var transportErr *wechat.TransportError
		if !errors.As(err, &transportErr) || !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v (%T), want a TransportError wrapping context.Canceled", err, err)
		}
		if wechat.IsTransient(err) {
			t.Error("IsTransient(cancelled) = true")
		}
	})
	t.Run("cancelled before the token is fetched", func(t *testing.T) {
		f := newFixture(t, mockwechat.Config{})
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := f.client.ListTags(ctx)
		if !errors.Is(err, context.Canceled) || wechat.IsTransient(err) {
			t.Errorf("got %v, transient %v; want context.Canceled, not transient", err, wechat.IsTransient(err))
		}
		requireCallCount(t, f.mock, pathList, 0)
	})
	t.Run("timed out", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(block))
		t.Cleanup(srv.Close)
		client := newClient(t, wechat.Config{BaseURL: srv.URL, HTTPClient: &http.Client{Timeout: 20 * time.Millisecond}}, wechat.StaticToken(stubToken))
		_, err := client.ListTags(t.Context())
		var transportErr *wechat.TransportError
		if !errors.As(err, &transportErr) || !wechat.IsTransient(err) {
			t.Errorf("got %v (%T), transient %v; want a transient TransportError", err, err, wechat.IsTransient(err))
		}
	})
}

func TestIsTransient_ofErrorsFromElsewhere(t *testing.T) {
	for _, err := range []error{nil, errors.New("boom"), context.Canceled, context.DeadlineExceeded, wechat.ErrEmptyTagName} {
		if wechat.IsTransient(err) || wechat.IsTokenRejected(err) || wechat.IsUnknownFollower(err) || wechat.IsOpenIDOfAnotherApp(err) ||
			wechat.IsInvalidTagID(err) || wechat.IsTagNotFound(err) {
			t.Errorf("a helper claims %v", err)
		}
		if _, ok := wechat.ErrorCode(err); ok {
			t.Errorf("ErrorCode(%v) found a code", err)
		}
	}
}

func TestHasCode_matchesAnyOfTheCodesGiven(t *testing.T) {
	err := fmt.Errorf("reading tags: %w", &wechat.APIError{Endpoint: "tags/get", ErrCode: wechat.CodeFrequencyLimit})
	if !wechat.HasCode(err, wechat.CodeSystemBusy, wechat.CodeFrequencyLimit) {
		t.Error("HasCode misses a code in the list through a wrapped error")
	}
	if wechat.HasCode(err, wechat.CodeSystemBusy) || wechat.HasCode(err) {
		t.Error("HasCode matches a code not in the list")
	}
}

// The service's message formats seen in the wild: the rid is cut off wherever it sits
// after the text, and a message without a rid is kept whole.
func TestAPIError_requestIDIsParsedOutOfTheMessage(t *testing.T) {
	tests := []struct {
		errmsg, wantMsg, wantRID string
	}{
		{"invalid tag id rid: 6583a2b1-1c0b0b21-4f3c3d4e", "invalid tag id", "6583a2b1-1c0b0b21-4f3c3d4e"},
		{"invalid credential, access_token is invalid or not latest, could get access_token by getStableAccessToken, more details at https://mmbizurl.cn/s/JtxxFh33r rid: 6583a2b1-1c0b0b21-4f3c3d4e",
			"invalid credential, access_token is invalid or not latest, could get access_token by getStableAccessToken, more details at https://mmbizurl.cn/s/JtxxFh33r", "6583a2b1-1c0b0b21-4f3c3d4e"},
		{"system error, rid: 64b0c1d2-0a1b2c3d-4e5f6a7b", "system error", "64b0c1d2-0a1b2c3d-4e5f6a7b"},
		{"  api unauthorized rid:64b0c1d2-0a1b2c3d-4e5f6a7b  ", "api unauthorized", "64b0c1d2-0a1b2c3d-4e5f6a7b"},
		{"invalid openid", "invalid openid", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.errmsg, func(t *testing.T) {
			body := fmt.Sprintf(`{"errcode":45159,"errmsg":%q}`, tt.errmsg)
			client, _ := newStub(t, replyWith(http.StatusOK, body))
			err := client.DeleteTag(t.Context(), firstTagID)
			var apiErr *wechat.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("got %v (%T)", err, err)
			}
			if apiErr.ErrMsg != tt.wantMsg || apiErr.RequestID != tt.wantRID {
				t.Errorf("ErrMsg %q, RequestID %q; want %q, %q", apiErr.ErrMsg, apiErr.RequestID, tt.wantMsg, tt.wantRID)
			}
		})
	}
}

func TestClient_responseEnvelope(t *testing.T) {
	t.Run("unknown fields are ignored", func(t *testing.T) {
		client, _ := newStub(t, replyWith(http.StatusOK,
			`{"tags":[{"id":2,"name":"星标组","count":3,"color":"gold"}],"errcode":0,"errmsg":"ok","server_time":1}`))
		tags, err := client.ListTags(t.Context())
		must(t, err)
		if len(tags) != 1 || tags[0] != (wechat.Tag{ID: 2, Name: "星标组", Count: 3}) {
			t.Errorf("ListTags = %+v", tags)
		}
	})
	t.Run("a success without errcode is accepted", func(t *testing.T) {
		client, _ := newStub(t, replyWith(http.StatusOK, `{"tag":{"id":134,"name":"广东"}}`))
		tag, err := client.CreateTag(t.Context(), "广东")
		must(t, err)
		if tag.ID != 134 || tag.Name != "广东" {
			t.Errorf("CreateTag = %+v", tag)
		}
	})
	t.Run("an empty object is a success for calls that return nothing", func(t *testing.T) {
		client, _ := newStub(t, replyWith(http.StatusOK, `{}`))
		must(t, client.RenameTag(t.Context(), 134, "广东人"))
	})
	t.Run("an errcode with data is an error", func(t *testing.T) {
		client, _ := newStub(t, replyWith(http.StatusOK,
			`{"errcode":45009,"errmsg":"reach max api daily quota limit rid: 6583a2b1-1c0b0b21-4f3c3d4e","tags":[{"id":2,"name":"星标组","count":0}]}`))
		tags, err := client.ListTags(t.Context())
		requireAPIError(t, err, "tags/get", wechat.CodeDailyQuotaReached)
		if tags != nil {
			t.Errorf("ListTags returned %v with the error", tags)
		}
	})
	t.Run("a non-JSON 200 is a transport error", func(t *testing.T) {
		client, _ := newStub(t, replyWith(http.StatusOK, "<html>Wi-Fi login</html>"))
		_, err := client.ListTags(t.Context())
		var transportErr *wechat.TransportError
		if !errors.As(err, &transportErr) || !strings.Contains(err.Error(), "Wi-Fi login") {
			t.Errorf("got %v (%T), want a TransportError quoting the body", err, err)
		}
	})
	t.Run("a body of the wrong shape is a transport error", func(t *testing.T) {
		client, _ := newStub(t, replyWith(http.StatusOK, `{"tags":"none"}`))
		_, err := client.ListTags(t.Context())
		var transportErr *wechat.TransportError
		if !errors.As(err, &transportErr) {
			t.Errorf("got %v (%T), want a TransportError", err, err)
		}
	})
	// Every account has the starred tag, so a list-less body is no proof of an empty account.
	for _, body := range []string{`{}`, `{"tags":null}`, `{"errcode":0,"errmsg":"ok"}`} {
		t.Run("tags/get answering "+body+" is an error", func(t *testing.T) {
			client, _ := newStub(t, replyWith(http.StatusOK, body))
			if tags, err := client.ListTags(t.Context()); err == nil {
				t.Errorf("ListTags = %v, nil; want an error", tags)
			}
		})
	}
	t.Run("tags/create answering no tag is an error", func(t *testing.T) {
		client, _ := newStub(t, replyWith(http.StatusOK, `{"errcode":0,"errmsg":"ok"}`))
		if tag, err := client.CreateTag(t.Context(), "广东"); err == nil {
			t.Errorf("CreateTag = %+v, nil; want an error", tag)
		}
	})
	t.Run("user/tag/get repeating next_openid ends the listing", func(t *testing.T) {
		// Without the guard a server that never advances would be read forever.
		client, log := newStub(t, replyWith(http.StatusOK, `{"count":1,"data":{"openid":["o1"]},"next_openid":"o1"}`))
		if _, err := client.TagMembers(t.Context(), 134); err != nil || len(log.all()) != 2 {
			t.Errorf("TagMembers = %v after %d calls, want success after 2", err, len(log.all()))
		}
	})
	t.Run("user/tag/get without next_openid ends the listing", func(t *testing.T) {
		client, log := newStub(t, replyWith(http.StatusOK, `{"count":2,"data":{"openid":["o1","o2"]}}`))
		members, err := client.TagMembers(t.Context(), 134)
		if err != nil || len(members) != 2 || len(log.all()) != 1 {
			t.Errorf("TagMembers = %v, %v after %d calls, want both openids after 1", members, err, len(log.all()))
		}
	})
	t.Run("getidlist answering no list is an error", func(t *testing.T) {
		client, _ := newStub(t, replyWith(http.StatusOK, `{}`))
		if ids, err := client.FollowerTags(t.Context(), twoFans[0]); err == nil {
			t.Errorf("FollowerTags = %v, nil; want an error", ids)
		}
	})
}

// The request side of the wire: methods, paths, token and bodies as FACTS.md lists them.
// The mock already refuses a wrong method or shape; this pins what it cannot see.
func TestClient_requestsCarryTheTokenInTheQueryAndJSONBodies(t *testing.T) {
	sent := make(chan string, 1)
	client, _ := newStub(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sent <- fmt.Sprintf("%s %s token=%v ct=%q %s", r.Method, r.URL.Path,
			r.URL.Query().Get("access_token") == stubToken, r.Header.Get("Content-Type"), strings.TrimSpace(string(body)))
		fmt.Fprint(w, `{"tag":{"id":134,"name":"a<b>&c"}}`)
	})
	_, err := client.CreateTag(t.Context(), "a<b>&c")
	must(t, err)
	// The name is sent as it is, not HTML-escaped to \u003c, which WeChat would store literally.
	want := `POST /cgi-bin/tags/create token=true ct="application/json; charset=utf-8" {"tag":{"name":"a<b>&c"}}`
	if got := <-sent; got != want {
		t.Errorf("sent %q, want %q", got, want)
	}
}

func TestNewClient_refusesBadConfiguration(t *testing.T) {
	if _, err := wechat.NewClient(wechat.Config{}, nil); err == nil {
		t.Error("a client without a token source was created")
	}
	for _, base := range []string{"ftp://api.weixin.qq.com", "api.weixin.qq.com", "https://", "https://api.weixin.qq.com?x=1", "https://u:p@api.weixin.qq.com", "https://api.weixin.qq.com/#f", "://"} {
		if _, err := wechat.NewClient(wechat.Config{BaseURL: base}, wechat.StaticToken("t")); err == nil {
			t.Errorf("base URL %q was accepted", base)
		}
		if _, err := wechat.NewTokenSource(wechat.Config{BaseURL: base}, wechat.StableTokenEndpoint, testAppID, testSecret); err == nil {
			t.Errorf("base URL %q was accepted by NewTokenSource", base)
		}
		if _, err := wechat.SharedTokenSource(wechat.Config{BaseURL: base}, wechat.StableTokenEndpoint, testAppID, testSecret); err == nil {
			t.Errorf("base URL %q was accepted by SharedTokenSource", base)
		}
	}
	if _, err := wechat.NewClient(wechat.Config{}, wechat.StaticToken("t")); err != nil {
		t.Errorf("the default base URL was refused: %v", err)
	}
}

// The base URL carries the app secret and the access tokens: plain http only to this
// machine, such as a mock of the service.
func TestValidateBaseURL(t *testing.T) {
	for _, base := range []string{
		"https://api.weixin.qq.com", "https://api.weixin.qq.com/", "https://proxy.example.test:8443/wechat",
		"http://127.0.0.1:8080", "http://127.9.9.9", "http://localhost:1", "http://LOCALHOST", "http://[::1]:80",
	} {
		if err := wechat.ValidateBaseURL(base); err != nil {
			t.Errorf("ValidateBaseURL(%q) = %v, want nil", base, err)
		}
		if _, err := wechat.NewClient(wechat.Config{BaseURL: base}, wechat.StaticToken("t")); err != nil {
			t.Errorf("NewClient refused %q: %v", base, err)
		}
	}
	noHost, extras := "is not a URL with a host", "must not carry a query, a fragment or user info"
	plain := "uses plain http, which would send the AppSecret and access tokens unencrypted; http is allowed only for loopback addresses"
	for base, want := range map[string]string{
		"api.weixin.qq.com":          noHost,
		"https://":                   noHost,
		"://":                        noHost,
		"https://a.test?x=1":         extras,
		"https://u:p@a.test":         extras,
		"https://a.test/#f":          extras,
		"ftp://a.test":               "must use https",
		"http://api.weixin.qq.com":   plain,
		"http://localhost.a.test":    plain,
		"http://10.0.0.1:8080":       plain,
		"http://[fe80::1%25eth0]:80": plain,
	} {
		want = fmt.Sprintf("%q %s", base, want)
		if err := wechat.ValidateBaseURL(base); err == nil || err.Error() != want {
			t.Errorf("ValidateBaseURL(%q) = %v, want %q", base, err, want)
		}
		if _, err := wechat.NewClient(wechat.Config{BaseURL: base}, wechat.StaticToken("t")); err == nil || err.Error() != "wechat: base URL "+want {
			t.Errorf("NewClient(%q) = %v, want %q", base, err, "wechat: base URL "+want)
		}
	}
}

func TestIsSystemTag(t *testing.T) {
	for id, want := range map[int64]bool{-1: false, 0: true, 1: true, 2: true, 3: false, 100: false} {
		if got := wechat.IsSystemTag(id); got != want {
			t.Errorf("IsSystemTag(%d) = %v", id, got)
		}
	}
}

// 45009 cannot be retried away: the message must say when the quota comes back.
func TestAPIError_dailyQuotaSaysWhenItResets(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	must(t, f.mock.FailNext(pathList, wechat.CodeDailyQuotaReached))
	_, err := f.client.ListTags(t.Context())
	requireAPIError(t, err, "tags/get", wechat.CodeDailyQuotaReached)
	if !strings.Contains(err.Error(), "resets at midnight China Standard Time (UTC+8), in ") {
		t.Errorf("the error %q does not say when the quota resets", err)
	}
	if wechat.IsTransient(err) {
		t.Errorf("IsTransient(%q) = true: a spent daily quota does not come back within a retry", err)
	}
}

func TestWhitelistIP(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&wechat.APIError{ErrCode: wechat.CodeIPNotWhitelisted, ErrMsg: "invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, not in whitelist"}, "203.0.113.7"},
		{fmt.Errorf("obtaining a WeChat access token: %w", &wechat.APIError{ErrCode: wechat.CodeIPNotWhitelisted, ErrMsg: "invalid ip 2001:db8::1, not in whitelist"}), "2001:db8::1"},
		{&wechat.APIError{ErrCode: wechat.CodeIPNotWhitelisted, ErrMsg: "not in whitelist"}, ""},
		{&wechat.APIError{ErrCode: wechat.CodeInvalidAppSecret, ErrMsg: "invalid ip 203.0.113.7 ipv6"}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := wechat.WhitelistIP(tt.err); got != tt.want {
			t.Errorf("WhitelistIP(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
