package e2e

import (
	"fmt"
	"testing"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

// Terraform names a resource in the lines it prints by a string id, else its name: a
// wechat_user_tags by the follower's openid, a wechat_tag_members by the tag id, a
// wechat_tag (its id is a number) by its name.
func TestRefreshLines_nameTheFollowerAndTheTag(t *testing.T) {
	followers := mockwechat.GenerateOpenIDs(1, 7)
	w := newWorkspace(t, mockwechat.Config{Followers: followers})
	w.configure(fmt.Sprintf(`
resource "wechat_tag" "vip" {
  name = "VIP"
}

resource "wechat_user_tags" "alice" {
  openid  = %q
  tag_ids = [wechat_tag.vip.id]
}

resource "wechat_tag_members" "vip" {
  tag_id  = wechat_tag.vip.id
  openids = [%[1]q]
}
`, followers[0]))
	w.mustRun("apply", "-auto-approve", "-no-color")
	out := w.mustRun("plan", "-no-color")
	mustMatch(t, "the plan", out,
		`wechat_user_tags.alice: Refreshing state... \[id=`+followers[0]+`\]`,
		`wechat_tag.vip: Refreshing state... \[name=VIP\]`,
		`wechat_tag_members.vip: Refreshing state... \[id=100\]`,
		`No changes.`)
}
