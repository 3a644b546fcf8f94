package provider

import (
	"context"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

// actionConfig is the configuration of an action of the model, as the framework hands it.
func actionConfig(t *testing.T, a action.Action, model tagFollowersActionModel) tfsdk.Config {
	t.Helper()
	var resp action.SchemaResponse
	a.Schema(t.Context(), action.SchemaRequest{}, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatalf("schema: %v", resp.Diagnostics)
	}
	state := tfsdk.State{Schema: resp.Schema, Raw: tftypes.NewValue(resp.Schema.Type().TerraformType(t.Context()), nil)}
	if diags := state.Set(t.Context(), model); diags.HasError() {
		t.Fatalf("config: %v", diags)
	}
	return tfsdk.Config{Schema: resp.Schema, Raw: state.Raw}
}

func followersAction(tagID int64, openids ...string) tagFollowersActionModel {
	return tagFollowersActionModel{TagID: types.NumberValue(new(big.Float).SetInt64(tagID)), OpenIDs: openIDList(openids, &diag.Diagnostics{}), OpenIDsFile: types.StringNull()}
}

// invoke runs the action as `terraform apply -invoke` does, and returns its diagnostics
// and progress messages.
func invoke(ctx context.Context, t *testing.T, a action.Action, model tagFollowersActionModel) (diag.Diagnostics, []string) {
	t.Helper()
	var progress []string
	resp := action.InvokeResponse{SendProgress: func(e action.InvokeProgressEvent) { progress = append(progress, e.Message) }}
	a.Invoke(ctx, action.InvokeRequest{Config: actionConfig(t, a, model)}, &resp)
	return resp.Diagnostics, progress
}

func planAction(t *testing.T, a action.ActionWithModifyPlan, model tagFollowersActionModel) diag.Diagnostics {
	t.Helper()
	var resp action.ModifyPlanResponse
	a.ModifyPlan(t.Context(), action.ModifyPlanRequest{Config: actionConfig(t, a, model)}, &resp)
	return resp.Diagnostics
}

func writes(api *fakeWechat) int { return api.callsOf(batchTagging) + api.callsOf(batchUntagging) }

// The add action reads the tag's followers and sends only those who lack it, 50 a call,
// saying what it did; invoked again, it sends nothing.
func TestTagFollowersAdd_sendsOnlyWhatIsMissing(t *testing.T) {
	openids := mockwechat.GenerateOpenIDs(120, 31)
	api := newFakeWechat(openids...)
	api.tags[100] = "双12活动"
	for _, openid := range openids[:30] {
		api.give(openid, 100)
	}
	add := &TagFollowersAction{client: api, change: giveTag}
	expectNoDiagnostics(t, planAction(t, add, followersAction(100, openids...)))
	if n := writes(api); n != 0 {
		t.Fatalf("the plan made %d writes", n)
	}
	diags, progress := invoke(t.Context(), t, add, followersAction(100, openids...))
	expectNoDiagnostics(t, diags)
	if n := api.callsOf(batchTagging); n != 2 {
		t.Errorf("%d batchtagging calls, want 2 for the 90 followers without the tag", n)
	}
	if got := api.membersOf(100); len(got) != 120 {
		t.Errorf("the tag has %d followers, want 120", len(got))
	}
	want := []string{
		"Tag 100: checking the 90 followers who lack it",
		"Tag 100: giving it to 90 followers, in 2 calls of 50",
		"Tag 100: given to 90 followers in 2 calls; 30 of the 120 named had it already",
	}
	if !slices.Equal(progress, want) {
		t.Errorf("progress:\n%s\nwant:\n%s", strings.Join(progress, "\n"), strings.Join(want, "\n"))
	}

	diags, progress = invoke(t.Context(), t, add, followersAction(100, openids...))
	expectNoDiagnostics(t, diags)
	if n := api.callsOf(batchTagging); n != 2 {
		t.Errorf("the second invocation made %d more batchtagging calls, want none", n-2)
	}
	if want := "Tag 100: every one of the 120 followers named carries it already; nothing to send"; !slices.Equal(progress, []string{want}) {
		t.Errorf("progress of the second invocation: %q, want %q", progress, want)
	}
}

// The remove action takes the tag only from the followers who carry it: a follower who
// does not, even one who left the account, costs no call.
func TestTagFollowersRemove_takesTheTagOnlyFromThoseWhoCarryIt(t *testing.T) {
	openids := mockwechat.GenerateOpenIDs(4, 32)
	api := newFakeWechat(openids...)
	api.tags[100] = "双12活动"
	api.give(openids[0], 100)
	api.give(openids[1], 100)
	api.give(openids[3], 100) // not named: it keeps the tag
	remove := &TagFollowersAction{client: api, change: takeTag}
	named := []string{openids[0], openids[1], openids[2], "oLeftTheAccount000000000001"}
	expectNoDiagnostics(t, planAction(t, remove, followersAction(100, named...)))
	diags, progress := invoke(t.Context(), t, remove, followersAction(100, named...))
	expectNoDiagnostics(t, diags)
	if n := api.callsOf(batchUntagging); n != 1 {
		t.Errorf("%d batchuntagging calls, want 1", n)
	}
	if n := api.callsOf("tags/getidlist"); n != 0 {
		t.Errorf("%d getidlist calls: removal checks no follower", n)
	}
	if got := api.membersOf(100); !slices.Equal(got, []string{openids[3]}) {
		t.Errorf("the tag has %v, want only %s, whom the action did not name", got, openids[3])
	}
	if last := progress[len(progress)-1]; last != "Tag 100: taken from 2 followers in 1 call; 2 of the 4 named did not carry it" {
		t.Errorf("last progress message %q", last)
	}
}

// Before the first write, at plan time and again when invoked, every refusal WeChat would
// make halfway is an error naming the culprit, and nothing is written.
func TestTagFollowersAdd_refusedBeforeTheFirstWrite(t *testing.T) {
	openids := mockwechat.GenerateOpenIDs(120, 33)
	const stranger, foreigner = "oStranger000000000000000001", "oForeign0000000000000000001"
	tests := []struct {
		name      string
		tagID     int64
		extra     []string
		setup     func(api *fakeWechat)
		summary   string
		attribute string
		details   []string
	}{
		{name: "a missing tag", tagID: 404, summary: "Tag not found", attribute: "tag_id", details: []string{"no tag with id 404"}},
		{name: "a follower who does not follow the account", tagID: 100, extra: []string{stranger},
			summary: "Not a follower of this account", attribute: "openids", details: []string{`"` + stranger + `"`}},
		{name: "an openid of another account", tagID: 100, extra: []string{foreigner}, setup: func(api *fakeWechat) { api.foreign[foreigner] = true },
			summary: "Openid of another account", attribute: "openids", details: []string{`"` + foreigner + `"`}},
		{name: "a follower with 20 tags", tagID: 100, setup: func(api *fakeWechat) {
			for id := int64(200); id < 220; id++ {
				api.tags[id] = fmt.Sprintf("segment %d", id)
				api.give(openids[77], id)
			}
		}, summary: "Too many tags for one follower", attribute: "openids", details: []string{`"` + openids[77] + `" already carries 20 tags`}},
		{name: "a quota too small", tagID: 100, setup: func(api *fakeWechat) { api.calls[batchTagging] = 998 },
			summary: "Daily quota too small for this change",
			details: []string{"120 need the change", "3 calls of /cgi-bin/tags/members/batchtagging", "2 of that API's daily quota of 1,000 left (998 used today)"}},
	}
	for _, tt := range tests {
		for _, when := range []string{"plan", "invoke"} {
			t.Run(tt.name+" at "+when, func(t *testing.T) {
				api := newFakeWechat(openids...)
				api.tags[100] = "双12活动"
				if tt.setup != nil {
					tt.setup(api)
				}
				before := writes(api)
				model := followersAction(tt.tagID, append(slices.Clone(openids), tt.extra...)...)
				add := &TagFollowersAction{client: api, change: giveTag}
				var diags diag.Diagnostics
				if when == "plan" {
					diags = planAction(t, add, model)
				} else {
					diags, _ = invoke(t.Context(), t, add, model)
				}
				expectDiagnostic(t, diags, tt.summary, tt.details...)
				if tt.attribute != "" {
					expectAttribute(t, diags, tt.attribute)
				}
				if n := writes(api) - before; n != 0 {
					t.Errorf("%d writes", n)
				}
			})
		}
	}
}

// Culprits are named, at most 20, with the count of the rest.
func TestTagFollowersAdd_namesTwentyCulpritsAndCountsTheRest(t *testing.T) {
	api := newFakeWechat()
	api.tags[100] = "双12活动"
	strangers := mockwechat.GenerateOpenIDs(25, 34)
	diags := planAction(t, &TagFollowersAction{client: api, change: giveTag}, followersAction(100, strangers...))
	expectDiagnostic(t, diags, "Not a follower of this account", "and 5 more")
}

// A read that fails for a passing reason at plan time leaves the follower checks to the
// invocation, with a warning; when invoked, it stops the action before its first write.
func TestTagFollowersAdd_followerChecksThatFail(t *testing.T) {
	openids := mockwechat.GenerateOpenIDs(3, 35)
	busy := refusal(wechat.CodeSystemBusy)
	t.Run("at plan time", func(t *testing.T) {
		api := newFakeWechat(openids...)
		api.tags[100] = "双12活动"
		api.script("tags/getidlist", busy)
		diags := planAction(t, &TagFollowersAction{client: api, change: giveTag}, followersAction(100, openids...))
		if diags.HasError() || len(diags.Warnings()) != 1 || diags.Warnings()[0].Summary() != "Unable to check the followers" {
			t.Errorf("diagnostics %v, want the one warning that the followers are unchecked", diags)
		}
	})
	t.Run("when invoked", func(t *testing.T) {
		api := newFakeWechat(openids...)
		api.tags[100] = "双12活动"
		api.script("tags/getidlist", busy)
		diags, _ := invoke(t.Context(), t, &TagFollowersAction{client: api, change: giveTag}, followersAction(100, openids...))
		expectDiagnostic(t, diags, "Unable to give the tag to the followers", "errcode -1")
		if n := writes(api); n != 0 {
			t.Errorf("%d writes", n)
		}
	})
	t.Run("the quota unread warns", func(t *testing.T) {
		api := newFakeWechat(openids...)
		api.tags[100] = "双12活动"
		api.script("openapi/quota/get", refusal(wechat.CodeAPIUnauthorized))
		diags, _ := invoke(t.Context(), t, &TagFollowersAction{client: api, change: giveTag}, followersAction(100, openids...))
		expectNoDiagnostics(t, diags)
		if len(diags.Warnings()) != 1 || diags.Warnings()[0].Summary() != "Unable to check the daily quota" {
			t.Errorf("diagnostics %v, want the one warning that the quota is unchecked", diags)
		}
		if got := api.membersOf(100); len(got) != 3 {
			t.Errorf("the tag has %d followers, want 3", len(got))
		}
	})
}

// A plan that does not know the followers yet, as when a resource this apply creates
// lists them, checks nothing and calls nothing: the invocation checks.
func TestTagFollowersAdd_unknownAtPlanChecksWhenInvoked(t *testing.T) {
	api := newFakeWechat()
	model := followersAction(100)
	model.OpenIDs = types.ListUnknown(types.StringType)
	diags := planAction(t, &TagFollowersAction{client: api, change: giveTag}, model)
	expectNoDiagnostics(t, diags)
	if n := api.callsOf("tags/get") + api.callsOf("user/tag/get"); n != 0 {
		t.Errorf("%d calls for a plan that knows no follower", n)
	}
}

// The followers of openids_file, read as wechat_tag_members reads them.
func TestTagFollowersAdd_fromAFile(t *testing.T) {
	openids := mockwechat.GenerateOpenIDs(60, 36)
	api := newFakeWechat(openids...)
	api.tags[100] = "双12活动"
	file := filepath.Join(t.TempDir(), "campaign.txt")
	must(t, os.WriteFile(file, []byte("# the event's followers\n"+strings.Join(openids, "\n")+"\n"), 0o600))
	model := tagFollowersActionModel{TagID: types.NumberValue(big.NewFloat(100)), OpenIDs: types.ListNull(types.StringType), OpenIDsFile: types.StringValue(file)}
	diags, _ := invoke(t.Context(), t, &TagFollowersAction{client: api, change: giveTag}, model)
	expectNoDiagnostics(t, diags)
	if got := api.membersOf(100); len(got) != 60 {
		t.Errorf("the tag has %d followers, want 60", len(got))
	}

	must(t, os.WriteFile(file, []byte(openids[0]+"\nnot an openid\n"), 0o600))
	diags, _ = invoke(t.Context(), t, &TagFollowersAction{client: api, change: giveTag}, model)
	expectDiagnostic(t, diags, "Invalid openid in openids_file", "line 2")
}

// A batch whose answer was lost is read back, never sent again blindly, as the resources
// do.
func TestTagFollowersAdd_aLostAnswerIsReadBackNotResent(t *testing.T) {
	openids := mockwechat.GenerateOpenIDs(150, 37)
	api := newFakeWechat(openids...)
	api.tags[100] = "双12活动"
	api.script(batchTagging, fakeFault{}, lostResponse)
	diags, _ := invoke(t.Context(), t, &TagFollowersAction{client: api, change: giveTag}, followersAction(100, openids...))
	expectNoDiagnostics(t, diags)
	if n := api.callsOf(batchTagging); n != 3 || len(api.membersOf(100)) != 150 {
		t.Errorf("%d batchtagging calls, %d followers: want 3 calls and 150", n, len(api.membersOf(100)))
	}
	if n := api.callsOf("user/tag/get"); n != 2 {
		t.Errorf("%d reads of the tag's followers, want 2: before the change and after the lost answer", n)
	}
}

// interruptingAPI is the fake account, where Terraform's stop (Ctrl-C) arrives during the
// batch call number at, which the account applies without its answer reaching the
// provider, as a call cut short may be.
type interruptingAPI struct {
	*fakeWechat
	at        int
	interrupt context.CancelFunc
	calls     int
}

func (a *interruptingAPI) TagFollowers(ctx context.Context, tagID int64, openids []string) error {
	if ctx.Err() != nil {
		return fmt.Errorf("batchtagging: %w", ctx.Err())
	}
	a.calls++
	err := a.fakeWechat.TagFollowers(ctx, tagID, openids)
	if a.calls == a.at {
		a.interrupt()
		return fmt.Errorf("batchtagging: %w", context.Canceled)
	}
	return err
}

// Ctrl-C stops the action before its next call, and it says how far it got; invoked
// again, it sends only the followers still missing.
func TestTagFollowersAdd_interruptedSaysHowFarItGot(t *testing.T) {
	openids := mockwechat.GenerateOpenIDs(300, 38)
	fake := newFakeWechat(openids...)
	fake.tags[100] = "双12活动"
	ctx, interrupt := context.WithCancel(t.Context())
	defer interrupt()
	api := &interruptingAPI{fakeWechat: fake, at: 3, interrupt: interrupt}
	diags, _ := invoke(ctx, t, &TagFollowersAction{client: api, change: giveTag}, followersAction(100, openids...))
	expectDiagnostic(t, diags, "Interrupted", "giving tag 100 to followers", "100 of the 300 followers that needed the change have it, in 3 calls",
		"perhaps the 50 of the call in flight", "run it again")
	if api.calls != 3 {
		t.Errorf("%d batchtagging calls, want 3: none after the interrupt", api.calls)
	}

	diags, progress := invoke(t.Context(), t, &TagFollowersAction{client: fake, change: giveTag}, followersAction(100, openids...))
	expectNoDiagnostics(t, diags)
	if n := fake.callsOf(batchTagging); n != 6 {
		t.Errorf("%d batchtagging calls in all, want 6: the second invocation sends only the 150 still missing", n)
	}
	if last := progress[len(progress)-1]; !strings.Contains(last, "given to 150 followers in 3 calls; 150 of the 300 named had it already") {
		t.Errorf("last progress message %q", last)
	}
}

// Progress is reported every so many followers, however the calls fall.
func TestProgressReport_everySoManyFollowers(t *testing.T) {
	p := newProgressReport(giveTag, 100, 12000, 5000)
	var messages []string
	for range 240 {
		if message := p.count(50); message != "" {
			messages = append(messages, message)
		}
	}
	want := []string{
		"Tag 100: 5,000 of 12,000 followers done (100 calls)",
		"Tag 100: 10,000 of 12,000 followers done (200 calls)",
	}
	if !slices.Equal(messages, want) {
		t.Errorf("messages %q, want %q", messages, want)
	}
	if got := p.start(); got != "Tag 100: giving it to 12,000 followers, in 240 calls of 50" {
		t.Errorf("start: %q", got)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 100000: "100,000", 1234567: "1,234,567", -2500: "-2,500"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// Once Terraform stops the provider, nobody reads the action's events: a progress message
// then returns instead of waiting for ever, and the action can end.
func TestProgressSender_waitsForNoReaderOnceStopped(t *testing.T) {
	ctx, stop := context.WithCancel(t.Context())
	sent := make(chan string, 3)
	unread := make(chan struct{})
	defer close(unread)
	say := progressSender(ctx, func(e action.InvokeProgressEvent) {
		sent <- e.Message
		if e.Message == "stuck" {
			stop() // Terraform stops the provider while the message waits for a reader
			<-unread
		}
	})
	say("read")
	say("stuck")
	say("after the stop")
	close(sent)
	var got []string
	for message := range sent {
		got = append(got, message)
	}
	if !slices.Equal(got, []string{"read", "stuck"}) {
		t.Errorf("sent %q, want the messages before the stop only", got)
	}
}

// Ctrl-C during the checks: no call is made, and the action says so.
func TestTagFollowersAdd_interruptedWhileCheckingSendsNothing(t *testing.T) {
	openids := mockwechat.GenerateOpenIDs(60, 39)
	fake := newFakeWechat(openids...)
	fake.tags[100] = "双12活动"
	ctx, interrupt := context.WithCancel(t.Context())
	defer interrupt()
	api := &interruptingReads{fakeWechat: fake, interrupt: interrupt}
	diags, _ := invoke(ctx, t, &TagFollowersAction{client: api, change: giveTag}, followersAction(100, openids...))
	expectDiagnostic(t, diags, "Interrupted", "before the action began giving tag 100 to followers: it sent none")
	if n := writes(fake); n != 0 {
		t.Errorf("%d writes after the interrupt", n)
	}
}

// interruptingReads is the fake account, where Terraform's stop arrives during the first
// read of a follower's tags.
type interruptingReads struct {
	*fakeWechat
	interrupt context.CancelFunc
}

func (a *interruptingReads) FollowerTags(ctx context.Context, openid string) ([]int64, error) {
	a.interrupt()
	return nil, fmt.Errorf("getidlist: %w", ctx.Err())
}

// APIQuota fails once Terraform has stopped the provider, as the client's call does.
func (a *interruptingReads) APIQuota(ctx context.Context, cgiPath string) (wechat.APIQuota, error) {
	if err := ctx.Err(); err != nil {
		return wechat.APIQuota{}, fmt.Errorf("getApiQuota: %w", err)
	}
	return a.fakeWechat.APIQuota(ctx, cgiPath)
}
