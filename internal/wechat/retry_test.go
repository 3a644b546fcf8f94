package wechat_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

// The mock's path of the legacy token endpoint.
const pathToken = "/cgi-bin/token"

// failNext queues errcode for the next call to path.
func failNext(path string, errcode int) func(*testing.T, *fixture) {
	return func(t *testing.T, f *fixture) {
		t.Helper()
		must(t, f.mock.FailNext(path, errcode))
	}
}

// faultFirstCall injects faults into the first call to path only; see faultUntilFailure.
func faultFirstCall(path string, faults mockwechat.Faults) func(*testing.T, *fixture) {
	return func(t *testing.T, f *fixture) {
		t.Helper()
		f.faultUntilFailure(t, path, faults)
	}
}

// patientRetry has DefaultRetryPolicy's budget at fastRetry's pace.
var patientRetry = wechat.RetryPolicy{MaxRetries: 8, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}

var (
	lostResponse = mockwechat.Faults{LostResponseRate: 1}
	dropped      = mockwechat.Faults{DropRate: 1}
	gateway500   = mockwechat.Faults{HTTP500Rate: 1}
)

// requireOnlyTag checks that the account holds the starred tag and one user tag, named
// name, and returns that tag.
func requireOnlyTag(t *testing.T, mock *mockwechat.Server, name string) mockwechat.Tag {
	t.Helper()
	tags := mock.Tags()
	if len(tags) != 2 || tags[1].Name != name {
		t.Fatalf("the mock holds %+v, want the starred tag and one tag named %q", tags, name)
	}
	return tags[1]
}

// requireTagged checks that the follower carries exactly the tags ids.
func requireTagged(t *testing.T, mock *mockwechat.Server, openid string, ids ...int64) {
	t.Helper()
	got, ok := mock.UserTags(openid)
	slices.Sort(ids)
	if !ok || !slices.Equal(got, ids) {
		t.Errorf("%s carries %v (follower: %v), want %v", openid, got, ok, ids)
	}
}

// Each kind of transient failure is retried within the policy, and the retry succeeds.

func TestClient_transientFailuresAreRetriedUntilTheCallSucceeds(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		inject func(*testing.T, *fixture)
		// run makes the call and checks what it returned and changed.
		run   func(t *testing.T, f *fixture)
		calls int // the mock counts
	}{
		{
			name: "-1 system busy on tags/create", path: pathCreate, calls: 2,
			inject: failNext(pathCreate, wechat.CodeSystemBusy),
			run: func(t *testing.T, f *fixture) {
				tag, err := f.client.CreateTag(t.Context(), "上海")
				must(t, err)
				// The refusal applied nothing, so the retry made the only tag of that name.
				if stored, ok := f.mock.TagByID(tag.ID); !ok || stored.Name != "上海" || len(f.mock.Tags()) != 4 {
					t.Errorf("CreateTag = %+v; the mock holds %+v", tag, f.mock.Tags())
				}
			},
		},
		{
			name: "45011 frequency limit on tags/update", path: pathUpdate, calls: 2,
			inject: failNext(pathUpdate, wechat.CodeFrequencyLimit),
			run: func(t *testing.T, f *fixture) {
				must(t, f.client.RenameTag(t.Context(), firstTagID, "广东人"))
				if got, _ := f.mock.TagByID(firstTagID); got.Name != "广东人" {
					t.Errorf("the tag is named %q", got.Name)
				}
			},
		},
		{
			name: "45169 concurrent tagging on batchtagging", path: pathTag, calls: 2,
			inject: failNext(pathTag, wechat.CodeConcurrentTagging),
			run: func(t *testing.T, f *fixture) {
				must(t, f.client.TagFollowers(t.Context(), firstTagID+1, twoFans))
				requireTagged(t, f.mock, twoFans[0], firstTagID, firstTagID+1)
				requireTagged(t, f.mock, twoFans[1], firstTagID+1)
			},
		},
		{
			// WeChat answers with HTTP 200; a 500 is the gateway in front, and the mock's
			// applies nothing. A delete may be sent again: it has the same effect.
			name: "HTTP 500 on tags/delete", path: pathDelete, calls: 2,
			inject: faultFirstCall(pathDelete, gateway500),
			run: func(t *testing.T, f *fixture) {
				must(t, f.client.DeleteTag(t.Context(), firstTagID+1))
				if _, ok := f.mock.TagByID(firstTagID + 1); ok {
					t.Error("the tag still exists")
				}
			},
		},
		{
			name: "dropped connection on tags/getidlist", path: pathIDList, calls: 2,
			inject: faultFirstCall(pathIDList, dropped),
			run: func(t *testing.T, f *fixture) {
				ids, err := f.client.FollowerTags(t.Context(), twoFans[0])
				must(t, err)
				if !slices.Equal(ids, []int64{firstTagID}) {
					t.Errorf("FollowerTags = %v", ids)
				}
			},
		},
		{
			name: "dropped connection on user/tag/get", path: pathMembers, calls: 3,
			inject: faultFirstCall(pathMembers, dropped),
			run: func(t *testing.T, f *fixture) {
				members, err := f.client.TagMembers(t.Context(), firstTagID)
				must(t, err)
				if !slices.Equal(members, twoFans[:1]) {
					t.Errorf("TagMembers = %v", members)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newRetryingFixture(t, mockwechat.Config{Followers: twoFans, Tags: []string{"广东", "北京"}})
			must(t, f.mock.TagUser(twoFans[0], firstTagID))
			tt.inject(t, f)

			tt.run(t, f)
			requireRetriedUntilSuccess(t, f.log, strings.TrimPrefix(tt.path, "/cgi-bin/"), 2, fastRetry)
			// These are POSTs, which Go's transport never replays by itself: the mock saw
			// the client's two attempts, and for a listing the empty page that ends it.
			requireCallCount(t, f.mock, tt.path, tt.calls)
		})
	}
}

// A 429 comes from a gateway that turned the request away before the service saw it, so
// it is retried even for a membership change, which is never resent after a lost answer.
func TestClient_http429IsRetriedEvenForAMembershipChange(t *testing.T) {
	var requests atomic.Int32
	client, log := newStubWith(t, wechat.Config{Retry: fastRetry}, func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) == 1 {
			replyWith(http.StatusTooManyRequests, "<html>slow down</html>")(w, r)
			return
		}
		replyWith(http.StatusOK, `{"errcode":0,"errmsg":"ok"}`)(w, r)
	})

	must(t, client.TagFollowers(t.Context(), firstTagID, twoFans))
	requireRetriedUntilSuccess(t, log, "tags/members/batchtagging", 2, fastRetry)
	var httpErr *wechat.HTTPError
	if first := log.of("tags/members/batchtagging")[0]; !errors.As(first.Err, &httpErr) || httpErr.StatusCode != http.StatusTooManyRequests {
		t.Errorf("the first attempt failed with %v, want HTTP 429", first.Err)
	}
	if n := requests.Load(); n != 2 {
		t.Errorf("the stub received %d requests, want 2", n)
	}
}

// A read that times out (http.Client.Timeout) may be sent again: it changes nothing.
func TestClient_aTimedOutReadIsRetried(t *testing.T) {
	f := newFixtureWith(t, mockwechat.Config{Followers: twoFans, Tags: []string{"广东"}},
		wechat.Config{Retry: fastRetry, HTTPClient: &http.Client{Timeout: 500 * time.Millisecond}})
	must(t, f.mock.TagUser(twoFans[0], firstTagID))
	// The latency delays every path: fetch the token before it is in force.
	_, err := f.client.ListTags(t.Context())
	must(t, err)
	// The mock stops waiting when the client hangs up, so the latency costs only the timeout.
	f.faultUntilFailure(t, pathIDList, mockwechat.Faults{Latency: 10 * time.Second})

	ids, err := f.client.FollowerTags(t.Context(), twoFans[0])
	must(t, err)
	if !slices.Equal(ids, []int64{firstTagID}) {
		t.Errorf("FollowerTags = %v", ids)
	}
	requireRetriedUntilSuccess(t, f.log, "tags/getidlist", 2, fastRetry)
	first := f.log.of("tags/getidlist")[0].Err
	var transportErr *wechat.TransportError
	if !errors.As(first, &transportErr) || !transportErr.RequestSent || errors.Is(first, context.Canceled) {
		t.Errorf("the first attempt failed with %v (%T), want a TransportError of a request sent, not cancelled", first, first)
	}
}

// The retry budget bounds the attempts.

func TestClient_retriesStopWhenTheBudgetIsSpent(t *testing.T) {
	tests := []struct {
		name     string
		policy   wechat.RetryPolicy
		attempts int
	}{
		{"MaxRetries 3 makes 4 attempts", fastRetry, 4},
		{"the zero policy makes 1 attempt", wechat.RetryPolicy{}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixtureWith(t, mockwechat.Config{Followers: twoFans}, wechat.Config{Retry: tt.policy})
			// The service stays busy however often it is asked.
			must(t, f.mock.SetFaults(mockwechat.Faults{ErrcodeRate: 1, Errcodes: []int{wechat.CodeSystemBusy}, Paths: []string{pathIDList}}))

			_, err := f.client.FollowerTags(t.Context(), twoFans[0])
			requireAPIError(t, err, "tags/getidlist", wechat.CodeSystemBusy)
			if !wechat.IsTransient(err) {
				t.Error("IsTransient = false: the caller may still try again later")
			}
			requireCallCount(t, f.mock, pathIDList, tt.attempts)
			if stats := f.mock.FaultStats(); stats.Calls != tt.attempts || stats.Errcodes[wechat.CodeSystemBusy] != tt.attempts {
				t.Errorf("FaultStats = %+v, want %d busy calls", stats, tt.attempts)
			}
			calls := f.log.of("tags/getidlist")
			if len(calls) != tt.attempts {
				t.Fatalf("the observer saw %d attempts, want %d", len(calls), tt.attempts)
			}
			for i, c := range calls {
				retried := i < tt.attempts-1
				if c.Attempt != i+1 || (c.RetryIn > 0) != retried || c.RetryIn > tt.policy.MaxBackoff {
					t.Errorf("attempt %d: %+v; want RetryIn within (0, %v] only when another attempt follows", i+1, c, tt.policy.MaxBackoff)
				}
			}
		})
	}
}

// Refusals that another attempt cannot change are returned at once, retries or not.

func TestClient_permanentRefusalsAreNotRetried(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		code   int
		inject func(*testing.T, *fixture)
		call   func(ctx context.Context, c *wechat.Client) error
		check  func(t *testing.T, f *fixture, err error)
	}{
		{
			name: "40003 an openid that does not follow the account", path: pathTag, code: wechat.CodeInvalidOpenID,
			call: func(ctx context.Context, c *wechat.Client) error {
				return c.TagFollowers(ctx, firstTagID, []string{twoFans[0], stranger})
			},
		},
		{
			// The client never created tag 999, so nothing suggests it is about to appear.
			name: "45159 a tag this client did not create", path: pathTag, code: wechat.CodeInvalidTagID,
			call: func(ctx context.Context, c *wechat.Client) error { return c.TagFollowers(ctx, 999, twoFans) },
		},
		{
			name: "45009 the daily quota", path: pathList, code: wechat.CodeDailyQuotaReached,
			inject: failNext(pathList, wechat.CodeDailyQuotaReached),
			call:   func(ctx context.Context, c *wechat.Client) error { _, err := c.ListTags(ctx); return err },
			check: func(t *testing.T, _ *fixture, err error) {
				// Not retried, so the message must tell the user when trying again helps.
				if !strings.Contains(err.Error(), "resets at midnight China Standard Time (UTC+8), in ") {
					t.Errorf("the error %q does not say when the quota resets", err)
				}
			},
		},
		{
			// Not a lost create: the name was taken before, so it is not looked up and adopted.
			name: "45157 a name another tag has", path: pathCreate, code: wechat.CodeIllegalTagName,
			call: func(ctx context.Context, c *wechat.Client) error { _, err := c.CreateTag(ctx, "广东"); return err },
			check: func(t *testing.T, f *fixture, _ error) {
				requireCallCount(t, f.mock, pathList, 0)
			},
		},
		{
			name: "48001 an unverified account", path: pathCreate, code: wechat.CodeAPIUnauthorized,
			inject: failNext(pathCreate, wechat.CodeAPIUnauthorized),
			call:   func(ctx context.Context, c *wechat.Client) error { _, err := c.CreateTag(ctx, "北京"); return err },
			check: func(t *testing.T, f *fixture, _ error) {
				requireCallCount(t, f.mock, pathList, 0)
				requireOnlyTag(t, f.mock, "广东")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newRetryingFixture(t, mockwechat.Config{Followers: twoFans, Tags: []string{"广东"}})
			if tt.inject != nil {
				tt.inject(t, f)
			}

			err := tt.call(t.Context(), f.client)
			endpoint := strings.TrimPrefix(tt.path, "/cgi-bin/")
			requireAPIError(t, err, endpoint, tt.code)
			if wechat.IsTransient(err) || wechat.IsAmbiguous(err) {
				t.Errorf("IsTransient = %v, IsAmbiguous = %v; want false, false", wechat.IsTransient(err), wechat.IsAmbiguous(err))
			}
			requireCallCount(t, f.mock, tt.path, 1)
			requireAttemptedOnce(t, f.log, endpoint)
			if tt.check != nil {
				tt.check(t, f, err)
			}
		})
	}
}

// Terraform's interrupt must not wait out a backoff: with waits of an hour, cancelling
// the context ends the call at once, whichever of the client's waits it is in.

func TestClient_cancellationEndsTheWaitBeforeARetry(t *testing.T) {
	hourly := wechat.RetryPolicy{MaxRetries: 3, MinBackoff: time.Hour, MaxBackoff: time.Hour}
	tests := []struct {
		name   string
		inject func(*testing.T, *fixture)
		call   func(ctx context.Context, c *wechat.Client) error
		// waitAfter is the endpoint whose observed call starts the wait; the context is
		// cancelled 50 ms later, however slow the calls before it were.
		waitAfter string
		// retried says that waitAfter's call itself waits to be retried; otherwise the
		// wait is CreateTag's own, before it sends a create that may have failed again.
		retried bool
		// code, when set, is the errcode that must reach the caller alongside
		// context.Canceled.
		code int
	}{
		{
			name:      "the retry of a busy call",
			inject:    failNext(pathList, wechat.CodeSystemBusy),
			call:      func(ctx context.Context, c *wechat.Client) error { _, err := c.ListTags(ctx); return err },
			waitAfter: "tags/get", retried: true, code: wechat.CodeSystemBusy,
		},
		{
			name:   "the resend of a dropped create",
			inject: faultFirstCall(pathCreate, dropped),
			call:   func(ctx context.Context, c *wechat.Client) error { _, err := c.CreateTag(ctx, "广东"); return err },
			// The lookup finds no tag: CreateTag waits before it sends the create again.
			waitAfter: "tags/get",
		},
		{
			name:   "the retry of a busy token fetch",
			inject: failNext(pathStableToken, wechat.CodeSystemBusy),
			call:   func(ctx context.Context, c *wechat.Client) error { _, err := c.ListTags(ctx); return err },
			// The token source waits within the policy of the Config it was built from. The
			// fetch is shared by every caller waiting for a token, so a caller that gives
			// up leaves with its context's error alone.
			waitAfter: "stable_token", retried: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixtureWith(t, mockwechat.Config{}, wechat.Config{Retry: hourly})
			tt.inject(t, f)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			injected := f.log.after
			f.log.after = func(call wechat.CallInfo) {
				if injected != nil {
					injected(call)
				}
				if call.Endpoint == tt.waitAfter {
					time.AfterFunc(50*time.Millisecond, cancel)
				}
			}

			done := make(chan error, 1)
			go func() { done <- tt.call(ctx, f.client) }()
			var err error
			select {
			case err = <-done:
			case <-time.After(5 * time.Second):
				// A generous bound: the point is that the call does not wait its hour.
				t.Fatal("the call is still waiting 5 s after its context was cancelled")
			}
			if !errors.Is(err, context.Canceled) {
				t.Errorf("got %v, want an error wrapping context.Canceled", err)
			}
			if wechat.IsTransient(err) {
				// Cancellation is the caller's decision: nothing to retry.
				t.Errorf("IsTransient(%v) = true", err)
			}
			calls := f.log.of(tt.waitAfter)
			if len(calls) != 1 {
				t.Fatalf("the observer saw %+v, want one call of %s", calls, tt.waitAfter)
			}
			if tt.code != 0 && !wechat.HasCode(err, tt.code) {
				t.Errorf("the error %v lost the errcode %d it was waiting to retry", err, tt.code)
			}
			if tt.retried {
				if calls[0].RetryIn < hourly.MinBackoff/2 {
					t.Errorf("the observer saw %+v, want a wait of at least half an hour", calls[0])
				}
			}
		})
	}
}

// Lost responses: the request reached the service, which may have applied it, and the
// answer never came back.

// A lost tags/create is looked up by name: a duplicate would be a tag the configuration
// does not know, with the name it wanted, so that the next create fails with 45157.
func TestClient_lostCreateIsAdoptedNotDuplicated(t *testing.T) {
	f := newRetryingFixture(t, mockwechat.Config{})
	f.faultUntilFailure(t, pathCreate, lostResponse)

	tag, err := f.client.CreateTag(t.Context(), "广东")
	must(t, err)
	stored := requireOnlyTag(t, f.mock, "广东")
	if tag.ID != stored.ID || tag.Name != "广东" {
		t.Errorf("CreateTag = %+v, want the tag the lost call created, %+v", tag, stored)
	}
	// Found by the lookup, so never sent again.
	requireCallCount(t, f.mock, pathCreate, 1)
	if calls := f.log.of("tags/create"); len(calls) != 1 || !wechat.IsAmbiguous(calls[0].Err) || calls[0].RetryIn != 0 {
		t.Errorf("the observer saw %+v, want one ambiguous create, not retried by itself", calls)
	}
}

// tags/get may not list a tag the moment it is created. When the lookup after a lost
// create misses it and the create sent again is refused as a duplicate name (45157), that
// name is the lost create's own tag: it is looked up again and adopted.
func TestClient_lostCreateThatShowsUpOnlyAfterTheResendIsAdopted(t *testing.T) {
	f := newRetryingFixture(t, mockwechat.Config{})
	must(t, f.mock.SetFaults(mockwechat.Faults{LostResponseRate: 1, Paths: []string{pathCreate}}))
	// The tag is kept out of tags/get's sight by a name of its own between the lost create
	// and the first lookup. The observer runs on the caller's goroutine, one call at a time.
	const outOfSight = "广东 (not listed yet)"
	var created mockwechat.Tag
	step := 0
	f.log.after = func(call wechat.CallInfo) {
		switch {
		case step == 0 && call.Endpoint == "tags/create" && call.Err != nil:
			step++
			must(t, f.mock.SetFaults(mockwechat.Faults{}))
			created = requireOnlyTag(t, f.mock, "广东")
			must(t, f.mock.RenameTag(created.ID, outOfSight))
		case step == 1 && call.Endpoint == "tags/get" && call.Err == nil:
			step++
			must(t, f.mock.RenameTag(created.ID, "广东"))
		}
	}

	tag, err := f.client.CreateTag(t.Context(), "广东")
	must(t, err)
	if step != 2 {
		t.Fatalf("the scenario stopped at step %d", step)
	}
	if stored := requireOnlyTag(t, f.mock, "广东"); tag.ID != created.ID || stored.ID != created.ID {
		t.Errorf("CreateTag = %+v; the mock holds %+v; want the lost create's tag %d", tag, stored, created.ID)
	}
	calls := f.log.of("tags/create")
	if len(calls) != 2 || !wechat.IsAmbiguous(calls[0].Err) || !wechat.HasCode(calls[1].Err, wechat.CodeIllegalTagName) {
		t.Errorf("the observer saw creates %+v, want a lost one then a 45157", calls)
	}
	requireCallCount(t, f.mock, pathList, 2) // the lookup that missed it, then the one that found it
}

// A create refused before it was applied (a dropped connection, a gateway's 500) reads
// the same as a lost one to the client: looked up, not found, and sent again.
func TestClient_createThatMayHaveFailedIsLookedUpThenSentAgain(t *testing.T) {
	for name, faults := range map[string]mockwechat.Faults{"dropped": dropped, "HTTP 500": gateway500} {
		t.Run(name, func(t *testing.T) {
			f := newRetryingFixture(t, mockwechat.Config{})
			f.faultUntilFailure(t, pathCreate, faults)

			tag, err := f.client.CreateTag(t.Context(), "广东")
			must(t, err)
			if stored := requireOnlyTag(t, f.mock, "广东"); tag.ID != stored.ID {
				t.Errorf("CreateTag = %+v, the mock holds %+v", tag, stored)
			}
			requireCallCount(t, f.mock, pathCreate, 2)
			requireCallCount(t, f.mock, pathList, 1)
		})
	}
}

// Renaming a tag to the name it already has succeeds, so a lost rename is resent.
func TestClient_lostRenameIsResent(t *testing.T) {
	f := newRetryingFixture(t, mockwechat.Config{Tags: []string{"广东"}})
	f.faultUntilFailure(t, pathUpdate, lostResponse)

	must(t, f.client.RenameTag(t.Context(), firstTagID, "广东人"))
	if got := requireOnlyTag(t, f.mock, "广东人"); got.ID != firstTagID {
		t.Errorf("the mock holds %+v", got)
	}
	requireRetriedUntilSuccess(t, f.log, "tags/update", 2, fastRetry)
	requireCallCount(t, f.mock, pathUpdate, 2)
}

// A lost delete is resent; when the first was applied the resend is refused with 45159.
// Only tags/get can tell a deleted tag from one the service briefly does not know: the
// client asks it, and returns the refusal as proof that the tag is gone.
func TestClient_lostDeleteIsResentAndItsInvalidTagIDConfirmed(t *testing.T) {
	f := newRetryingFixture(t, mockwechat.Config{Tags: []string{"广东", "北京"}})
	f.faultUntilFailure(t, pathDelete, lostResponse)

	err := f.client.DeleteTag(t.Context(), firstTagID)
	requireAPIError(t, err, "tags/delete", wechat.CodeInvalidTagID)
	if !wechat.IsInvalidTagID(err) || !wechat.IsTagNotFound(err) {
		t.Errorf("IsInvalidTagID = %v, IsTagNotFound = %v; want true, true", wechat.IsInvalidTagID(err), wechat.IsTagNotFound(err))
	}
	requireCallCount(t, f.mock, pathDelete, 2)
	requireCallCount(t, f.mock, pathList, 1)
	tags, err := f.client.ListTags(t.Context())
	must(t, err)
	if slices.ContainsFunc(tags, func(tag wechat.Tag) bool { return tag.ID == firstTagID }) || len(tags) != 2 {
		t.Errorf("tags/get lists %+v, want the starred tag and 北京 only", tags)
	}
}

// A membership change is not resent after its answer was lost: the caller re-reads the
// membership and sends what is missing. Whether the change was applied, the client
// cannot tell, and says so with IsAmbiguous.
func TestClient_membershipChangeWithALostAnswerIsAmbiguousNotResent(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		faults mockwechat.Faults
		call   func(ctx context.Context, c *wechat.Client) error
		// after is what each follower carries afterwards, from firstTagID alone: a lost
		// response was applied, a drop or a gateway's 500 was not.
		after []int64
	}{
		{"batchtagging lost response", pathTag, lostResponse, tagBoth, []int64{firstTagID, firstTagID + 1}},
		{"batchtagging dropped connection", pathTag, dropped, tagBoth, []int64{firstTagID}},
		{"batchtagging HTTP 500", pathTag, gateway500, tagBoth, []int64{firstTagID}},
		{"batchuntagging lost response", pathUntag, lostResponse, func(ctx context.Context, c *wechat.Client) error {
			return c.UntagFollowers(ctx, firstTagID, twoFans)
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newRetryingFixture(t, mockwechat.Config{Followers: twoFans, Tags: []string{"广东", "北京"}})
			for _, fan := range twoFans {
				must(t, f.mock.TagUser(fan, firstTagID))
			}
			f.faultUntilFailure(t, tt.path, tt.faults)

			err := tt.call(t.Context(), f.client)
			if !wechat.IsAmbiguous(err) {
				t.Errorf("IsAmbiguous(%v) = false", err)
			}
			requireCallCount(t, f.mock, tt.path, 1)
			requireAttemptedOnce(t, f.log, strings.TrimPrefix(tt.path, "/cgi-bin/"))

			for _, fan := range twoFans {
				requireTagged(t, f.mock, fan, tt.after...)
			}
		})
	}
}

func tagBoth(ctx context.Context, c *wechat.Client) error {
	return c.TagFollowers(ctx, firstTagID+1, twoFans)
}

// Reads change nothing, so a read whose answer was lost is sent again.
func TestClient_lostReadsAreResent(t *testing.T) {
	tests := []struct {
		endpoint string
		path     string
		run      func(t *testing.T, c *wechat.Client)
	}{
		{"tags/get", pathList, func(t *testing.T, c *wechat.Client) {
			tags, err := c.ListTags(t.Context())
			must(t, err)
			if len(tags) != 2 || tags[1].ID != firstTagID {
				t.Errorf("ListTags = %+v", tags)
			}
		}},
		{"tags/getidlist", pathIDList, func(t *testing.T, c *wechat.Client) {
			ids, err := c.FollowerTags(t.Context(), twoFans[0])
			must(t, err)
			if !slices.Equal(ids, []int64{firstTagID}) {
				t.Errorf("FollowerTags = %v", ids)
			}
		}},
		{"user/tag/get", pathMembers, func(t *testing.T, c *wechat.Client) {
			members, err := c.TagMembers(t.Context(), firstTagID)
			must(t, err)
			if !slices.Equal(members, twoFans[:1]) {
				t.Errorf("TagMembers = %v", members)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			f := newRetryingFixture(t, mockwechat.Config{Followers: twoFans, Tags: []string{"广东"}})
			must(t, f.mock.TagUser(twoFans[0], firstTagID))
			f.faultUntilFailure(t, tt.path, lostResponse)

			tt.run(t, f.client)
			// Counted by the observer, not the mock: Go's transport may itself replay a
			// lost GET (tags/get) once on a new connection, before the client sees the loss.
			requireRetriedUntilSuccess(t, f.log, tt.endpoint, 2, fastRetry)
			if first := f.log.of(tt.endpoint)[0]; !wechat.IsAmbiguous(first.Err) {
				t.Errorf("the first attempt failed with %v, want an error that may have been applied", first.Err)
			}
		})
	}
}

// The service may refuse a tag it created moments ago as unknown (45159): the client
// gives the tags it created a few retries before it believes that, and no other tag.

func TestClient_invalidTagIDOfATagJustCreatedIsRetriedAFewTimes(t *testing.T) {
	tests := []struct {
		name     string
		create   func(t *testing.T, f *fixture) int64
		refusals int
		calls    int
		ok       bool
	}{
		{"created by this client", createWithClient, 1, 2, true},
		{"adopted after a lost create", adoptAfterLostCreate, 1, 2, true},
		// freshTagRetries is 3, below the policy's 8: the grace, not the budget, ends it.
		{"refused more often than the grace allows", createWithClient, 5, 4, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixtureWith(t, mockwechat.Config{Followers: twoFans},
				wechat.Config{Retry: patientRetry})
			id := tt.create(t, f)
			for range tt.refusals {
				must(t, f.mock.FailNext(pathTag, wechat.CodeInvalidTagID))
			}

			err := f.client.TagFollowers(t.Context(), id, twoFans)
			requireCallCount(t, f.mock, pathTag, tt.calls)
			if tt.ok {
				must(t, err)
				requireTagged(t, f.mock, twoFans[0], id)
				requireRetriedUntilSuccess(t, f.log, "tags/members/batchtagging", tt.calls, f.cfg.Retry)
			} else {
				requireAPIError(t, err, "tags/members/batchtagging", wechat.CodeInvalidTagID)
				// tags/get lists the tag: the refusals that outlived the grace prove nothing.
				if wechat.IsTagNotFound(err) {
					t.Errorf("IsTagNotFound(%v) = true for a tag tags/get lists", err)
				}
			}
		})
	}
}

func createWithClient(t *testing.T, f *fixture) int64 {
	t.Helper()
	tag, err := f.client.CreateTag(t.Context(), "广东")
	must(t, err)
	return tag.ID
}

func adoptAfterLostCreate(t *testing.T, f *fixture) int64 {
	t.Helper()
	f.faultUntilFailure(t, pathCreate, lostResponse)
	id := createWithClient(t, f)
	requireCallCount(t, f.mock, pathCreate, 1)
	return id
}

func TestClient_invalidTagIDOfATagThisClientDidNotCreateIsBelievedAtOnce(t *testing.T) {
	f := newRetryingFixture(t, mockwechat.Config{Followers: twoFans, Tags: []string{"广东"}})
	must(t, f.mock.FailNext(pathTag, wechat.CodeInvalidTagID))

	err := f.client.TagFollowers(t.Context(), firstTagID, twoFans)
	requireAPIError(t, err, "tags/members/batchtagging", wechat.CodeInvalidTagID)
	requireCallCount(t, f.mock, pathTag, 1)
	requireAttemptedOnce(t, f.log, "tags/members/batchtagging")
}

// Tokens, with retries on.

// A rejected token is refreshed once and the call sent again at once: that is no retry
// and waits nothing.
func TestClient_expiredTokenIsRefreshedOnceWithRetriesOn(t *testing.T) {
	f := newRetryingFixture(t, mockwechat.Config{})
	_, err := f.client.ListTags(t.Context())
	must(t, err)
	f.mock.ExpireTokens()

	_, err = f.client.ListTags(t.Context())
	must(t, err)
	requireCallCount(t, f.mock, pathStableToken, 2)
	calls := f.log.of("tags/get")
	if len(calls) != 3 || !wechat.HasCode(calls[1].Err, wechat.CodeAccessTokenExpired) || calls[1].RetryIn != 0 ||
		calls[2].Attempt != 2 || calls[2].Err != nil {
		t.Errorf("tags/get was observed as %+v; want a success, then 42001 refreshed without a wait, then a success", calls)
	}
}

// The token source is built from the same Config, retry policy included: a busy
// stable_token while refreshing a rejected token is retried, and the call succeeds.
func TestClient_busyTokenRefreshIsRetriedByTheTokenSource(t *testing.T) {
	f := newRetryingFixture(t, mockwechat.Config{})
	_, err := f.client.ListTags(t.Context())
	must(t, err)
	f.mock.ExpireTokens()
	must(t, f.mock.FailNext(pathStableToken, wechat.CodeSystemBusy))

	_, err = f.client.ListTags(t.Context())
	must(t, err)
	requireCallCount(t, f.mock, pathStableToken, 3)
	requireCallCount(t, f.mock, pathList, 3)
	refresh := f.log.of("stable_token")[1:]
	if len(refresh) != 2 || !wechat.HasCode(refresh[0].Err, wechat.CodeSystemBusy) || refresh[0].RetryIn <= 0 ||
		refresh[1].Attempt != 2 || refresh[1].Err != nil {
		t.Errorf("the refresh was observed as %+v; want busy, a wait, then success", refresh)
	}
}

// The legacy /cgi-bin/token source.

func TestLegacyTokenSource_fetchesOnceAndNeverCallsStableToken(t *testing.T) {
	sources := map[string]func(cfg wechat.Config) (*wechat.CachedTokenSource, error){
		"NewTokenSource": func(cfg wechat.Config) (*wechat.CachedTokenSource, error) {
			return wechat.NewTokenSource(cfg, wechat.LegacyTokenEndpoint, testAppID, testSecret)
		},
		"SharedTokenSource": func(cfg wechat.Config) (*wechat.CachedTokenSource, error) {
			return wechat.SharedTokenSource(cfg, wechat.LegacyTokenEndpoint, testAppID, testSecret)
		},
	}
	for name, newSource := range sources {
		t.Run(name, func(t *testing.T) {
			f := newRetryingFixture(t, mockwechat.Config{Followers: twoFans})
			// An address of its own keeps the shared source apart from other tests'.
			cfg := privateAddress(t, f.cfg)
			tokens, err := newSource(cfg)
			must(t, err)
			client := newClient(t, cfg, tokens)

			tag, err := client.CreateTag(t.Context(), "广东")
			must(t, err)
			must(t, client.TagFollowers(t.Context(), tag.ID, twoFans))
			ids, err := client.FollowerTags(t.Context(), twoFans[1])
			must(t, err)
			if !slices.Equal(ids, []int64{tag.ID}) {
				t.Errorf("FollowerTags = %v", ids)
			}
			// Each /cgi-bin/token call invalidates the token the account's servers hold.
			requireCallCount(t, f.mock, pathToken, 1)
			requireCallCount(t, f.mock, pathStableToken, 0)
			if issued := f.mock.IssuedTokens(); len(issued) != 1 {
				t.Errorf("the mock issued %d tokens, want 1", len(issued))
			}
		})
	}
}

// /cgi-bin/token takes the secret in its query, which Go's *url.Error quotes when the
// connection drops: it must appear neither in the error nor in what the observer sees,
// as sent or as escaped in the query.
func TestLegacyTokenSource_secretNeverShowsWhenTheConnectionDrops(t *testing.T) {
	// The second secret is not the account's: the connection drops before it is checked,
	// and its escaped form differs from it.
	for _, secret := range []string{testSecret, "s3cr/t+with=escapes&more"} {
		t.Run(secret, func(t *testing.T) {
			f := newRetryingFixture(t, mockwechat.Config{})
			must(t, f.mock.SetFaults(mockwechat.Faults{DropRate: 1, Paths: []string{pathToken}}))
			tokens, err := wechat.NewTokenSource(f.cfg, wechat.LegacyTokenEndpoint, testAppID, secret)
			must(t, err)

			_, err = newClient(t, f.cfg, tokens).ListTags(t.Context())
			var transportErr *wechat.TransportError
			if !errors.As(err, &transportErr) || transportErr.Endpoint != "token" || !wechat.IsTransient(err) {
				t.Fatalf("got %v (%T), want a transient TransportError of token", err, err)
			}
			secrets := []string{secret, url.QueryEscape(secret)}
			requireNoSecret(t, "error", fmt.Sprintf("%v | %+v", err, err), secrets)
			calls := f.log.all()
			for _, call := range calls {
				requireNoSecret(t, "observed call", fmt.Sprintf("%+v", call), secrets)
			}
			// Retried within the policy, then given up; no tag call without a token.
			if got := f.log.attempts("token"); !slices.Equal(got, []int{1, 2, 3, 4}) {
				t.Errorf("token attempts %v, want [1 2 3 4]", got)
			}
			requireCallCount(t, f.mock, pathList, 0)
		})
	}
}

// Against a service where 30% of calls fail in every way it can, concurrent creates
// and membership changes converge on exactly what was asked: no duplicate tag, no
// membership missing or extra.

func TestClient_convergesOnAServiceFailingThirtyPercentOfCalls(t *testing.T) {
	const tagCount, fanCount = 30, 40
	// Every run makes at least 61 calls (a token, 30 creates, 30 taggings), and these seeds
	// draw every kind of fault within their first 61 decisions, whatever order concurrent
	// calls take them in (seed 2, for one, draws its first drop only at the 79th).
	for _, seed := range []int64{1, 3, 4} {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			fans := mockwechat.GenerateOpenIDs(fanCount, seed)
			f := newFixtureWith(t, mockwechat.Config{Followers: fans}, wechat.Config{Retry: patientRetry})
			must(t, f.mock.SetFaults(mockwechat.Faults{
				Seed:        seed,
				ErrcodeRate: 0.10, // -1, 45011, 45169
				HTTP500Rate: 0.10, DropRate: 0.05, LostResponseRate: 0.05,
			}))

			names := make([]string, tagCount)
			for i := range names {
				names[i] = fmt.Sprintf("tag %02d", i)
			}
			tags := make([]wechat.Tag, tagCount)
			errs := make([]error, tagCount)
			var wg sync.WaitGroup
			for i, name := range names {
				wg.Go(func() { tags[i], errs[i] = f.client.CreateTag(t.Context(), name) })
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("CreateTag(%q): %v", names[i], err)
				}
			}

			// Follower j carries tag i when i+j is a multiple of 3: 13 or 14 fans a tag,
			// 10 tags a fan.
			members := func(i int) []string {
				var openids []string
				for j, fan := range fans {
					if (i+j)%3 == 0 {
						openids = append(openids, fan)
					}
				}
				return openids
			}
			var reread atomic.Int32
			for i := range tags {
				wg.Go(func() {
					n, err := tagUntilApplied(t.Context(), f.client, tags[i].ID, members(i))
					reread.Add(int32(n))
					errs[i] = err
				})
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("tagging with %q: %v", names[i], err)
				}
			}

			stats := f.mock.FaultStats()
			t.Logf("seed %d: faults decided for %d calls: errcodes %v, HTTP 500 %d, drops %d, lost responses %d; "+
				"%d ambiguous membership changes re-read", seed, stats.Calls, stats.Errcodes, stats.HTTP500, stats.Drops,
				stats.LostResponses, reread.Load())
			if stats.HTTP500 == 0 || stats.Drops == 0 || stats.LostResponses == 0 || len(stats.Errcodes) == 0 {
				t.Errorf("FaultStats = %+v: some kind of fault was never injected, so the test proves less than it says", stats)
			}
			must(t, f.mock.SetFaults(mockwechat.Faults{})) // the checks below read the mock directly

			stored := f.mock.Tags()
			if len(stored) != 1+tagCount || stored[0].ID != wechat.TagStarred {
				t.Fatalf("the mock holds %d tags, want the starred tag and %d: %+v", len(stored), tagCount, stored)
			}
			byName := map[string]mockwechat.Tag{}
			for _, tag := range stored[1:] {
				byName[tag.Name] = tag
			}
			for i, name := range names {
				if byName[name].ID != tags[i].ID || tags[i].Name != name {
					t.Errorf("CreateTag(%q) = %+v, the mock holds %+v", name, tags[i], byName[name])
				}
				if got := byName[name].Count; got != len(members(i)) {
					t.Errorf("%q has %d fans, want %d", name, got, len(members(i)))
				}
			}
			for j, fan := range fans {
				var want []int64
				for i, tag := range tags {
					if (i+j)%3 == 0 {
						want = append(want, tag.ID)
					}
				}
				requireTagged(t, f.mock, fan, want...)
			}
		})
	}
}

// tagUntilApplied gives the tag to openids as the provider does: a change whose answer
// may have been lost is not resent blindly; the tag's members are read back and only the
// openids still missing are sent again. It returns how many times it read them back.
func tagUntilApplied(ctx context.Context, c *wechat.Client, tagID int64, openids []string) (int, error) {
	const maxRereads = 10
	missing := openids
	for rereads := 0; ; rereads++ {
		err := c.TagFollowers(ctx, tagID, missing)
		if err == nil || !wechat.IsAmbiguous(err) || rereads == maxRereads {
			return rereads, err
		}
		members, err := c.TagMembers(ctx, tagID)
		if err != nil {
			return rereads + 1, err
		}
		missing = slices.DeleteFunc(slices.Clone(openids), func(o string) bool { return slices.Contains(members, o) })
		if len(missing) == 0 {
			return rereads + 1, nil
		}
	}
}

// A create's resends after lost responses and the retries of busy answers share one
// budget: one CreateTag makes at most MaxRetries+1 creates, not that many per resend.
func TestClient_createTagSpendsOneRetryBudgetOnRetriesAndResends(t *testing.T) {
	var creates, lists atomic.Int32
	client, log := newStubWith(t, wechat.Config{Retry: fastRetry}, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case pathCreate:
			// Busy, then a create whose answer is lost, again and again: each lost one is
			// looked up and sent again, each busy one retried.
			if creates.Add(1)%2 == 1 {
				replyWith(http.StatusOK, busyReply)(w, r)
				return
			}
			hangUp(w, r)
		case pathList:
			lists.Add(1)
			replyWith(http.StatusOK, `{"tags":[{"id":2,"name":"星标组","count":0}]}`)(w, r)
		default:
			http.NotFound(w, r)
		}
	})

	_, err := client.CreateTag(t.Context(), "广东")
	if !wechat.IsAmbiguous(err) {
		t.Errorf("got %v, want the last create's lost answer", err)
	}
	if n := creates.Load(); n != int32(fastRetry.MaxRetries+1) {
		t.Errorf("%d tags/create calls, want MaxRetries+1 = %d", n, fastRetry.MaxRetries+1)
	}
	// Every lost create was looked up before the next was sent.
	if n := lists.Load(); n != creates.Load()/2 {
		t.Errorf("%d tags/get lookups after %d creates, want one after each lost create", n, creates.Load())
	}
	for _, call := range log.of("tags/create") {
		if call.RetryIn > fastRetry.MaxBackoff {
			t.Errorf("create waited %v, beyond the policy's %v", call.RetryIn, fastRetry.MaxBackoff)
		}
	}
}

// reportsWriteElsewhere is a transport that reports the request written from a goroutine
// of its own, as a transport may, and fails without waiting for it.
type reportsWriteElsewhere struct{ reported chan struct{} }

func (rt reportsWriteElsewhere) RoundTrip(req *http.Request) (*http.Response, error) {
	trace := httptrace.ContextClientTrace(req.Context())
	go func() {
		defer close(rt.reported)
		if trace != nil && trace.WroteRequest != nil {
			trace.WroteRequest(httptrace.WroteRequestInfo{})
		}
	}()
	return nil, errors.New("connection reset by peer")
}

// Whether a request reached the wire is recorded by the transport and read by the
// client, on goroutines that need not synchronise: under -race this shows it is safe.
func TestClient_aWriteReportedFromAnotherGoroutineIsNoDataRace(t *testing.T) {
	rt := reportsWriteElsewhere{reported: make(chan struct{})}
	client := newClient(t, wechat.Config{BaseURL: "https://api.example.test", HTTPClient: &http.Client{Transport: rt}},
		wechat.StaticToken(stubToken))

	_, err := client.ListTags(t.Context())
	<-rt.reported
	var transportErr *wechat.TransportError
	if !errors.As(err, &transportErr) {
		t.Errorf("got %v (%T), want a TransportError", err, err)
	}
}

// failsFirst is a transport whose first request gets first's answer and every later one
// an empty tag list.
type failsFirst struct {
	first    func(req *http.Request) (*http.Response, error)
	requests atomic.Int32
}

func (rt *failsFirst) RoundTrip(req *http.Request) (*http.Response, error) {
	if rt.requests.Add(1) == 1 {
		return rt.first(req)
	}
	return answer(req, http.StatusOK, `{"tags":[{"id":2,"name":"星标组","count":0}]}`), nil
}

func answer(req *http.Request, status int, body string) *http.Response {
	return &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body)), Request: req}
}

// For a read, which may be sent again whatever became of it, the client retries exactly
// the errors IsTransient calls transient: the rule is written once.
func TestClient_aReadIsRetriedExactlyWhenItsErrorIsTransient(t *testing.T) {
	tests := []struct {
		name      string
		first     func(req *http.Request) (*http.Response, error)
		transient bool
	}{
		{"-1 system busy", func(r *http.Request) (*http.Response, error) { return answer(r, 200, busyReply), nil }, true},
		{"45011 frequency limit", func(r *http.Request) (*http.Response, error) {
			return answer(r, 200, `{"errcode":45011,"errmsg":"api minute-quota reach limit"}`), nil
		}, true},
		{"45009 daily quota", func(r *http.Request) (*http.Response, error) {
			return answer(r, 200, `{"errcode":45009,"errmsg":"reach max api daily quota limit"}`), nil
		}, false},
		{"HTTP 500", func(r *http.Request) (*http.Response, error) { return answer(r, 500, "<html></html>"), nil }, true},
		{"HTTP 429", func(r *http.Request) (*http.Response, error) { return answer(r, 429, "<html></html>"), nil }, true},
		{"HTTP 403", func(r *http.Request) (*http.Response, error) { return answer(r, 403, "<html></html>"), nil }, false},
		{"connection reset", func(*http.Request) (*http.Response, error) { return nil, errors.New("connection reset by peer") }, true},
		// Cancelled by something other than the caller, whose context is still live: not
		// the caller's wish to retry, and not transient either.
		{"cancelled in the transport", func(*http.Request) (*http.Response, error) { return nil, context.Canceled }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := &failsFirst{first: tt.first}
			log := &callLog{}
			client := newClient(t, wechat.Config{BaseURL: "https://api.example.test", HTTPClient: &http.Client{Transport: rt},
				Retry: fastRetry, Observer: log.observe}, wechat.StaticToken(stubToken))

			_, err := client.ListTags(t.Context())
			calls := log.of("tags/get")
			if len(calls) == 0 || calls[0].Err == nil {
				t.Fatalf("the observer saw %+v, want a failed first attempt", calls)
			}
			if got := wechat.IsTransient(calls[0].Err); got != tt.transient {
				t.Errorf("IsTransient(%v) = %v, want %v", calls[0].Err, got, tt.transient)
			}
			retried := rt.requests.Load() == 2 && err == nil
			if retried != tt.transient || (!retried && rt.requests.Load() != 1) {
				t.Errorf("%d requests, error %v; want a retry exactly when the first error is transient (%v)", rt.requests.Load(), err, tt.transient)
			}
		})
	}
}

// A call given up on after its retries says so: the host, the attempts and the time they
// took, where a bare "connection refused" or errcode -1 read as if nothing was retried.
func TestClient_aCallGivenUpOnSaysHowLongItTried(t *testing.T) {
	client, log := newStubWith(t, wechat.Config{Retry: wechat.RetryPolicy{MaxRetries: 2, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}},
		replyWith(http.StatusOK, busyReply))
	_, err := client.ListTags(t.Context())
	requireAPIError(t, err, "tags/get", wechat.CodeSystemBusy)
	if !regexp.MustCompile(`\(gave up on 127\.0\.0\.1:\d+ after 3 attempts over \d+(\.\d+)?m?s\)$`).MatchString(err.Error()) {
		t.Errorf("error %q does not say the host, the 3 attempts and the time", err)
	}
	if n := len(log.of("tags/get")); n != 3 {
		t.Errorf("%d attempts, want 3", n)
	}

	// A refusal that is not retried says nothing of attempts.
	client, _ = newStub(t, replyWith(http.StatusOK, `{"errcode":45009,"errmsg":"reach max api daily quota limit"}`))
	if _, err := client.ListTags(t.Context()); strings.Contains(err.Error(), "gave up") {
		t.Errorf("error %q speaks of attempts, but none was retried", err)
	}
}
