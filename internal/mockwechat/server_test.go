package mockwechat_test

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

func TestErrors_areHTTP200WithTheRequestIDInErrmsg(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	r := f.call("/cgi-bin/tags/get", "", nil)
	wantErr(t, r, 41001)
	if !strings.HasPrefix(r.ErrMsg, "access_token missing rid: ") {
		t.Errorf("errmsg %q, want the service's text then the rid", r.ErrMsg)
	}
	// Two errors never share a request id.
	if again := f.call("/cgi-bin/tags/get", "", nil); again.ErrMsg == r.ErrMsg {
		t.Errorf("two requests share errmsg %q", r.ErrMsg)
	}
}

func TestNames_roundTripAsUTF8WithoutHTMLEscaping(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	r := f.ok("/cgi-bin/tags/create", tagBody(0, "<广东&深圳>"))
	if !strings.Contains(r.raw, `"name":"<广东&深圳>"`) {
		t.Errorf("got %s, want the name verbatim", r.raw)
	}
}

func TestUnknownPaths_answer40066AndAreNotCounted(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	for _, path := range []string{"/", "/cgi-bin/tags/list", "/cgi-bin/user/get", "/cgi-bin/user/info"} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			r := f.do(method, path+"?access_token="+f.token, "{}")
			wantErr(t, r, 40066)
			if !strings.Contains(r.ErrMsg, "the mock does not serve "+path+"]") || strings.Contains(r.ErrMsg, f.token) {
				t.Errorf("%s %s: errmsg %q, want it to name the path and not the token", method, path, r.ErrMsg)
			}
		}
	}
	if calls := f.srv.Calls(); len(calls) != 0 {
		t.Errorf("unknown paths were counted: %v", calls)
	}
}

func TestCalls_countEveryAPIRequestByPathSuccessfulOrNot(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	f.ok("/cgi-bin/tags/get", nil)
	f.call("/cgi-bin/tags/get", "", nil)
	f.api("/cgi-bin/tags/create", "")
	f.do(http.MethodGet, "/cgi-bin/tags/create", nil)
	f.newToken(stablePath, false)
	f.tokenFrom(tokenPath, "client_credential", appID, "wrong", false)
	if _, err := f.srv.CreateTag("out of band"); err != nil {
		t.Fatal(err)
	}
	f.do(http.MethodGet, "/_mock/state", nil)

	want := map[string]int{"/cgi-bin/tags/get": 2, "/cgi-bin/tags/create": 2, stablePath: 1, tokenPath: 1}
	if got := f.srv.Calls(); !maps.Equal(got, want) {
		t.Errorf("Calls() = %v, want %v", got, want)
	}
	if n := f.srv.CallCount("/cgi-bin/tags/create"); n != 2 {
		t.Errorf("CallCount(create) = %d, want 2", n)
	}
	f.srv.ResetCalls()
	if got := f.srv.Calls(); len(got) != 0 || f.srv.CallCount("/cgi-bin/tags/get") != 0 {
		t.Errorf("after ResetCalls: %v", got)
	}
}

func TestFailNext_failsTheNextRequestsToAPathInOrder(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	for _, code := range []int{-1, 45011} {
		if err := f.srv.FailNext("/cgi-bin/tags/get", code); err != nil {
			t.Fatal(err)
		}
	}
	wantErr(t, f.api("/cgi-bin/tags/get", nil), -1)
	wantErr(t, f.api("/cgi-bin/tags/get", nil), 45011)
	f.ok("/cgi-bin/tags/get", nil)
	if f.srv.FailNext("/cgi-bin/nope", -1) == nil || f.srv.FailNext("/cgi-bin/tags/get", 0) == nil {
		t.Error("FailNext accepted an unknown path or errcode 0")
	}
}

func TestServer_isSafeUnderConcurrentRequests(t *testing.T) {
	openids := mockwechat.GenerateOpenIDs(40, 1)
	f := newFixture(t, mockwechat.Config{Followers: openids, Tags: []string{"a", "b", "c", "d"}})
	f.serve()
	var wg sync.WaitGroup
	for g := range 8 {
		group := openids[g*5 : g*5+5]
		wg.Go(func() {
			for i := range 20 {
				tagID := int64(100 + (g+i)%4)
				f.api("/cgi-bin/tags/members/batchtagging", batchBody(tagID, group...))
				f.api("/cgi-bin/tags/members/batchuntagging", batchBody(tagID, group[i%5]))
				f.api("/cgi-bin/tags/getidlist", map[string]string{"openid": group[0]})
				f.api("/cgi-bin/user/tag/get", map[string]any{"tagid": tagID})
				f.api("/cgi-bin/tags/get", nil)
				f.tokenFrom(stablePath, "client_credential", appID, appSecret, false)
				if err := f.srv.TagUser(group[1], 2); err != nil {
					t.Error(err)
				}
				if err := f.srv.RenameTag(tagID, fmt.Sprint("renamed", g, i)); err != nil {
					t.Error(err)
				}
				f.srv.Tags()
				f.srv.Calls()
			}
		})
	}
	wg.Wait()

	// Each tag's count must still match its followers.
	for _, tag := range f.srv.Tags() {
		fans := 0
		for _, openid := range openids {
			if ids, _ := f.srv.UserTags(openid); slices.Contains(ids, tag.ID) {
				fans++
			}
		}
		if tag.Count != fans {
			t.Errorf("tag %d counts %d fans, followers say %d", tag.ID, tag.Count, fans)
		}
	}
	if n := f.srv.CallCount("/cgi-bin/tags/get"); n != 8*20 {
		t.Errorf("tags/get counted %d times, want %d", n, 8*20)
	}
}

func TestGenerateOpenIDs_realisticDistinctAndDeterministic(t *testing.T) {
	shape := regexp.MustCompile(`^o[A-Za-z0-9_-]{27}$`)
	ids := mockwechat.GenerateOpenIDs(1000, 42)
	if len(ids) != 1000 {
		t.Fatalf("got %d openids, want 1000", len(ids))
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if !shape.MatchString(id) || seen[id] {
			t.Fatalf("openid %q is malformed or repeated", id)
		}
		seen[id] = true
		// One account's openids share a prefix, as real ones do.
		if id[:6] != ids[0][:6] {
			t.Errorf("openid %q does not share the prefix %q", id, ids[0][:6])
		}
	}
	if again := mockwechat.GenerateOpenIDs(1000, 42); !slices.Equal(again, ids) {
		t.Error("same seed gave a different list")
	}
	if prefix := mockwechat.GenerateOpenIDs(10, 42); !slices.Equal(prefix, ids[:10]) {
		t.Error("a shorter list is not a prefix of the longer one")
	}
	if other := mockwechat.GenerateOpenIDs(1, 43); other[0][:6] == ids[0][:6] {
		t.Error("another seed, standing for another AppID, gave the same prefix")
	}
	if len(mockwechat.GenerateOpenIDs(0, 1)) != 0 || len(mockwechat.GenerateOpenIDs(-1, 1)) != 0 {
		t.Error("n <= 0 gave openids")
	}
}

func TestOutOfBand_changesShowInTheAPIAndAreNotCounted(t *testing.T) {
	openids := mockwechat.GenerateOpenIDs(2, 1)
	f := newFixture(t, mockwechat.Config{Followers: openids[:1]})
	tag, err := f.srv.CreateTag("广东")
	if err != nil || tag != (mockwechat.Tag{ID: 100, Name: "广东"}) {
		t.Fatalf("CreateTag = %+v, %v", tag, err)
	}
	f.srv.AddFollower(openids[1])
	f.srv.AddFollower(openids[1])
	for _, err := range []error{
		f.srv.RenameTag(100, "广东人"),
		f.srv.TagUser(openids[1], 100),
		f.srv.TagUser(openids[1], 100),
		f.srv.TagUser(openids[0], 2),
		f.srv.UntagUser(openids[0], 2),
		f.srv.UntagUser(openids[0], 2),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if r := f.ok("/cgi-bin/tags/get", nil); r.raw != `{"tags":[{"id":2,"name":"星标组","count":0},{"id":100,"name":"广东人","count":1}]}` {
		t.Errorf("tags/get after out-of-band changes: %s", r.raw)
	}
	if got := f.srv.Followers(); !slices.Equal(got, openids) {
		t.Errorf("Followers() = %v, want %v", got, openids)
	}
	if err := f.srv.DeleteTag(100); err != nil {
		t.Fatal(err)
	}
	if ids, _ := f.srv.UserTags(openids[1]); len(ids) != 0 {
		t.Errorf("follower keeps deleted tag: %v", ids)
	}
	if calls := f.srv.Calls(); !maps.Equal(calls, map[string]int{"/cgi-bin/tags/get": 1}) {
		t.Errorf("out-of-band changes were counted: %v", calls)
	}
}

func TestOutOfBand_refusesWhatTheAPIWouldRefuse(t *testing.T) {
	openids := mockwechat.GenerateOpenIDs(1, 1)
	foreign := mockwechat.GenerateOpenIDs(1, 2)[0]
	names := make([]string, 21)
	for i := range names {
		names[i] = fmt.Sprint("tag", i)
	}
	f := newFixture(t, mockwechat.Config{Followers: openids, ForeignOpenIDs: []string{foreign}, Tags: names})
	for id := int64(100); id < 120; id++ {
		if err := f.srv.TagUser(openids[0], id); err != nil {
			t.Fatal(err)
		}
	}
	_, createErr := f.srv.CreateTag("tag0")
	// JSON cannot carry invalid UTF-8 (decoding replaces it), so only Go callers can try.
	_, invalidErr := f.srv.CreateTag("\xff")
	for _, tc := range []struct {
		err  error
		want int
	}{
		{createErr, 45157},
		{invalidErr, 45157},
		{f.srv.RenameTag(100, strings.Repeat("x", 31)), 45158},
		{f.srv.RenameTag(2, "x"), 45058},
		{f.srv.RenameTag(999, "x"), 45159},
		{f.srv.DeleteTag(1), 45058},
		{f.srv.DeleteTag(999), 45159},
		{f.srv.TagUser("ocYxcuNotAFollowerOfThisApp0", 100), 40003},
		{f.srv.TagUser(foreign, 100), 49003},
		{f.srv.TagUser(openids[0], 0), 45159},
		{f.srv.TagUser(openids[0], 120), 45059},
		{f.srv.UntagUser(openids[0], 999), 45159},
	} {
		var e *mockwechat.Error
		if !errors.As(tc.err, &e) || e.Code != tc.want || !strings.HasPrefix(tc.err.Error(), "mockwechat: ") {
			t.Errorf("got %v, want a mockwechat error with errcode %d", tc.err, tc.want)
		}
	}
	if err := f.srv.TagUser(foreign, 100); !strings.Contains(err.Error(), foreign) {
		t.Errorf("error %q does not name the openid", err)
	}
}

func TestConfig_tagsExistAtStartAndBadOnesPanic(t *testing.T) {
	f := newFixture(t, mockwechat.Config{Tags: []string{"广东", "VIP"}})
	want := []mockwechat.Tag{{ID: 2, Name: "星标组"}, {ID: 100, Name: "广东"}, {ID: 101, Name: "VIP"}}
	if got := f.srv.Tags(); !slices.Equal(got, want) {
		t.Errorf("Tags() = %v, want %v", got, want)
	}
	for _, tags := range [][]string{{"a", "a"}, {""}, {"a", "b", "c"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New accepted Config.Tags %q with MaxTags 2", tags)
				}
			}()
			mockwechat.New(mockwechat.Config{Tags: tags, MaxTags: 2})
		}()
	}
}

func TestInspection_hidesTags0And1AndNonFollowers(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	for id, listed := range map[int64]bool{0: false, 1: false, 2: true, 100: false} {
		if _, ok := f.srv.TagByID(id); ok != listed {
			t.Errorf("TagByID(%d) found = %v, want %v", id, ok, listed)
		}
	}
	if _, ok := f.srv.UserTags("ocYxcuNotAFollowerOfThisApp0"); ok {
		t.Error("UserTags found a non-follower")
	}
	if got := f.srv.Followers(); len(got) != 0 {
		t.Errorf("Followers() = %v, want none", got)
	}
}
