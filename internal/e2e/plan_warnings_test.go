package e2e

import (
	"fmt"
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
