package wechat_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
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

func TestClient_tagAndUntagFollowersInBatchesOfFifty(t *testing.T) {
	tests := []struct {
		followers int
		wantCalls int
	}{
		{1, 1},
		{50, 1},
		{51, 2},
		{120, 3},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.followers)+" openids", func(t *testing.T) {
			fans := mockwechat.GenerateOpenIDs(tt.followers, 7)
			f := newFixture(t, mockwechat.Config{Followers: fans, Tags: []string{"广东"}})

			must(t, f.client.TagFollowers(t.Context(), firstTagID, fans))
			requireCallCount(t, f.mock, pathTag, tt.wantCalls)
			if tag, _ := f.mock.TagByID(firstTagID); tag.Count != tt.followers {
				t.Errorf("after tagging the tag has %d fans, want %d", tag.Count, tt.followers)
			}

			must(t, f.client.UntagFollowers(t.Context(), firstTagID, fans))
			requireCallCount(t, f.mock, pathUntag, tt.wantCalls)
			if tag, _ := f.mock.TagByID(firstTagID); tag.Count != 0 {
				t.Errorf("after untagging the tag has %d fans, want 0", tag.Count)
			}
		})
	}
}

// The mock refuses a list over 50 openids with 40032, like the service; splitting is the
// client's job, so this test watches the request bodies themselves.
func TestClient_batchingKeepsEveryRequestWithinTheFiftyOpenIDLimitOf40032(t *testing.T) {
	fans := mockwechat.GenerateOpenIDs(120, 7)
	f := newFixture(t, mockwechat.Config{Followers: fans, Tags: []string{"广东"}})

	// First, that the limit is real: 51 openids in one request are refused.
	token := f.mock.IssueAccessToken()
	body, _ := json.Marshal(map[string]any{"tagid": firstTagID, "openid_list": fans[:51]})
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

	rec := &batchSizeRecorder{}
	cfg := f.cfg
	cfg.HTTPClient = &http.Client{Transport: rec}
	tokens, err := wechat.NewStableTokenSource(f.cfg, testAppID, testSecret)
	must(t, err)
	client := newClient(t, cfg, tokens)

	must(t, client.TagFollowers(t.Context(), firstTagID, fans))
	must(t, client.UntagFollowers(t.Context(), firstTagID, fans))
	if want := []int{50, 50, 20, 50, 50, 20}; !slices.Equal(rec.sizes(), want) {
		t.Errorf("openid_list sizes sent: %v, want %v", rec.sizes(), want)
	}
}

// batchSizeRecorder is a transport noting the openid_list size of every request.
type batchSizeRecorder struct {
	mu   sync.Mutex
	seen []int
}

func (r *batchSizeRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		var batch struct {
			OpenIDList []string `json:"openid_list"`
		}
		if json.Unmarshal(body, &batch) == nil && batch.OpenIDList != nil {
			r.mu.Lock()
			r.seen = append(r.seen, len(batch.OpenIDList))
			r.mu.Unlock()
		}
	}
	return http.DefaultTransport.RoundTrip(req)
}

func (r *batchSizeRecorder) sizes() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.seen)
}

func TestClient_aBatchFailingAfterOthersSucceededReportsWhatWasApplied(t *testing.T) {
	fans := mockwechat.GenerateOpenIDs(60, 7)
	f := newFixture(t, mockwechat.Config{Followers: fans, Tags: []string{"广东"}})
	openids := slices.Insert(slices.Clone(fans), 55, stranger)

	err := f.client.TagFollowers(t.Context(), firstTagID, openids)
	var batchErr *wechat.BatchError
	if !errors.As(err, &batchErr) {
		t.Fatalf("got %v (%T), want a *wechat.BatchError", err, err)
	}
	if !slices.Equal(batchErr.Applied, fans[:50]) {
		t.Errorf("Applied holds %d openids, want the first batch of 50", len(batchErr.Applied))
	}
	requireAPIError(t, err, "tags/members/batchtagging", wechat.CodeInvalidOpenID)
	if !strings.Contains(err.Error(), "errcode 40003") || !strings.Contains(err.Error(), "after 50 openids were changed") {
		t.Errorf("the message %q should say what failed and how much was applied", err)
	}
	if !wechat.IsUnknownFollower(err) {
		t.Error("IsUnknownFollower = false through the BatchError")
	}
	if tag, _ := f.mock.TagByID(firstTagID); tag.Count != 50 {
		t.Errorf("the mock's tag has %d fans, want the 50 of the first batch", tag.Count)
	}
}

func TestClient_aFirstBatchFailingIsThePlainAPIErrorAndChangesNothing(t *testing.T) {
	fans := mockwechat.GenerateOpenIDs(60, 7)
	f := newFixture(t, mockwechat.Config{Followers: fans, Tags: []string{"广东"}})

	err := f.client.TagFollowers(t.Context(), firstTagID, append([]string{stranger}, fans...))
	var batchErr *wechat.BatchError
	if errors.As(err, &batchErr) {
		t.Errorf("got a BatchError %v, but nothing was applied", err)
	}
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
