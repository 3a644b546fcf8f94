package wechat_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

// tagCalls are the client's methods that name a tag id, each of which may be answered
// 45159.
var tagCalls = []struct {
	method   string
	endpoint string
	call     func(ctx context.Context, c *wechat.Client, id int64) error
}{
	{"TagMembers", "user/tag/get", func(ctx context.Context, c *wechat.Client, id int64) error {
		_, err := c.TagMembers(ctx, id)
		return err
	}},
	{"TagFollowers", "tags/members/batchtagging", func(ctx context.Context, c *wechat.Client, id int64) error {
		return c.TagFollowers(ctx, id, twoFans)
	}},
	{"UntagFollowers", "tags/members/batchuntagging", func(ctx context.Context, c *wechat.Client, id int64) error {
		return c.UntagFollowers(ctx, id, twoFans)
	}},
	{"DeleteTag", "tags/delete", func(ctx context.Context, c *wechat.Client, id int64) error {
		return c.DeleteTag(ctx, id)
	}},
	{"RenameTag", "tags/update", func(ctx context.Context, c *wechat.Client, id int64) error {
		return c.RenameTag(ctx, id, "广东人")
	}},
}

// requireTagNotFound checks that err proves tag id gone, and still is the service's 45159.
func requireTagNotFound(t *testing.T, err error, endpoint string, id int64) {
	t.Helper()
	if !wechat.IsTagNotFound(err) || !errors.Is(err, wechat.ErrTagNotFound) {
		t.Fatalf("got %v, want an error matching ErrTagNotFound", err)
	}
	requireAPIError(t, err, endpoint, wechat.CodeInvalidTagID)
	if want := fmt.Sprintf("WeChat %s: tag %d does not exist on the account (errcode 45159", endpoint, id); !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Error() = %q, want it to start %q", err, want)
	}
}

// A tag deleted outside Terraform: the 45159 of every method naming it is checked against
// a tags/get sent after it, not against the snapshot read before, and proves it gone.
func TestClient_a45159ConfirmedByTagsGetProvesTheTagGone(t *testing.T) {
	for _, tc := range tagCalls {
		t.Run(tc.method, func(t *testing.T) {
			f := newFixture(t, mockwechat.Config{Followers: twoFans, Tags: []string{"广东"}})
			if _, err := f.client.LookupTag(t.Context(), firstTagID); err != nil {
				t.Fatalf("LookupTag before the delete = %v", err)
			}
			must(t, f.mock.DeleteTag(firstTagID))

			err := tc.call(t.Context(), f.client, firstTagID)
			requireTagNotFound(t, err, tc.endpoint, firstTagID)
			requireCallCount(t, f.mock, pathList, 2)
			// The confirmation's tags/get is the snapshot now.
			if _, err := f.client.LookupTag(t.Context(), firstTagID); !wechat.IsTagNotFound(err) {
				t.Errorf("LookupTag after the confirmation = %v; want not found", err)
			}
			requireCallCount(t, f.mock, pathList, 2)
		})
	}
}

// A 45159 of a tag that tags/get lists proves nothing: it is returned as it came.
func TestClient_a45159OfATagTagsGetListsIsNoProof(t *testing.T) {
	for _, tc := range tagCalls {
		t.Run(tc.method, func(t *testing.T) {
			f := newFixture(t, mockwechat.Config{Followers: twoFans, Tags: []string{"广东"}})
			must(t, f.mock.FailNext("/cgi-bin/"+tc.endpoint, wechat.CodeInvalidTagID))

			err := tc.call(t.Context(), f.client, firstTagID)
			apiErr := requireAPIError(t, err, tc.endpoint, wechat.CodeInvalidTagID)
			if wechat.IsTagNotFound(err) || err != error(apiErr) { //nolint:errorlint // the 45159 must come back as it was, not wrapped
				t.Errorf("got %v (IsTagNotFound %v), want the service's 45159 unchanged", err, wechat.IsTagNotFound(err))
			}
			requireCallCount(t, f.mock, pathList, 1)
		})
	}
}

// When tags/get cannot answer, nothing is proved: the error keeps the 45159 and says why
// it was not confirmed, and the next call asks again.
func TestClient_a45159WhoseConfirmationFailsIsNoProof(t *testing.T) {
	for _, tc := range tagCalls {
		t.Run(tc.method, func(t *testing.T) {
			f := newFixture(t, mockwechat.Config{Followers: twoFans})
			must(t, f.mock.FailNext(pathList, wechat.CodeSystemBusy))

			err := tc.call(t.Context(), f.client, 999)
			if wechat.IsTagNotFound(err) || !wechat.IsInvalidTagID(err) {
				t.Errorf("got %v (IsTagNotFound %v), want a 45159 that is no proof", err, wechat.IsTagNotFound(err))
			}
			if msg := err.Error(); !strings.Contains(msg, "errcode 45159") || !strings.Contains(msg, "confirming with tags/get whether tag 999 exists failed") ||
				!strings.Contains(msg, "tags/get: errcode -1") {
				t.Errorf("the error %q should give the 45159 and the failure of tags/get", msg)
			}

			err = tc.call(t.Context(), f.client, 999)
			requireTagNotFound(t, err, tc.endpoint, 999)
			requireCallCount(t, f.mock, pathList, 2)
		})
	}
}

// A refresh reads many resources of a deleted tag at once: their confirmations share one
// tags/get.
func TestClient_concurrentConfirmationsShareOneTagsGet(t *testing.T) {
	const callers = 10
	var members, lists atomic.Int32
	// Every user/tag/get is held until all have arrived, so that all are answered before
	// any confirmation starts.
	allSent := make(chan struct{})
	client, _ := newStub(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case pathMembers:
			if members.Add(1) == callers {
				close(allSent)
			}
			<-allSent
			replyWith(http.StatusOK, `{"errcode":45159,"errmsg":"invalid tag id rid: 6583a2b1-1c0b0b21-4f3c3d4e"}`)(w, r)
		case pathList:
			lists.Add(1)
			replyWith(http.StatusOK, `{"tags":[{"id":2,"name":"星标组","count":0}]}`)(w, r)
		default:
			http.NotFound(w, r)
		}
	})

	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() { _, errs[i] = client.TagMembers(t.Context(), 134) })
	}
	wg.Wait()
	for _, err := range errs {
		requireTagNotFound(t, err, "user/tag/get", 134)
	}
	if n := lists.Load(); n != 1 {
		t.Errorf("%d confirmations made %d tags/get calls, want 1", callers, n)
	}
}

// A delete whose first attempt was applied and then answered HTTP 502 is resent, and
// the resend is answered 45159. A tags/get that another caller made while the first
// attempt was in flight still lists the tag: it must not judge the resend's answer,
// which only a tags/get started after the resend was sent may do.
func TestClient_aLostDeleteIsJudgedByATagsGetStartedAfterTheResend(t *testing.T) {
	var deleted atomic.Bool
	var client *wechat.Client
	client, _ = newStubWith(t, wechat.Config{Retry: wechat.RetryPolicy{MaxRetries: 2}}, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/cgi-bin/tags/delete":
			if deleted.Load() {
				replyWith(http.StatusOK, `{"errcode":45159,"errmsg":"invalid tag id rid: 6583a2b1-1c0b0b21-4f3c3d4e"}`)(w, r)
				return
			}
			// Another reader fills the cache while the tag still exists.
			if _, err := client.CachedTags(context.WithoutCancel(r.Context())); err != nil {
				t.Errorf("CachedTags: %v", err)
			}
			deleted.Store(true)
			replyWith(http.StatusBadGateway, `<html>bad gateway</html>`)(w, r)
		case pathList:
			if deleted.Load() {
				replyWith(http.StatusOK, `{"tags":[{"id":2,"name":"星标组","count":0}]}`)(w, r)
				return
			}
			replyWith(http.StatusOK, `{"tags":[{"id":2,"name":"星标组","count":0},{"id":134,"name":"广东","count":0}]}`)(w, r)
		default:
			http.NotFound(w, r)
		}
	})
	requireTagNotFound(t, client.DeleteTag(t.Context(), 134), "tags/delete", 134)
}
