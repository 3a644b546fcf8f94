package provider

import (
	"cmp"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/wechat-tf/terraform-provider-wechat/internal/membership"
	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

// The plan-time checks of a follower's change: each refusal is an error before any write,
// the tags exclusive removes unseen are a warning naming each, and a failed read defers
// the checks to apply.
func TestCheckFollowerChange(t *testing.T) {
	const alice, stranger, foreigner = "oAlice000000000000000000001", "oStranger0000000000000000001", "oForeign00000000000000000001"
	nineteen := make([]int64, 19)
	for i := range nineteen {
		nineteen[i] = int64(200 + i)
	}
	tests := []struct {
		name    string
		openid  string
		held    []int64
		goal    membership.Goal[int64]
		unknown int // tag ids known only at apply
		fault   *fakeFault
		summary string // of the one error or warning; "" for none
		warning bool
		details []string
	}{
		{name: "within the limit", openid: alice, held: []int64{101}, goal: membership.Goal[int64]{Desired: []int64{100}}},
		{name: "not a follower", openid: stranger, goal: membership.Goal[int64]{Desired: []int64{100}},
			summary: "Not a follower of this account", details: []string{`"` + stranger + `"`, "use the openid of a current follower"}},
		{name: "openid of another account", openid: foreigner, goal: membership.Goal[int64]{Desired: []int64{100}},
			summary: "Openid of another account", details: []string{`"` + foreigner + `"`, "check app_id"}},
		{name: "tags given outside Terraform count towards the limit", openid: alice, held: nineteen, goal: membership.Goal[int64]{Desired: []int64{100, 101}},
			summary: "Too many tags for one follower", details: []string{"carries 19 tags and would carry 21 after this change", "exclusive = true"}},
		{name: "exclusive makes room", openid: alice, held: nineteen, goal: membership.Goal[int64]{Desired: []int64{100, 101}, Exclusive: true},
			summary: "Exclusive removes tags the plan does not show", warning: true},
		{name: "a new exclusive resource names the tags it removes", openid: alice, held: []int64{100, 101, wechat.TagStarred}, goal: membership.Goal[int64]{Desired: []int64{100}, Exclusive: true},
			summary: "Exclusive removes tags the plan does not show", warning: true, details: []string{`2 ("星标组"), 101 ("VIP")`, "set exclusive = false"}},
		{name: "becoming exclusive names only the tags no state managed", openid: alice, held: []int64{100, 101, 102}, goal: membership.Goal[int64]{Desired: []int64{100}, Prior: []int64{100, 102}, Exclusive: true},
			summary: "Exclusive removes tags the plan does not show", warning: true, details: []string{`carries 101 ("VIP"), which`}},
		{name: "removals the plan shows are not repeated", openid: alice, held: []int64{100, 101}, goal: membership.Goal[int64]{Desired: []int64{100}, Prior: []int64{100, 101}, Exclusive: true}},
		{name: "ids known only at apply that would pass the limit are named in a warning", openid: alice, held: nineteen[:18], goal: membership.Goal[int64]{Desired: []int64{}}, unknown: 3,
			summary: "Follower may carry too many tags", warning: true, details: []string{`"` + alice + `" carries 18 tags: 200 ("segment"), 201 ("segment")`, "gives it 3 more whose ids are known only after apply", "it would carry 21, more than the 20"}},
		{name: "ids known only at apply within the limit", openid: alice, held: nineteen[:17], goal: membership.Goal[int64]{Desired: []int64{}}, unknown: 3},
		{name: "ids known only at apply with exclusive", openid: alice, held: nineteen[:18], goal: membership.Goal[int64]{Desired: []int64{}, Exclusive: true}, unknown: 3},
		{name: "a busy service defers the checks to apply", openid: alice, goal: membership.Goal[int64]{Desired: []int64{100}},
			fault: &fakeFault{err: apiError(wechat.CodeSystemBusy)}, summary: "Unable to check the follower", warning: true, details: []string{"the apply reads them again"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeWechat(alice)
			api.tags[100], api.tags[101], api.tags[102] = "新客", "VIP", "双11活动"
			for _, id := range tt.held {
				api.tags[id] = cmp.Or(api.tags[id], "segment")
			}
			api.foreign[foreigner] = true
			api.give(alice, tt.held...)
			if tt.fault != nil {
				api.script("tags/getidlist", *tt.fault)
			}
			var diags diag.Diagnostics
			checkFollowerChange(t.Context(), api, tt.openid, tt.goal, tt.unknown, &diags)
			if n := api.callsOf("tags/getidlist"); n != 1 {
				t.Errorf("%d getidlist calls, want 1", n)
			}
			if n := api.callsOf("tags/members/batchtagging") + api.callsOf("tags/members/batchuntagging"); n != 0 {
				t.Errorf("%d writes at plan time", n)
			}
			got := diags.Errors()
			if tt.warning {
				got = diags.Warnings()
				expectNoDiagnostics(t, diags)
			}
			if tt.summary == "" {
				if len(diags) != 0 {
					t.Fatalf("diagnostics = %v, want none", diags)
				}
				return
			}
			if len(got) != 1 || len(diags) != 1 || got[0].Summary() != tt.summary {
				t.Fatalf("diagnostics = %v, want one %q", diags, tt.summary)
			}
			for _, d := range tt.details {
				if !strings.Contains(got[0].Detail(), d) {
					t.Errorf("detail %q does not contain %q", got[0].Detail(), d)
				}
			}
		})
	}
}

// exclusive = true, new on a wechat_tag_members, names the followers it untags that the
// plan cannot show; a plan that keeps exclusive as it was reads no follower.
func TestTagMembersPlanNamesFollowersExclusiveRemoves(t *testing.T) {
	openids := mockwechat.GenerateOpenIDs(25, 3)
	tests := []struct {
		name        string
		state       *tagMembersModel
		plan        tagMembersModel
		wantReads   int
		wantWarning string
	}{
		{"a new exclusive resource", nil, tagMembers(100, true, openids[0]), 1, "(24 in all)"},
		{"more than 20 are counted", nil, tagMembers(100, true, openids[0]), 1, "and 4 more (24 in all)."},
		{"a switch from false", ptr(tagMembers(100, false, openids[:2]...)), tagMembers(100, true, openids[0]), 1, "(23 in all)"},
		{"exclusive already", ptr(tagMembers(100, true, openids...)), tagMembers(100, true, openids[0]), 0, ""},
		{"not exclusive", nil, tagMembers(100, false, openids[0]), 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeWechat(openids...)
			api.tags[100] = "VIP"
			for _, openid := range openids {
				api.give(openid, 100)
			}
			r := &TagMembersResource{client: api}
			req := resource.ModifyPlanRequest{Plan: planOf(t, r, tt.plan), State: resourceSchemaOf(t, r)}
			if tt.state != nil {
				req.State = stateOf(t, r, *tt.state)
			}
			resp := resource.ModifyPlanResponse{Plan: req.Plan}
			r.ModifyPlan(t.Context(), req, &resp)
			expectNoDiagnostics(t, resp.Diagnostics)
			if n := api.callsOf("user/tag/get"); n != tt.wantReads {
				t.Errorf("%d user/tag/get calls, want %d", n, tt.wantReads)
			}
			warnings := resp.Diagnostics.Warnings()
			if tt.wantWarning == "" {
				if len(warnings) != 0 {
					t.Fatalf("warnings = %v, want none", warnings)
				}
				return
			}
			if len(warnings) != 1 || !strings.Contains(warnings[0].Detail(), tt.wantWarning) {
				t.Fatalf("warnings = %v, want one saying %q", warnings, tt.wantWarning)
			}
			if strings.Contains(warnings[0].Detail(), openids[0]) {
				t.Errorf("the warning names %s, whom openids lists", openids[0])
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestCheckAccountRoom(t *testing.T) {
	withTags := func(n int) *fakeWechat {
		api := newFakeWechat()
		for i := range n {
			api.tags[int64(100+i)] = fmt.Sprintf("segment-%03d", i)
		}
		return api
	}
	tests := []struct {
		existing    int
		summary     string
		wantWarning bool
		want        string
	}{
		{96, "", false, ""},
		{98, "Tag limit may be reached", true, `The account has 98 user tags, and with the tags this plan creates, among them "new", it would have more than 97`},
		{100, "Tag limit reached", false, `The account has 100 user tags, room for 0 more under the 100 WeChat allows, and this plan creates more than that, among them "new"`},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.existing), func(t *testing.T) {
			var diags diag.Diagnostics
			checkAccountRoom(t.Context(), withTags(tt.existing), &tagTally{}, "new", &diags)
			if tt.summary == "" {
				if len(diags) != 0 {
					t.Fatalf("diagnostics = %v, want none", diags)
				}
				return
			}
			if len(diags) != 1 || diags[0].Summary() != tt.summary || (diags.WarningsCount() == 1) != tt.wantWarning {
				t.Fatalf("diagnostics = %v, want one %q (warning %v)", diags, tt.summary, tt.wantWarning)
			}
			if !strings.Contains(diags[0].Detail(), tt.want) {
				t.Errorf("detail %q does not say %q", diags[0].Detail(), tt.want)
			}
		})
	}
	t.Run("every creation past the limit says the same, whatever the order", func(t *testing.T) {
		api, tally := withTags(17), &tagTally{}
		details := map[string]bool{}
		for i := range 86 {
			var diags diag.Diagnostics
			name := fmt.Sprintf("new-%02d", i)
			checkAccountRoom(t.Context(), api, tally, name, &diags)
			if diags.HasError() {
				details[strings.ReplaceAll(diags.Errors()[0].Detail(), name, "<name>")] = true
			}
		}
		if len(details) != 1 {
			t.Errorf("the errors say %d different things, want 1: %v", len(details), details)
		}
	})
	t.Run("a plan that destroys as many tags as it creates passes, with a warning", func(t *testing.T) {
		api, tally := withTags(100), &tagTally{}
		tally.planDestroy(100)
		tally.planDestroy(999) // not a tag of the account: frees nothing
		var diags diag.Diagnostics
		checkAccountRoom(t.Context(), api, tally, "renamed", &diags)
		if diags.HasError() || len(diags) != 1 || diags[0].Summary() != "Tag limit reached until this plan's destructions" {
			t.Fatalf("diagnostics = %v, want the one warning that the creation waits for the destruction", diags)
		}
		diags = nil
		checkAccountRoom(t.Context(), api, tally, "one-more", &diags)
		if !diags.HasError() {
			t.Errorf("a second creation for one destruction passed: %v", diags)
		}
	})
}

// A creation past the limit is judged once no wechat_tag has been touched for the quiet
// period, so that a destruction the same command plans or starts meanwhile counts.
func TestTagTallyJudgesOnceTheCommandSettles(t *testing.T) {
	tags := make([]wechat.Tag, 100)
	for i := range tags {
		tags[i] = wechat.Tag{ID: int64(100 + i), Name: fmt.Sprintf("segment-%03d", i)}
	}
	tally := &tagTally{quiet: 30 * time.Millisecond}
	if room := tally.planCreate(tags, "spring"); !room.exceeded() {
		t.Fatalf("room = %+v, want the creation past the limit before the destruction is planned", room)
	}
	tally.planDestroy(100)
	tally.touched()
	start := time.Now()
	room, err := tally.judge(t.Context(), func() ([]wechat.Tag, error) { return tags, nil })
	if err != nil || room.exceeded() || !room.waitsForDestroys() {
		t.Errorf("judge = %+v, %v; want room once the destruction counts", room, err)
	}
	if waited := time.Since(start); waited < 30*time.Millisecond {
		t.Errorf("judged after %v, before the quiet period of 30ms", waited)
	}
}
