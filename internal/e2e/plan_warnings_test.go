package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

// exclusive = true on new resources takes away what the account's own servers gave, which
// "+ create" cannot show: the CLI's plan says it in warnings that name each tag and
// follower, and the plan writes nothing.
func TestPlanWarnings_exclusiveNamesWhatItRemoves(t *testing.T) {
	t.Parallel()
	followers := mockwechat.GenerateOpenIDs(3, 11)
	alice, bob, carol := followers[0], followers[1], followers[2]
	w := newWorkspace(t, mockwechat.Config{Tags: []string{"VIP", "campaign"}, Followers: followers})
	for _, give := range []struct {
		openid string
		tagID  int64
	}{{alice, 101}, {bob, 100}} {
		if err := w.mock.TagUser(give.openid, give.tagID); err != nil {
			t.Fatal(err)
		}
	}
	w.configure(fmt.Sprintf(`
resource "wechat_user_tags" "alice" {
  openid    = %q
  tag_ids   = [100]
  exclusive = true
}

resource "wechat_tag_members" "vip" {
  tag_id    = 100
  openids   = [%q, %q]
  exclusive = true
}
`, alice, alice, carol))
	w.mock.ResetCalls()
	out := strings.Join(strings.Fields(w.mustRun("plan", "-no-color")), " ")
	for _, want := range []string{
		`Warning: Exclusive removes tags the plan does not show`,
		fmt.Sprintf(`the follower %q every tag tag_ids does not list, and it carries 101 ("campaign")`, alice),
		`Warning: Exclusive removes followers the plan does not show`,
		fmt.Sprintf(`takes tag 100 from every follower openids does not list. These carry it, and no earlier state managed them, so the plan cannot show them as removed, but the apply untags them: %q (1 in all).`, bob),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the plan does not say %q:\n%s", want, out)
		}
	}
	for _, write := range []string{"/cgi-bin/tags/members/batchtagging", "/cgi-bin/tags/members/batchuntagging"} {
		if n := w.mock.CallCount(write); n != 0 {
			t.Errorf("the plan made %d %s calls", n, write)
		}
	}
}

// With openids_file the plan shows only a digest and a count: the warning names who the
// apply tags and untags, whether the file changed or the account did.
func TestPlanWarnings_openIDsFileNamesWhoChanges(t *testing.T) {
	t.Parallel()
	followers := mockwechat.GenerateOpenIDs(4, 12)
	w := newWorkspace(t, mockwechat.Config{Tags: []string{"VIP"}, Followers: followers})
	writeFile(t, filepath.Join(w.Dir, "vip.txt"), followers[0]+"\n"+followers[1]+"\n")
	w.configure(`
resource "wechat_tag_members" "vip" {
  tag_id       = 100
  openids_file = "${path.module}/vip.txt"
  exclusive    = true
}
`)
	w.mustRun("apply", "-auto-approve", "-no-color")
	// The file gains a follower; outside Terraform, a member loses the tag and another
	// follower gets it.
	writeFile(t, filepath.Join(w.Dir, "vip.txt"), followers[0]+"\n"+followers[1]+"\n"+followers[2]+"\n")
	must(t, w.mock.UntagUser(followers[0], 100))
	must(t, w.mock.TagUser(followers[3], 100))
	w.mock.ResetCalls()
	out := strings.Join(strings.Fields(w.mustRun("plan", "-no-color")), " ")
	for _, want := range []string{
		"~ openids_count = 2 -> 3",
		"Warning: Followers the apply changes",
		fmt.Sprintf(`gives tag 100 to 2 followers: %q, %q, and takes tag 100 from 1 follower: %q.`,
			min(followers[0], followers[2]), max(followers[0], followers[2]), followers[3]),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the plan does not say %q:\n%s", want, out)
		}
	}
	for _, write := range []string{"/cgi-bin/tags/members/batchtagging", "/cgi-bin/tags/members/batchuntagging"} {
		if n := w.mock.CallCount(write); n != 0 {
			t.Errorf("the plan made %d %s calls", n, write)
		}
	}
}

// Tag ids a plan does not know, such as those of the wechat_tag resources it creates,
// may take a follower past WeChat's 20: the plan cannot prove it, so it warns, naming the
// follower, the tags it carries and the most it would carry, and writes nothing.
func TestPlanWarnings_unknownTagIDsMayPassTheFollowerLimit(t *testing.T) {
	t.Parallel()
	names := make([]string, 18)
	for i := range names {
		names[i] = fmt.Sprintf("segment-%02d", i)
	}
	followers := mockwechat.GenerateOpenIDs(1, 13)
	w := newWorkspace(t, mockwechat.Config{Tags: names, Followers: followers})
	for id := int64(100); id < 118; id++ {
		must(t, w.mock.TagUser(followers[0], id))
	}
	w.configure(fmt.Sprintf(`
resource "wechat_tag" "new" {
  for_each = toset(["spring", "summer", "autumn"])
  name     = each.key
}

resource "wechat_user_tags" "alice" {
  openid  = %q
  tag_ids = [for tag in wechat_tag.new : tag.id]
}
`, followers[0]))
	w.mock.ResetCalls()
	out := strings.Join(strings.Fields(w.mustRun("plan", "-no-color")), " ")
	for _, want := range []string{
		"Warning: Follower may carry too many tags",
		fmt.Sprintf(`The follower %q carries 18 tags: 100 ("segment-00"), 101 ("segment-01")`, followers[0]),
		"tag_ids gives it 3 more whose ids are known only after apply",
		"it would carry 21, more than the 20 WeChat allows",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the plan does not say %q:\n%s", want, out)
		}
	}
	for _, write := range []string{"/cgi-bin/tags/create", "/cgi-bin/tags/members/batchtagging"} {
		if n := w.mock.CallCount(write); n != 0 {
			t.Errorf("the plan made %d %s calls", n, write)
		}
	}
}
