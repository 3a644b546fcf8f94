package wechat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

func TestClient_createTagReturnsTheIDTheServiceAssigned(t *testing.T) {
	// Ten Chinese characters are 30 bytes: the longest name both readings of the docs accept.
	for _, name := range []string{"广东", "VIP customers", strings.Repeat("标", 10), strings.Repeat("x", wechat.MaxTagNameBytes)} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, mockwechat.Config{})
			tag, err := f.client.CreateTag(t.Context(), name)
			must(t, err)
			if tag.ID != firstTagID || tag.Name != name {
				t.Errorf("CreateTag = %+v, want id %d named %q", tag, firstTagID, name)
			}
			if stored, ok := f.mock.TagByID(tag.ID); !ok || stored.Name != name {
				t.Errorf("the mock holds %+v, %v; want a tag named %q", stored, ok, name)
			}
		})
	}
}

func TestClient_listTagsIncludesTheStarredSystemTagAndCounts(t *testing.T) {
	fans := mockwechat.GenerateOpenIDs(3, 1)
	f := newFixture(t, mockwechat.Config{Followers: fans, Tags: []string{"广东", "北京"}})
	must(t, f.mock.TagUser(fans[0], wechat.TagStarred))
	must(t, f.mock.TagUser(fans[0], firstTagID))
	must(t, f.mock.TagUser(fans[1], firstTagID))

	tags, err := f.client.ListTags(t.Context())
	must(t, err)
	want := []wechat.Tag{
		{ID: wechat.TagStarred, Name: "星标组", Count: 1},
		{ID: firstTagID, Name: "广东", Count: 2},
		{ID: firstTagID + 1, Name: "北京", Count: 0},
	}
	if !slices.Equal(tags, want) {
		t.Errorf("ListTags = %+v, want %+v", tags, want)
	}
}

func TestClient_renameTagChangesOnlyTheName(t *testing.T) {
	fans := mockwechat.GenerateOpenIDs(1, 1)
	f := newFixture(t, mockwechat.Config{Followers: fans, Tags: []string{"广东"}})
	must(t, f.mock.TagUser(fans[0], firstTagID))

	must(t, f.client.RenameTag(t.Context(), firstTagID, "广东人"))
	if got, _ := f.mock.TagByID(firstTagID); got != (mockwechat.Tag{ID: firstTagID, Name: "广东人", Count: 1}) {
		t.Errorf("after the rename the mock holds %+v", got)
	}
}

func TestClient_deleteTagRemovesItFromTheAccountAndItsFans(t *testing.T) {
	fans := mockwechat.GenerateOpenIDs(1, 1)
	f := newFixture(t, mockwechat.Config{Followers: fans, Tags: []string{"广东", "北京"}})
	must(t, f.mock.TagUser(fans[0], firstTagID))
	must(t, f.mock.TagUser(fans[0], firstTagID+1))

	must(t, f.client.DeleteTag(t.Context(), firstTagID))
	if _, ok := f.mock.TagByID(firstTagID); ok {
		t.Error("the tag still exists")
	}
	if got, _ := f.mock.UserTags(fans[0]); !slices.Equal(got, []int64{firstTagID + 1}) {
		t.Errorf("the fan carries %v, want only the other tag", got)
	}
}

// One call takes up to 50 openids, applied whole; more are refused before any request,
// since chunking is the membership engine's, which accounts for each call.
func TestClient_tagAndUntagFollowersInOneCallOfAtMostFifty(t *testing.T) {
	for _, n := range []int{1, 50} {
		t.Run(strconv.Itoa(n)+" openids", func(t *testing.T) {
			fans := mockwechat.GenerateOpenIDs(n, 7)
			f := newFixture(t, mockwechat.Config{Followers: fans, Tags: []string{"广东"}})

			must(t, f.client.TagFollowers(t.Context(), firstTagID, fans))
			requireCallCount(t, f.mock, pathTag, 1)
			if tag, _ := f.mock.TagByID(firstTagID); tag.Count != n {
				t.Errorf("after tagging the tag has %d fans, want %d", tag.Count, n)
			}
			must(t, f.client.UntagFollowers(t.Context(), firstTagID, fans))
			requireCallCount(t, f.mock, pathUntag, 1)
			if tag, _ := f.mock.TagByID(firstTagID); tag.Count != 0 {
				t.Errorf("after untagging the tag has %d fans, want 0", tag.Count)
			}
		})
	}
}

// The mock refuses a list over 50 openids with 40032, like the service: the client never
// sends one.
func TestClient_moreThanFiftyOpenIDsAreRefusedBeforeAnyRequest(t *testing.T) {
	fans := mockwechat.GenerateOpenIDs(51, 7)
	f := newFixture(t, mockwechat.Config{Followers: fans, Tags: []string{"广东"}})

	// First, that the limit is real: 51 openids in one request are refused.
	token := f.mock.IssueAccessToken()
	body, err := json.Marshal(map[string]any{"openid_list": fans, "tagid": firstTagID})
	must(t, err)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, strings.TrimSuffix(f.cfg.BaseURL, "/")+pathTag+"?access_token="+token, bytes.NewReader(body))
	must(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	var refusal struct{ ErrCode int }
	must(t, json.NewDecoder(resp.Body).Decode(&refusal))
	resp.Body.Close()
	if refusal.ErrCode != wechat.CodeInvalidOpenIDListSize {
		t.Fatalf("the mock answered 51 openids with errcode %d, want 40032", refusal.ErrCode)
	}
	f.mock.ResetCalls()

	for name, call := range map[string]func(context.Context, int64, []string) error{
		"tag": f.client.TagFollowers, "untag": f.client.UntagFollowers,
	} {
		if err := call(t.Context(), firstTagID, fans); !errors.Is(err, wechat.ErrTooManyOpenIDs) {
			t.Errorf("%s of 51 openids: got %v, want ErrTooManyOpenIDs", name, err)
		}
	}
	requireCallCount(t, f.mock, pathTag, 0)
	requireCallCount(t, f.mock, pathUntag, 0)
}

func TestClient_aBatchRefusedForOneOpenIDChangesNothing(t *testing.T) {
	fans := mockwechat.GenerateOpenIDs(49, 7)
	f := newFixture(t, mockwechat.Config{Followers: fans, Tags: []string{"广东"}})

	err := f.client.TagFollowers(t.Context(), firstTagID, append([]string{stranger}, fans...))
	requireAPIError(t, err, "tags/members/batchtagging", wechat.CodeInvalidOpenID)
	requireCallCount(t, f.mock, pathTag, 1)
	if tag, _ := f.mock.TagByID(firstTagID); tag.Count != 0 {
		t.Errorf("the mock's tag has %d fans, want 0", tag.Count)
	}
}

func TestClient_followerTagsListsTagsInTheOrderApplied(t *testing.T) {
	fans := mockwechat.GenerateOpenIDs(2, 1)
	f := newFixture(t, mockwechat.Config{Followers: fans, Tags: []string{"广东"}})
	must(t, f.mock.TagUser(fans[0], firstTagID))
	must(t, f.mock.TagUser(fans[0], wechat.TagStarred))

	got, err := f.client.FollowerTags(t.Context(), fans[0])
	must(t, err)
	if want := []int64{firstTagID, wechat.TagStarred}; !slices.Equal(got, want) {
		t.Errorf("FollowerTags = %v, want %v", got, want)
	}

	got, err = f.client.FollowerTags(t.Context(), fans[1])
	must(t, err)
	if len(got) != 0 {
		t.Errorf("FollowerTags of an untagged follower = %v, want none", got)
	}
}

func TestClient_tagMembersReadsEveryPageAndStopsAtTheEmptyOne(t *testing.T) {
	tests := []struct {
		name      string
		members   int
		pageSize  int
		wantCalls int
	}{
		// next_openid names the last openid even on the last page, so the listing only ends
		// with a page of count 0: one call more than there are full or partial pages.
		{"seven members in pages of three", 7, 3, 4},
		{"exactly one full page", 3, 3, 2},
		{"exactly two full pages", 6, 3, 3},
		{"one member", 1, 3, 2},
		{"empty tag", 0, 3, 1},
		{"default page size", 25, 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Members alternate with followers without the tag, so a page is not simply a
			// slice of the follower list.
			fans := mockwechat.GenerateOpenIDs(2*tt.members+1, 3)
			f := newFixture(t, mockwechat.Config{Followers: fans, Tags: []string{"广东"}, PageSize: tt.pageSize})
			var want []string
			for i := 1; i < len(fans); i += 2 {
				must(t, f.mock.TagUser(fans[i], firstTagID))
				want = append(want, fans[i])
			}

			got, err := f.client.TagMembers(t.Context(), firstTagID)
			must(t, err)
			if !slices.Equal(got, want) {
				t.Errorf("TagMembers returned %d openids, want %d in follow order", len(got), len(want))
			}
			requireCallCount(t, f.mock, pathMembers, tt.wantCalls)
		})
	}
}

func TestClient_tagMembersOfTheStarredTag(t *testing.T) {
	fans := mockwechat.GenerateOpenIDs(2, 3)
	f := newFixture(t, mockwechat.Config{Followers: fans})
	must(t, f.mock.TagUser(fans[1], wechat.TagStarred))

	got, err := f.client.TagMembers(t.Context(), wechat.TagStarred)
	must(t, err)
	if !slices.Equal(got, fans[1:]) {
		t.Errorf("TagMembers(2) = %v, want %v", got, fans[1:])
	}
}

// A failure on a later page must not return the pages read so far: a partial list would
// read as fans having lost the tag.
func TestClient_tagMembersFailingMidwayReturnsNoPartialList(t *testing.T) {
	fans := mockwechat.GenerateOpenIDs(7, 3)
	f := newFixture(t, mockwechat.Config{Followers: fans, Tags: []string{"广东"}, PageSize: 3})
	for _, fan := range fans {
		must(t, f.mock.TagUser(fan, firstTagID))
	}
	var once sync.Once
	f.log.after = func(call wechat.CallInfo) {
		if call.Endpoint == "user/tag/get" && call.Err == nil {
			once.Do(func() { must(t, f.mock.FailNext(pathMembers, wechat.CodeSystemBusy)) })
		}
	}

	got, err := f.client.TagMembers(t.Context(), firstTagID)
	requireAPIError(t, err, "user/tag/get", wechat.CodeSystemBusy)
	if got != nil {
		t.Errorf("TagMembers returned %v with the error, want nil", got)
	}
	requireCallCount(t, f.mock, pathMembers, 2)
}
