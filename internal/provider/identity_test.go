package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

// Resource identity reaches Terraform from 1.12 on (and OpenTofu 1.12, which the CLI matrix
// runs); older CLIs neither send nor store it.
var identityCLIs = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)}

// importByIdentity is a configuration that adopts the object identified by identity (an
// HCL object) into address.
func importByIdentity(address, identity, body string) string {
	return fmt.Sprintf(`
import {
  to       = %s
  identity = %s
}
`, address, identity) + body
}

func TestAccTag_identity(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{})
	adopted := m.mustCreateTag(t, "老客户")
	adoptedResource := `
resource "wechat_tag" "adopted" {
  name = "老客户"
}
`

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   identityCLIs,
		CheckDestroy:             checkTagsDestroyed(m),
		Steps: []resource.TestStep{
			{
				// Create: the identity is the id WeChat gave the tag.
				Config: tagConfig(m, "广东"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentity("wechat_tag.vip", map[string]knownvalue.Check{
						"id": knownvalue.Int64Exact(adopted.ID + 1),
					}),
					statecheck.ExpectIdentityValueMatchesState("wechat_tag.vip", tfjsonpath.New("id")),
				},
			},
			{
				// A rename keeps the identity.
				Config: tagConfig(m, "广东人"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentity("wechat_tag.vip", map[string]knownvalue.Check{
						"id": knownvalue.Int64Exact(adopted.ID + 1),
					}),
				},
			},
			{
				// The identity of the state imports the same tag again, with no change.
				ResourceName:    "wechat_tag.vip",
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithResourceIdentity,
				ImportPlanChecks: resource.ImportPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("wechat_tag.vip", plancheck.ResourceActionNoop),
						plancheck.ExpectKnownValue("wechat_tag.vip", tfjsonpath.New("name"), knownvalue.StringExact("广东人")),
					},
				},
			},
			{
				// A tag created outside Terraform, adopted by an import block with an identity.
				Config: tagConfig(m, "广东人") + importByIdentity("wechat_tag.adopted", fmt.Sprintf("{ id = %d }", adopted.ID), adoptedResource),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("wechat_tag.adopted", plancheck.ResourceActionNoop),
						plancheck.ExpectKnownValue("wechat_tag.adopted", tfjsonpath.New("id"), knownvalue.Int64Exact(adopted.ID)),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentity("wechat_tag.adopted", map[string]knownvalue.Check{
						"id": knownvalue.Int64Exact(adopted.ID),
					}),
				},
			},
		},
	})
}

func TestAccTag_identityRefusesWhatCannotBeManaged(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{})
	body := `
resource "wechat_tag" "imported" {
  name = "星标组"
}
`
	cases := map[string]struct {
		identity string
		err      string
	}{
		"system tag":  {identity: "{ id = 2 }", err: `System tag cannot be imported.*Tag 2 is a WeChat system tag`},
		"missing tag": {identity: "{ id = 999 }", err: `Tag not found.*no tag with id 999`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				TerraformVersionChecks:   identityCLIs,
				Steps: []resource.TestStep{{
					Config:      m.providerConfig() + importByIdentity("wechat_tag.imported", tc.identity, body),
					ExpectError: expectError(tc.err),
				}},
			})
		})
	}
}

func TestAccUserTags_identity(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{Followers: mockwechat.GenerateOpenIDs(2, 7)})
	vip := m.mustCreateTag(t, "VIP")
	alice, bob := m.follower(0), m.follower(1)
	must(t, m.TagUser(bob, vip.ID))
	bobResource := fmt.Sprintf(`
resource "wechat_user_tags" "bob" {
  openid  = %q
  tag_ids = [%d]
}
`, bob, vip.ID)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   identityCLIs,
		Steps: []resource.TestStep{
			{
				// Create: the identity is the follower's openid.
				Config: userTagsConfig(m, alice, fmt.Sprintf("[%d]", vip.ID), false),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentity("wechat_user_tags.alice", map[string]knownvalue.Check{
						"openid": knownvalue.StringExact(alice),
					}),
					statecheck.ExpectIdentityValueMatchesState("wechat_user_tags.alice", tfjsonpath.New("openid")),
				},
			},
			{
				// The identity of the state imports the same follower again, with no change.
				ResourceName:    "wechat_user_tags.alice",
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithResourceIdentity,
				ImportPlanChecks: resource.ImportPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("wechat_user_tags.alice", plancheck.ResourceActionNoop),
					},
				},
			},
			{
				// A follower tagged outside Terraform, adopted by an import block with an identity.
				Config: userTagsConfig(m, alice, fmt.Sprintf("[%d]", vip.ID), false) +
					importByIdentity("wechat_user_tags.bob", fmt.Sprintf("{ openid = %q }", bob), bobResource),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("wechat_user_tags.bob", plancheck.ResourceActionNoop),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentity("wechat_user_tags.bob", map[string]knownvalue.Check{
						"openid": knownvalue.StringExact(bob),
					}),
					statecheck.ExpectKnownValue("wechat_user_tags.bob", tfjsonpath.New("tag_ids"),
						knownvalue.SetExact([]knownvalue.Check{knownvalue.Int64Exact(vip.ID)})),
				},
			},
			{
				// An identity naming someone who does not follow the account is refused.
				Config: userTagsConfig(m, alice, fmt.Sprintf("[%d]", vip.ID), false) +
					importByIdentity("wechat_user_tags.stranger", `{ openid = "oStrangerNotAFollower0000" }`, fmt.Sprintf(`
resource "wechat_user_tags" "stranger" {
  openid  = "oStrangerNotAFollower0000"
  tag_ids = [%d]
}
`, vip.ID)),
				ExpectError: expectError(`Not a follower of this account.*"oStrangerNotAFollower0000"`),
			},
		},
	})
}

func TestAccTagMembers_identity(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{Followers: mockwechat.GenerateOpenIDs(3, 9)})
	vip := m.mustCreateTag(t, "VIP")
	campaign := m.mustCreateTag(t, "双十一")
	alice, bob := m.follower(0), m.follower(1)
	must(t, m.TagUser(bob, campaign.ID))
	vipID := fmt.Sprint(vip.ID)
	campaignResource := fmt.Sprintf(`
resource "wechat_tag_members" "campaign" {
  tag_id  = %d
  openids = [%q]
}
`, campaign.ID, bob)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   identityCLIs,
		Steps: []resource.TestStep{
			{
				// Create: the identity is the tag id.
				Config: tagMembersResourceConfig(m, vipID, []string{alice}, false),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentity("wechat_tag_members.vip", map[string]knownvalue.Check{
						"tag_id": knownvalue.Int64Exact(vip.ID),
					}),
				},
			},
			{
				// The identity of the state imports the same membership again, with no change.
				ResourceName:    "wechat_tag_members.vip",
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithResourceIdentity,
				ImportPlanChecks: resource.ImportPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("wechat_tag_members.vip", plancheck.ResourceActionNoop),
					},
				},
			},
			{
				// A tag whose members were given outside Terraform, adopted by identity.
				Config: tagMembersResourceConfig(m, vipID, []string{alice}, false) +
					importByIdentity("wechat_tag_members.campaign", fmt.Sprintf("{ tag_id = %d }", campaign.ID), campaignResource),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("wechat_tag_members.campaign", plancheck.ResourceActionNoop),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentity("wechat_tag_members.campaign", map[string]knownvalue.Check{
						"tag_id": knownvalue.Int64Exact(campaign.ID),
					}),
					statecheck.ExpectKnownValue("wechat_tag_members.campaign", tfjsonpath.New("openids"),
						knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact(bob)})),
				},
			},
			{
				// An identity naming a tag the account does not have is refused.
				Config: tagMembersResourceConfig(m, vipID, []string{alice}, false) +
					importByIdentity("wechat_tag_members.missing", "{ tag_id = 999 }", `
resource "wechat_tag_members" "missing" {
  tag_id  = 999
  openids = []
}
`),
				ExpectError: expectError(`Tag not found.*no tag with id 999`),
			},
		},
	})
}
