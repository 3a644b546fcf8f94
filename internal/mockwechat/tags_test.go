package mockwechat_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

func TestCreateTag_returnsIDsFrom100UpwardNeverReused(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	r := f.ok("/cgi-bin/tags/create", tagBody(0, "广东"))
	if r.raw != `{"tag":{"id":100,"name":"广东"}}` {
		t.Errorf("got %s, want the documented body with id 100", r.raw)
	}
	f.ok("/cgi-bin/tags/delete", tagBody(100, ""))
	if id := f.createTag("广东"); id != 101 {
		t.Errorf("tag created after deleting 100 got id %d, want 101", id)
	}
}

func TestCreateTag_enforcesNameRules(t *testing.T) {
	for _, tc := range []struct {
		name string
		want int
	}{
		{"", 45157},
		{"   ", 45157},
		{"a\nb", 45157},
		{"existing", 45157},
		{"星标组", 45157},
		{"未分组", 45157},
		{"黑名单", 45157},
		{strings.Repeat("a", 31), 45158},
		{strings.Repeat("广", 11), 45158}, // 33 bytes though 11 characters
		{strings.Repeat("a", 30), 0},
		{strings.Repeat("广", 10), 0},
		{"Existing", 0}, // names compare case-sensitively
	} {
		f := newFixture(t, mockwechat.Config{Tags: []string{"existing"}})
		r := f.api("/cgi-bin/tags/create", tagBody(0, tc.name))
		if tc.want == 0 {
			if r.ErrCode != 0 || r.Tag.Name != tc.name {
				t.Errorf("create %q: got %s, want success", tc.name, r.raw)
			}
			continue
		}
		t.Run(fmt.Sprintf("%q", tc.name), func(t *testing.T) { wantErr(t, r, tc.want) })
	}
}

func TestCreateTag_limitsUserTagsToMaxTagsNotCountingSystemTags(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	for i := range 100 {
		f.createTag(fmt.Sprint("tag", i))
	}
	wantErr(t, f.api("/cgi-bin/tags/create", tagBody(0, "one too many")), 45056)

	f = newFixture(t, mockwechat.Config{MaxTags: 2, Tags: []string{"a", "b"}})
	wantErr(t, f.api("/cgi-bin/tags/create", tagBody(0, "c")), 45056)
	f.ok("/cgi-bin/tags/delete", tagBody(100, ""))
	f.createTag("c")
}

func TestCreateTag_countingSystemTagsLeaves97(t *testing.T) {
	f := newFixture(t, mockwechat.Config{CountSystemTags: true})
	for i := range 97 {
		f.createTag(fmt.Sprint("tag", i))
	}
	wantErr(t, f.api("/cgi-bin/tags/create", tagBody(0, "the 98th")), 45056)
}

func TestListTags_showsStarredSystemTagAndFanCounts(t *testing.T) {
	openids := mockwechat.GenerateOpenIDs(3, 1)
	f := newFixture(t, mockwechat.Config{Followers: openids, Tags: []string{"广东", "VIP"}})
	f.ok("/cgi-bin/tags/members/batchtagging", batchBody(100, openids...))
	f.ok("/cgi-bin/tags/members/batchtagging", batchBody(2, openids[0]))
	r := f.ok("/cgi-bin/tags/get", nil)
	want := `{"tags":[{"id":2,"name":"星标组","count":1},{"id":100,"name":"广东","count":3},{"id":101,"name":"VIP","count":0}]}`
	if r.raw != want {
		t.Errorf("got %s, want %s", r.raw, want)
	}
}

func TestUpdateTag_renamesAndAcceptsTheCurrentName(t *testing.T) {
	f := newFixture(t, mockwechat.Config{Tags: []string{"广东", "VIP"}})
	if r := f.ok("/cgi-bin/tags/update", tagBody(100, "广东人")); r.raw != `{"errcode":0,"errmsg":"ok"}` {
		t.Errorf("got %s, want the documented ok body", r.raw)
	}
	f.ok("/cgi-bin/tags/update", tagBody(100, "广东人"))
	if tag, _ := f.srv.TagByID(100); tag.Name != "广东人" {
		t.Errorf("tag 100 is named %q, want 广东人", tag.Name)
	}
}

func TestUpdateTag_refusals(t *testing.T) {
	f := newFixture(t, mockwechat.Config{Tags: []string{"广东", "VIP"}})
	for _, tc := range []struct {
		id   int64
		name string
		want int
	}{
		{100, "VIP", 45157},
		{100, "星标组", 45157},
		{100, "", 45157},
		{100, strings.Repeat("x", 31), 45158},
		{0, "x", 45058},
		{1, "x", 45058},
		{2, "x", 45058},
		{99, "x", 45159},
		{102, "x", 45159},
	} {
		t.Run(fmt.Sprint(tc.id, tc.name), func(t *testing.T) {
			wantErr(t, f.api("/cgi-bin/tags/update", tagBody(tc.id, tc.name)), tc.want)
		})
	}
	// The official example sends no name; an absent name is an empty one.
	wantErr(t, f.api("/cgi-bin/tags/update", `{"tag":{"id":100}}`), 45157)
}

func TestDeleteTag_removesTheTagFromEveryFollower(t *testing.T) {
	openids := mockwechat.GenerateOpenIDs(2, 1)
	f := newFixture(t, mockwechat.Config{Followers: openids, Tags: []string{"广东", "VIP"}})
	f.ok("/cgi-bin/tags/members/batchtagging", batchBody(100, openids...))
	f.ok("/cgi-bin/tags/members/batchtagging", batchBody(101, openids[0]))
	f.ok("/cgi-bin/tags/delete", tagBody(100, ""))
	if _, ok := f.srv.TagByID(100); ok {
		t.Error("tag 100 still listed")
	}
	for i, want := range [][]int64{{101}, {}} {
		if got, _ := f.srv.UserTags(openids[i]); !slices.Equal(got, want) {
			t.Errorf("follower %d has tags %v, want %v", i, got, want)
		}
	}
}

func TestDeleteTag_refusesSystemAndUnknownTags(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	for id, want := range map[int64]int{0: 45058, 1: 45058, 2: 45058, 100: 45159, -1: 45159} {
		wantErr(t, f.api("/cgi-bin/tags/delete", tagBody(id, "")), want)
	}
}

func TestDeleteTag_refusesATagWithMoreThan100000Fans(t *testing.T) {
	openids := mockwechat.GenerateOpenIDs(100001, 1)
	f := newFixture(t, mockwechat.Config{Followers: openids, Tags: []string{"big"}})
	for _, openid := range openids {
		if err := f.srv.TagUser(openid, 100); err != nil {
			t.Fatal(err)
		}
	}
	wantErr(t, f.api("/cgi-bin/tags/delete", tagBody(100, "")), 45057)
	f.ok("/cgi-bin/tags/members/batchuntagging", batchBody(100, openids[0]))
	f.ok("/cgi-bin/tags/delete", tagBody(100, ""))
}

func TestBatchTagging_tagsFollowersAndRepeatsAreNoOps(t *testing.T) {
	openids := mockwechat.GenerateOpenIDs(3, 1)
	f := newFixture(t, mockwechat.Config{Followers: openids, Tags: []string{"VIP"}})
	r := f.ok("/cgi-bin/tags/members/batchtagging", batchBody(100, openids[0], openids[1], openids[0]))
	if r.raw != `{"errcode":0,"errmsg":"ok"}` {
		t.Errorf("got %s, want the documented ok body", r.raw)
	}
	f.ok("/cgi-bin/tags/members/batchtagging", batchBody(100, openids[0]))
	if tag, _ := f.srv.TagByID(100); tag.Count != 2 {
		t.Errorf("count = %d, want 2", tag.Count)
	}
	if got, _ := f.srv.UserTags(openids[2]); len(got) != 0 {
		t.Errorf("untouched follower has tags %v", got)
	}
}

func TestBatchUntagging_untagsFollowersAndRepeatsAreNoOps(t *testing.T) {
	openids := mockwechat.GenerateOpenIDs(2, 1)
	f := newFixture(t, mockwechat.Config{Followers: openids, Tags: []string{"VIP"}})
	f.ok("/cgi-bin/tags/members/batchtagging", batchBody(100, openids[0]))
	f.ok("/cgi-bin/tags/members/batchuntagging", batchBody(100, openids...))
	f.ok("/cgi-bin/tags/members/batchuntagging", batchBody(100, openids...))
	if tag, _ := f.srv.TagByID(100); tag.Count != 0 {
		t.Errorf("count = %d, want 0", tag.Count)
	}
}

func TestBatchMembership_acceptsStarredTagAndRefusesTags0And1(t *testing.T) {
	openids := mockwechat.GenerateOpenIDs(1, 1)
	f := newFixture(t, mockwechat.Config{Followers: openids})
	for _, path := range []string{"/cgi-bin/tags/members/batchtagging", "/cgi-bin/tags/members/batchuntagging"} {
		f.ok(path, batchBody(2, openids...))
		for _, id := range []int64{0, 1, 3, 100} {
			wantErr(t, f.api(path, batchBody(id, openids...)), 45159)
		}
	}
}

func TestBatchMembership_limitsTheListTo50OpenIDs(t *testing.T) {
	openids := mockwechat.GenerateOpenIDs(51, 1)
	f := newFixture(t, mockwechat.Config{Followers: openids, Tags: []string{"VIP"}})
	for _, path := range []string{"/cgi-bin/tags/members/batchtagging", "/cgi-bin/tags/members/batchuntagging"} {
		wantErr(t, f.api(path, batchBody(100)), 40032)
		wantErr(t, f.api(path, batchBody(100, openids...)), 40032)
		wantErr(t, f.api(path, `{"tagid":100}`), 40032)
		f.ok(path, batchBody(100, openids[:50]...))
	}
}

func TestBatchMembership_validatesTheWholeRequestBeforeChangingAnything(t *testing.T) {
	openids := mockwechat.GenerateOpenIDs(3, 1)
	foreign := mockwechat.GenerateOpenIDs(1, 2)[0]
	full := openids[2] // will carry 20 tags
	names := make([]string, 21)
	for i := range names {
		names[i] = fmt.Sprint("tag", i)
	}
	f := newFixture(t, mockwechat.Config{Followers: openids, ForeignOpenIDs: []string{foreign}, Tags: names})
	for id := int64(100); id < 120; id++ {
		f.ok("/cgi-bin/tags/members/batchtagging", batchBody(id, full))
	}
	f.ok("/cgi-bin/tags/members/batchtagging", batchBody(100, openids[1]))

	for _, tc := range []struct {
		path  string
		tagID int64
		list  []string
		want  int
	}{
		{"batchtagging", 120, []string{openids[0], "ocYxcuNotAFollowerOfThisApp0"}, 40003},
		{"batchtagging", 120, []string{openids[0], foreign}, 49003},
		{"batchtagging", 120, []string{openids[0], full}, 45059},
		{"batchuntagging", 100, []string{openids[1], "ocYxcuNotAFollowerOfThisApp0"}, 40003},
		{"batchuntagging", 100, []string{openids[1], foreign}, 49003},
	} {
		wantErr(t, f.api("/cgi-bin/tags/members/"+tc.path, batchBody(tc.tagID, tc.list...)), tc.want)
	}
	if got, _ := f.srv.UserTags(openids[0]); len(got) != 0 {
		t.Errorf("refused tagging still tagged a valid follower: %v", got)
	}
	if got, _ := f.srv.UserTags(openids[1]); !slices.Equal(got, []int64{100}) {
		t.Errorf("refused untagging still untagged a valid follower: %v", got)
	}
	// A tag the follower already has is not a 21st.
	f.ok("/cgi-bin/tags/members/batchtagging", batchBody(119, full))
}

func TestGetIDList_listsTagsInTheOrderApplied(t *testing.T) {
	openids := mockwechat.GenerateOpenIDs(2, 1)
	f := newFixture(t, mockwechat.Config{Followers: openids, Tags: []string{"广东"}})
	f.ok("/cgi-bin/tags/members/batchtagging", batchBody(100, openids[0]))
	f.ok("/cgi-bin/tags/members/batchtagging", batchBody(2, openids[0]))
	if r := f.ok("/cgi-bin/tags/getidlist", map[string]string{"openid": openids[0]}); r.raw != `{"tagid_list":[100,2]}` {
		t.Errorf("got %s, want {\"tagid_list\":[100,2]}", r.raw)
	}
	if r := f.ok("/cgi-bin/tags/getidlist", map[string]string{"openid": openids[1]}); r.raw != `{"tagid_list":[]}` {
		t.Errorf("follower without tags: got %s", r.raw)
	}
}

func TestGetIDList_refusesNonFollowersAndForeignOpenIDs(t *testing.T) {
	foreign := mockwechat.GenerateOpenIDs(1, 2)[0]
	f := newFixture(t, mockwechat.Config{Followers: mockwechat.GenerateOpenIDs(1, 1), ForeignOpenIDs: []string{foreign}})
	wantErr(t, f.api("/cgi-bin/tags/getidlist", map[string]string{"openid": "ocYxcuNotAFollowerOfThisApp0"}), 40003)
	wantErr(t, f.api("/cgi-bin/tags/getidlist", map[string]string{"openid": ""}), 40003)
	wantErr(t, f.api("/cgi-bin/tags/getidlist", map[string]string{"openid": foreign}), 49003)
}

func TestUserTagGet_pagesInFollowOrderUntilAnEmptyPage(t *testing.T) {
	openids := mockwechat.GenerateOpenIDs(6, 1)
	fans := []string{openids[1], openids[2], openids[4], openids[5]}
	for _, pageSize := range []int{1, 2, 3, 4, 10} {
		f := newFixture(t, mockwechat.Config{Followers: openids, Tags: []string{"VIP"}, PageSize: pageSize})
		// Tagged out of follow order, to show the order is the follow order.
		f.ok("/cgi-bin/tags/members/batchtagging", batchBody(100, fans[3], fans[0], fans[2], fans[1]))
		var got []string
		next := ""
		for {
			r := f.ok("/cgi-bin/user/tag/get", map[string]any{"tagid": 100, "next_openid": next})
			if r.Count == 0 {
				if r.raw != `{"count":0}` {
					t.Errorf("page size %d: final page %s, want exactly {\"count\":0}", pageSize, r.raw)
				}
				break
			}
			page := r.Data.OpenID
			if r.Count != len(page) || len(page) > pageSize || r.NextOpenID != page[len(page)-1] {
				t.Fatalf("page size %d: page %s breaks the paging rule", pageSize, r.raw)
			}
			got = append(got, page...)
			next = r.NextOpenID
		}
		if !slices.Equal(got, fans) {
			t.Errorf("page size %d: fans %v, want %v", pageSize, got, fans)
		}
	}
}

func TestUserTagGet_tagWithoutFansAnswersOnlyCount(t *testing.T) {
	f := newFixture(t, mockwechat.Config{Followers: mockwechat.GenerateOpenIDs(3, 1), Tags: []string{"VIP"}})
	for _, id := range []int64{2, 100} {
		if r := f.ok("/cgi-bin/user/tag/get", map[string]any{"tagid": id}); r.raw != `{"count":0}` {
			t.Errorf("tag %d: got %s, want {\"count\":0}", id, r.raw)
		}
	}
}

func TestUserTagGet_refusesUnknownTagsAndCursors(t *testing.T) {
	foreign := mockwechat.GenerateOpenIDs(1, 2)[0]
	f := newFixture(t, mockwechat.Config{ForeignOpenIDs: []string{foreign}, Tags: []string{"VIP"}})
	for _, id := range []int64{0, 1, 101} {
		wantErr(t, f.api("/cgi-bin/user/tag/get", map[string]any{"tagid": id}), 45159)
	}
	wantErr(t, f.api("/cgi-bin/user/tag/get", map[string]any{"tagid": 100, "next_openid": "ocYxcuNotAFollowerOfThisApp0"}), 40003)
	wantErr(t, f.api("/cgi-bin/user/tag/get", map[string]any{"tagid": 100, "next_openid": foreign}), 49003)
}

func TestTagEndpoints_requireTheirMethod(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	for _, path := range tagPaths {
		method, want := http.MethodGet, 43002
		if path == "/cgi-bin/tags/get" {
			method, want = http.MethodPost, 43001
		}
		t.Run(path, func(t *testing.T) { wantErr(t, f.do(method, path+"?access_token="+f.token, "{}"), want) })
	}
}

func TestTagEndpoints_refuseEmptyAndMalformedBodies(t *testing.T) {
	f := newFixture(t, mockwechat.Config{Tags: []string{"VIP"}})
	for _, path := range tagPaths {
		if path == "/cgi-bin/tags/get" {
			continue
		}
		t.Run(path, func(t *testing.T) {
			wantErr(t, f.api(path, ""), 44002)
			wantErr(t, f.api(path, " \n"), 44002)
			wantErr(t, f.api(path, `{"tag":`), 47001)
			wantErr(t, f.api(path, `{"tag":{"id":"100"},"tagid":"100","openid":1}`), 47001)
			wantErr(t, f.api(path, `{"openid":"`+strings.Repeat("x", 1<<20)+`"}`), 47001) // over 1 MiB
		})
	}
}

func TestTagEndpoints_ignoreUnknownFields(t *testing.T) {
	openids := mockwechat.GenerateOpenIDs(1, 1)
	f := newFixture(t, mockwechat.Config{Followers: openids})
	// One SDK always sends "tagid":0 to getidlist.
	f.ok("/cgi-bin/tags/getidlist", map[string]any{"openid": openids[0], "tagid": 0})
	f.ok("/cgi-bin/tags/create", map[string]any{"tag": map[string]any{"name": "x", "color": "red"}, "extra": true})
}
