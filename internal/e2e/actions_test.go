package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

// requireActions skips a test on a CLI without actions, Terraform before 1.14 and
// OpenTofu, before it sets up a mock account.
func requireActions(t *testing.T) {
	t.Helper()
	if why := withoutActions(terraformCLI(t)); why != "" {
		t.Skip(why)
	}
}

const (
	batchUntaggingPath = "/cgi-bin/tags/members/batchuntagging"
	getIDListPath      = "/cgi-bin/tags/getidlist"
	quotaPath          = "/cgi-bin/openapi/quota/get"
)

// campaignActions are the two actions on a tag of the mock, for the followers of
// campaign.txt.
func campaignActions(tagID int64) string {
	return fmt.Sprintf(`
action "wechat_tag_followers_add" "campaign" {
  config {
    tag_id       = %[1]d
    openids_file = "${path.module}/campaign.txt"
  }
}

action "wechat_tag_followers_remove" "campaign" {
  config {
    tag_id       = %[1]d
    openids_file = "${path.module}/campaign.txt"
  }
}
`, tagID)
}

const (
	invokeAdd    = "-invoke=action.wechat_tag_followers_add.campaign"
	invokeRemove = "-invoke=action.wechat_tag_followers_remove.campaign"
)

// The campaign the actions are for: 100,000 followers, 1,000 of whom carry the tag
// already. The add sends the 99,000 others in 1,980 calls of 50, after checking each of
// them once at plan time and once when invoked, and reports its progress; the remove
// takes the tag from all 100,000 in 2,000 calls, checking no follower. The calls are
// counted on the mock; the wall time and peak memory are logged.
func TestAction_addAndRemoveTheTagOfAHundredThousandFollowers(t *testing.T) {
	t.Parallel()
	requireActions(t)
	const followers, tagged = 100000, 1000
	openids := mockwechat.GenerateOpenIDs(followers, 41)
	w := newWorkspace(t, mockwechat.Config{Followers: openids, Tags: []string{"双12活动"}})
	const tagID = 100
	for _, openid := range openids[:tagged] {
		must(t, w.mock.TagUser(openid, tagID))
	}
	w.configure(campaignActions(tagID))
	writeFile(t, filepath.Join(w.Dir, "campaign.txt"), strings.Join(openids, "\n")+"\n")

	w.mock.ResetCalls()
	result, err := w.Run(t.Context(), "apply", "-auto-approve", "-no-color", invokeAdd)
	must(t, err)
	if result.ExitCode != 0 {
		t.Fatalf("the add exited %d:\n%s", result.ExitCode, lastLines(result.Output(), 40))
	}
	out := string(result.Stdout)
	calls := w.mock.Calls()
	t.Logf("add of %d followers (%d had the tag): %s wall, %s CPU, peak memory %d MB (the largest of Terraform and the provider); calls %v",
		followers, tagged, result.Wall.Round(100e6), result.CPU.Round(100e6), result.PeakRSS>>20, calls)
	missing := followers - tagged
	if n := calls[batchTaggingPath]; n != missing/50 {
		t.Errorf("%d batchtagging calls, want %d: one per 50 of the %d followers without the tag", n, missing/50, missing)
	}
	// Each follower without the tag is read once by the plan and once by the invocation:
	// none carries another tag, so no read of the tags' followers answers for it.
	if n := calls[getIDListPath]; n != 2*missing {
		t.Errorf("%d getidlist calls, want %d: each follower without the tag once at plan time and once when invoked", n, 2*missing)
	}
	if n := calls[quotaPath]; n != 2 {
		t.Errorf("%d getApiQuota calls, want 2: at plan time and when invoked", n)
	}
	if held := tagMembersOf(w.mock, tagID, openids); len(held) != followers {
		t.Errorf("the tag has %d followers after the add, want %d", len(held), followers)
	}
	mustMatch(t, "the add's output", out,
		`Tag 100: checking the 99,000 followers who lack it`,
		`Tag 100: giving it to 99,000 followers, in 1,980 calls of 50`,
		`Tag 100: 5,000 of 99,000 followers done \(100 calls\)`,
		`Tag 100: 95,000 of 99,000 followers done \(1,900 calls\)`,
		`Tag 100: given to 99,000 followers in 1,980 calls; 1,000 of the 100,000 named had it already`,
		`Actions: 1 invoked`)

	w.mock.ResetCalls()
	result, err = w.Run(t.Context(), "apply", "-auto-approve", "-no-color", invokeRemove)
	must(t, err)
	if result.ExitCode != 0 {
		t.Fatalf("the remove exited %d:\n%s", result.ExitCode, lastLines(result.Output(), 40))
	}
	calls = w.mock.Calls()
	t.Logf("remove of %d followers: %s wall, peak memory %d MB; calls %v", followers, result.Wall.Round(100e6), result.PeakRSS>>20, calls)
	if n := calls[batchUntaggingPath]; n != followers/50 {
		t.Errorf("%d batchuntagging calls, want %d", n, followers/50)
	}
	if n := calls[getIDListPath] + calls[batchTaggingPath]; n != 0 {
		t.Errorf("the remove made %d getidlist or batchtagging calls, want none", n)
	}
	if held := tagMembersOf(w.mock, tagID, openids); len(held) != 0 {
		t.Errorf("the tag has %d followers after the remove, want none", len(held))
	}
	mustMatch(t, "the remove's output", string(result.Stdout),
		`Tag 100: taken from 100,000 followers in 2,000 calls; 0 of the 100,000 named did not carry it`)
}

// Every check that would stop the add halfway stops it at plan time, naming the culprit
// and the fix, before any write: a tag the account lacks, a follower who does not follow
// it, one who carries 20 tags, and a daily quota too small for the calls.
func TestAction_refusedAtPlanTimeWithNoWrite(t *testing.T) {
	t.Parallel()
	requireActions(t)
	openids := mockwechat.GenerateOpenIDs(120, 42)
	const stranger = "oStrangerNotAFollower000001"
	tests := []struct {
		name    string
		tagID   int64
		named   []string
		cfg     mockwechat.Config
		setup   func(t *testing.T, mock *mockwechat.Server)
		summary string
		details []string
	}{
		{name: "a tag the account lacks", tagID: 404, named: openids,
			summary: "Error: Tag not found", details: []string{"The account has no tag with id 404"}},
		{name: "a follower who does not follow the account", tagID: 100, named: append(slices.Clone(openids), stranger),
			summary: "Error: Not a follower of this account", details: []string{`WeChat does not know "` + stranger + `"`}},
		{name: "a follower who carries 20 tags", tagID: 100, named: openids, setup: func(t *testing.T, mock *mockwechat.Server) {
			for i := range 20 {
				tag, err := mock.CreateTag(fmt.Sprintf("segment %d", i))
				must(t, err)
				must(t, mock.TagUser(openids[64], tag.ID))
			}
		}, summary: "Error: Too many tags for one follower", details: []string{`"` + openids[64] + `" already carries 20 tags`}},
		{name: "a daily quota too small", tagID: 100, named: openids, cfg: mockwechat.Config{DailyQuotas: map[string]int{batchTaggingPath: 2}},
			summary: "Error: Daily quota too small for this change",
			details: []string{"120 need the change", "3 calls of /cgi-bin/tags/members/batchtagging", "2 of that API's daily quota of 2 left (0 used today)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := tt.cfg
			cfg.Followers, cfg.Tags = openids, []string{"双12活动"}
			w := newWorkspace(t, cfg)
			if tt.setup != nil {
				tt.setup(t, w.mock)
			}
			w.configure(campaignActions(tt.tagID))
			writeFile(t, filepath.Join(w.Dir, "campaign.txt"), strings.Join(tt.named, "\n")+"\n")
			w.mock.ResetCalls()
			code, out := w.run("apply", "-auto-approve", "-no-color", invokeAdd)
			if code != 1 {
				t.Fatalf("the apply exited %d, want 1:\n%s", code, lastLines(out, 40))
			}
			said := strings.Join(strings.Fields(out), " ")
			for _, want := range append([]string{tt.summary}, tt.details...) {
				if !strings.Contains(said, want) {
					t.Errorf("the apply does not say %q:\n%s", want, lastLines(out, 30))
				}
			}
			if strings.Contains(out, "Action started") {
				t.Errorf("the action started after a refused plan:\n%s", lastLines(out, 30))
			}
			if n := w.mock.Calls()[batchTaggingPath]; n != 0 {
				t.Errorf("%d batchtagging calls, want none", n)
			}
		})
	}
}

// Ctrl-C in the middle of tagging 10,000 followers: Terraform asks the provider to stop,
// the action stops before its next call, and the next invocation sends only the followers
// still missing, the batch in flight at the interrupt included only if the account did
// not apply it. The action's account of how far it got fails the apply, and the log
// (TF_LOG_PROVIDER=warn) holds it too.
func TestAction_interruptedAddSaysHowFarItGotAndTheNextFinishesIt(t *testing.T) {
	t.Parallel()
	requireActions(t)
	const followers = 10000
	const heldCall = 110 // 5,500 followers tagged before it
	openids := mockwechat.GenerateOpenIDs(followers, 43)
	logPath := filepath.Join(t.TempDir(), "terraform.log")

	mock := mockwechat.New(mockwechat.Config{AppID: appID, AppSecret: appSecret, Followers: openids, Tags: []string{"双12活动"}})
	w, recorder := heldCallWorkspace(t, mock, heldCall, "TF_LOG_PROVIDER=warn", "TF_LOG_PATH="+logPath)
	const tagID = 100
	w.configure(campaignActions(tagID))
	writeFile(t, filepath.Join(w.Dir, "campaign.txt"), strings.Join(openids, "\n")+"\n")

	recorder.startApply(1)
	ctx, interrupt := context.WithCancel(t.Context())
	defer interrupt()
	type outcome struct {
		code   int
		output string
		err    error
	}
	first := make(chan outcome, 1)
	go func() {
		result, err := w.Run(ctx, "apply", "-auto-approve", "-no-color", invokeAdd)
		first <- outcome{result.ExitCode, result.Output(), err}
	}()
	var interrupted outcome
	select {
	case <-recorder.held:
		interrupt()
		interrupted = <-first
	case interrupted = <-first:
		t.Fatalf("the invocation ended (exit %d, %v) before batchtagging call %d:\n%s", interrupted.code, interrupted.err, heldCall+1, lastLines(interrupted.output, 40))
	}
	t.Logf("the interrupted invocation exited %d:\n%s", interrupted.code, lastLines(interrupted.output, 20))
	if interrupted.code == -1 {
		t.Fatalf("the interrupted CLI was killed a minute after the interrupt: the provider never stopped")
	}
	for _, wrong := range []string{"bug in the provider", "panic:", "Plugin did not respond"} {
		if strings.Contains(interrupted.output, wrong) {
			t.Errorf("the interrupted invocation says %q: the provider did not stop cleanly", wrong)
		}
	}
	mustMatch(t, "the interrupted invocation's output", interrupted.output,
		`Tag 100: 5,000 of 10,000 followers done \(100 calls\)`, `Interrupt received`)
	account := []string{"Interrupted: Terraform was interrupted (Ctrl-C) while the action was giving tag 100 to followers",
		"5,500 of the 10,000 followers that needed the change have it, in 111 calls", "perhaps the 50 of the call in flight", "run it again"}
	// The provider tells its actions of the stop before terraform-plugin-go, which would
	// drop their last event (provider.ProtocolServer): the apply fails with it.
	if !strings.Contains(interrupted.output, "Error when invoking action") || interrupted.code == 0 {
		t.Errorf("the interrupted invocation exited %d without the action's error", interrupted.code)
	}
	logged, err := os.ReadFile(logPath)
	must(t, err)
	for what, text := range map[string]string{"the log": string(logged), "the error": interrupted.output} {
		said := strings.Join(strings.Fields(text), " ")
		for _, want := range account {
			if !strings.Contains(said, want) {
				t.Errorf("%s does not say %q", what, want)
			}
		}
	}

	calls := recorder.batches()
	var taggedFirst []string
	inFlight := 0
	for i, c := range calls {
		if c.afterStop {
			t.Errorf("batchtagging call %d reached the account after the provider was stopped", i+1)
		}
		if c.applied {
			taggedFirst = append(taggedFirst, c.openids...)
		}
		if !c.answered {
			inFlight++
		}
	}
	if held := tagMembersOf(mock, tagID, openids); !slices.Equal(held, sorted(taggedFirst)) {
		t.Fatalf("the tag has %d followers, the calls applied %d: the recorder misses calls", len(held), len(taggedFirst))
	}

	recorder.startApply(2)
	out := w.mustRun("apply", "-auto-approve", "-no-color", invokeAdd)
	tagged := map[string]bool{}
	for _, openid := range taggedFirst {
		tagged[openid] = true
	}
	secondCalls, resent := 0, 0
	for _, c := range recorder.batches() {
		if c.apply != 2 {
			continue
		}
		secondCalls++
		for _, openid := range c.openids {
			if tagged[openid] {
				resent++
			}
		}
	}
	if resent > 0 {
		t.Errorf("the second invocation sent again %d followers the tag already had", resent)
	}
	if want := (followers - len(taggedFirst)) / 50; secondCalls != want {
		t.Errorf("the second invocation made %d batchtagging calls, want %d for the %d followers still missing", secondCalls, want, followers-len(taggedFirst))
	}
	if held := tagMembersOf(mock, tagID, openids); len(held) != followers {
		t.Errorf("the tag has %d followers after the second invocation, want %d", len(held), followers)
	}
	mustMatch(t, "the second invocation's output", out, fmt.Sprintf(`%d,%03d of the 10,000 named had it already`, len(taggedFirst)/1000, len(taggedFirst)%1000))
	t.Logf("first invocation: %d batchtagging calls, %d followers tagged, %d in flight at the interrupt; second: %d calls",
		len(calls), len(taggedFirst), inFlight, secondCalls)
}

// What the documentation says of an exclusive wechat_tag_members of the same tag: the
// next apply takes the tag from the followers the action gave it to.
func TestAction_anExclusiveTagMembersUndoesTheAddAtTheNextApply(t *testing.T) {
	t.Parallel()
	requireActions(t)
	openids := mockwechat.GenerateOpenIDs(3, 44)
	w := newWorkspace(t, mockwechat.Config{Followers: openids})
	w.configure(fmt.Sprintf(`
resource "wechat_tag" "campaign" {
  name = "双12活动"
}

resource "wechat_tag_members" "campaign" {
  tag_id    = wechat_tag.campaign.id
  openids   = [%q]
  exclusive = true
}

action "wechat_tag_followers_add" "campaign" {
  config {
    tag_id  = wechat_tag.campaign.id
    openids = [%q, %q]
  }
}
`, openids[0], openids[1], openids[2]))
	w.mustRun("apply", "-auto-approve", "-no-color")
	w.mustRun("apply", "-auto-approve", "-no-color", "-invoke=action.wechat_tag_followers_add.campaign")
	tagID := campaignTagID(t, w.mock)
	if held := tagMembersOf(w.mock, tagID, openids); len(held) != 3 {
		t.Fatalf("the tag has %d followers after the action, want 3", len(held))
	}
	code, plan := w.run("plan", "-detailed-exitcode", "-no-color")
	if code != 2 {
		t.Fatalf("the plan after the action exited %d, want 2 (changes):\n%s", code, plan)
	}
	mustMatch(t, "the plan after the action", plan, `wechat_tag_members.campaign will be updated in-place`, `- "`+openids[2]+`"`)
	w.mustRun("apply", "-auto-approve", "-no-color")
	if held := tagMembersOf(w.mock, tagID, openids); !slices.Equal(held, []string{openids[0]}) {
		t.Errorf("the tag has %v after the next apply, want only %s", held, openids[0])
	}
}

// The page's example of an action triggered by a tag's creation, as printed: the tag's
// id is unknown at plan time, so the checks run when the action is invoked, after the
// creation and before the first write; and the next plan is empty, since the action
// keeps nothing in the state. A follower who does not follow the account fails the apply
// there, with the tag created and no follower tagged.
func TestAction_triggeredByTheTagsCreationChecksWhenInvoked(t *testing.T) {
	t.Parallel()
	requireActions(t)
	example := exampleFile(t, "actions/wechat_tag_followers_add/on-create/main.tf")
	named := regexp.MustCompile(`"(ocYxcu\w+)"`).FindAllStringSubmatch(example, -1)
	if len(named) != 2 {
		t.Fatalf("the example names %d followers, want 2:\n%s", len(named), example)
	}
	first, second := named[0][1], named[1][1]

	t.Run("followers of the account", func(t *testing.T) {
		t.Parallel()
		w := newWorkspace(t, mockwechat.Config{Followers: []string{first, second}})
		w.configure(example)
		out := w.mustRun("apply", "-auto-approve", "-no-color")
		mustMatch(t, "the apply", out, `Tag 100: given to 2 followers in 1 call; 0 of the 2 named had it already`, `Actions: 1 invoked`)
		if held := tagMembersOf(w.mock, 100, []string{first, second}); len(held) != 2 {
			t.Errorf("the tag has %d of the 2 followers", len(held))
		}
		if code, plan := w.run("plan", "-detailed-exitcode", "-no-color"); code != 0 {
			t.Errorf("the plan after the apply exited %d, want 0:\n%s", code, plan)
		}
	})
	t.Run("one who does not follow the account", func(t *testing.T) {
		t.Parallel()
		w := newWorkspace(t, mockwechat.Config{Followers: []string{first}})
		w.configure(example)
		code, out := w.run("apply", "-auto-approve", "-no-color")
		if code != 1 {
			t.Fatalf("the apply exited %d, want 1:\n%s", code, lastLines(out, 30))
		}
		mustMatch(t, "the apply", out, `Error: Error when invoking action`, `Not a follower of this account: WeChat does not know "`+second+`"`)
		if n := w.mock.Calls()[batchTaggingPath]; n != 0 {
			t.Errorf("%d batchtagging calls, want none", n)
		}
		if tags := w.mock.Tags(); !slices.ContainsFunc(tags, func(tag mockwechat.Tag) bool { return tag.Name == "新品首发" }) {
			t.Errorf("the tag was not created: %v", tags)
		}
	})
}

// exampleFile is a file of examples/, as tfplugindocs pastes it into a page.
func exampleFile(t *testing.T, rel string) string {
	t.Helper()
	content, err := os.ReadFile(filepath.Join(examplesDir, rel))
	must(t, err)
	return string(content)
}
