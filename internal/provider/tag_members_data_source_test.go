package provider

import (
	"fmt"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

// tagMembersConfig reads the followers of tagID; extra lines go into the provider block.
func tagMembersConfig(m *testMock, tagID string, extra ...string) string {
	return m.providerConfig(extra...) + fmt.Sprintf(`
data "wechat_tag_members" "this" {
  tag_id = %s
}
`, tagID)
}

// expectMembers proves the openids a data "wechat_tag_members" lists, in sorted order, and
// its follower_count.
func expectMembers(openids ...string) []statecheck.StateCheck {
	sorted := slices.Sorted(slices.Values(openids))
	elements := make([]knownvalue.Check, len(sorted))
	for i, openid := range sorted {
		elements[i] = knownvalue.StringExact(openid)
	}
	const address = "data.wechat_tag_members.this"
	return []statecheck.StateCheck{
		statecheck.ExpectKnownValue(address, tfjsonpath.New("openids"), knownvalue.ListExact(elements)),
		statecheck.ExpectKnownValue(address, tfjsonpath.New("follower_count"), knownvalue.Int64Exact(int64(len(sorted)))),
	}
}

func TestAccTagMembersDataSource_readsEveryPageAndRereadsChangesMadeOutside(t *testing.T) {
	// Two openids a page, so that five members take three pages and an empty fourth.
	m := newTestMock(t, mockwechat.Config{
		Tags:      []string{"VIP"},
		Followers: mockwechat.GenerateOpenIDs(8, 7),
		PageSize:  2,
	})
	for i := range 5 {
		must(t, m.TagUser(m.follower(i), 100))
	}

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:            tagMembersConfig(m, "100"),
				ConfigStateChecks: expectMembers(m.follower(0), m.follower(1), m.follower(2), m.follower(3), m.follower(4)),
			},
			{
				// Another administrator untags one follower and tags two others: the next
				// plan lists them.
				PreConfig: func() {
					must(t, m.UntagUser(m.follower(1), 100))
					must(t, m.TagUser(m.follower(6), 100))
					must(t, m.TagUser(m.follower(7), 100))
				},
				Config: tagMembersConfig(m, "100"),
				ConfigStateChecks: expectMembers(m.follower(0), m.follower(2), m.follower(3), m.follower(4),
					m.follower(6), m.follower(7)),
			},
			{
				// A tag without followers is an empty list, not null, so that length() and
				// for_each work on it; the starred system tag is read like any other.
				Config:            tagMembersConfig(m, "2"),
				ConfigStateChecks: expectMembers(),
			},
			{
				// A tag deleted outside Terraform: the error names the tag_id.
				PreConfig:   func() { must(t, m.DeleteTag(100)) },
				Config:      tagMembersConfig(m, "100"),
				ExpectError: expectError(`Tag not found.*with data.wechat_tag_members.this.*no tag with id 100`),
			},
		},
	})
}

func TestAccTagMembersDataSource_followsATagOfTheConfiguration(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{})
	alice, bob := m.follower(0), m.follower(1)
	config := m.providerConfig() + fmt.Sprintf(`
resource "wechat_tag" "vip" {
  name = "VIP"
}

resource "wechat_user_tags" "alice" {
  openid  = %q
  tag_ids = [wechat_tag.vip.id]
}

resource "wechat_user_tags" "bob" {
  openid  = %q
  tag_ids = [wechat_tag.vip.id]
}

data "wechat_tag_members" "this" {
  tag_id     = wechat_tag.vip.id
  depends_on = [wechat_user_tags.alice, wechat_user_tags.bob]
}
`, alice, bob)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkTagsDestroyed(m),
		Steps: []resource.TestStep{
			{
				// Read after the apply tagged both followers, through depends_on.
				Config:            config,
				ConfigStateChecks: expectMembers(alice, bob),
			},
		},
	})
}

func TestAccTagMembersDataSource_badInputAndFailuresAreErrors(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{Tags: []string{"VIP"}})

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      tagMembersConfig(m, "-1"),
				PlanOnly:    true,
				ExpectError: expectError(`Invalid tag id.*with data.wechat_tag_members.this.*tag_id = -1.*Tag id -1 is negative`),
			},
			{
				Config:      tagMembersConfig(m, "100.5"),
				PlanOnly:    true,
				ExpectError: expectError(`Invalid tag id.*with data.wechat_tag_members.this.*100.5 is not a WeChat tag id`),
			},
			{
				Config:      tagMembersConfig(m, "99999999999999999999"),
				PlanOnly:    true,
				ExpectError: expectError(`Invalid tag id.*99999999999999999999 is not a WeChat tag id`),
			},
			{
				Config:      tagMembersConfig(m, "1"),
				PlanOnly:    true,
				ExpectError: expectError(`System tag cannot be listed.*with data.wechat_tag_members.this.*Tag id 1 is a WeChat system tag.*whose followers user/tag/get cannot list`),
			},
			{
				Config:      m.providerConfig() + "data \"wechat_tag_members\" \"this\" {}\n",
				PlanOnly:    true,
				ExpectError: expectError(`Missing required argument.*"tag_id" is required`),
			},
			{
				Config:      tagMembersConfig(m, "999"),
				PlanOnly:    true,
				ExpectError: expectError(`Tag not found.*with data.wechat_tag_members.this.*no tag with id 999.*errcode 45159`),
			},
			{
				// A busy service with no retries left fails the read: it never reads as a tag
				// without followers.
				PreConfig:   func() { must(t, m.FailNext("/cgi-bin/user/tag/get", -1)) },
				Config:      tagMembersConfig(m, "100", "max_retries = 0"),
				PlanOnly:    true,
				ExpectError: expectError(`Unable to read the followers of the tag.*Reading the followers of tag 100 failed.*errcode -1`),
			},
		},
	})
}
