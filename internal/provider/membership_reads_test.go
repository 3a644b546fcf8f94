package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

// The same steps under each way of reading followers: drift is found the same, nothing
// else in state changes, import adopts the same tags, and a failed read keeps the state.
func TestAccMembershipReads_driftAndStateAreTheSameEitherWay(t *testing.T) {
	for _, reads := range []wechat.MembershipReads{wechat.MembershipReadsPerFollower, wechat.MembershipReadsPerTag} {
		t.Run(string(reads), func(t *testing.T) {
			m := newTestMock(t, mockwechat.Config{Followers: mockwechat.GenerateOpenIDs(6, 61), Tags: []string{"VIP", "黄金会员", "北京"}})
			fans := m.Followers()
			for _, fan := range fans {
				must(t, m.TagUser(fan, 100))
				must(t, m.TagUser(fan, 101))
			}
			config := m.providerConfig(fmt.Sprintf("membership_reads = %q", reads)) + fmt.Sprintf(`
locals {
  fans = %s
}

resource "wechat_user_tags" "fan" {
  count     = length(local.fans)
  openid    = local.fans[count.index]
  tag_ids   = [100, 101]
  exclusive = count.index == 1
}
`, hclList(fans))
			addr := func(i int) string { return fmt.Sprintf("wechat_user_tags.fan[%d]", i) }
			unchanged := []plancheck.PlanCheck{}
			for i := 2; i < len(fans); i++ {
				unchanged = append(unchanged, plancheck.ExpectResourceAction(addr(i), plancheck.ResourceActionNoop))
			}
			// The calls of the step's refresh and plan: per_follower makes one getidlist per
			// follower and no user/tag/get; per_tag lists each tag once, and no follower.
			expectReads := func() error {
				if reads == wechat.MembershipReadsPerFollower {
					if n := m.CallCount(getidlistPath); n < len(fans) {
						return fmt.Errorf("%d getidlist calls, want one per follower at least", n)
					}
					return m.expectCalls(pathTagMembers, 0)
				}
				if n := m.CallCount(pathTagMembers); n == 0 {
					return fmt.Errorf("no user/tag/get call: the snapshot was not taken")
				}
				return m.expectCalls(getidlistPath, 0)
			}

			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{
					{
						Config: config,
						Check:  resource.ComposeAggregateTestCheckFunc(checkFollowerTags(m, fans[0], 100, 101), checkFollowerTags(m, fans[1], 100, 101)),
					},
					{
						ResourceName:      addr(0),
						ImportState:       true,
						ImportStateId:     fans[0],
						ImportStateVerify: true,
					},
					{
						// Drift: a managed tag taken from fans[0], a tag given to the exclusive fans[1].
						PreConfig: func() {
							must(t, m.UntagUser(fans[0], 101))
							must(t, m.TagUser(fans[1], 102))
							m.ResetCalls()
						},
						Config: config,
						ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: append([]plancheck.PlanCheck{
							plancheck.ExpectResourceAction(addr(0), plancheck.ResourceActionUpdate),
							plancheck.ExpectResourceAction(addr(1), plancheck.ResourceActionUpdate),
							plancheck.ExpectKnownValue(addr(1), tfjsonpath.New("tag_ids"), expectTagIDs(100, 101)),
						}, unchanged...)},
						Check: resource.ComposeAggregateTestCheckFunc(
							checkFollowerTags(m, fans[0], 100, 101), checkFollowerTags(m, fans[1], 100, 101),
							func(*terraform.State) error { return expectReads() },
						),
					},
					{
						// A failed read fails the refresh, whichever way it reads: never "no tags".
						PreConfig: func() {
							must(t, m.FailNext(getidlistPath, wechat.CodeAPIUnauthorized))
							must(t, m.FailNext(pathTagMembers, wechat.CodeAPIUnauthorized))
						},
						Config:      config,
						ExpectError: expectError(`api unauthorized`),
					},
					{
						// The state kept every follower and its tags.
						PreConfig:         func() { m.ResetCalls() },
						Config:            config,
						ConfigPlanChecks:  plansNothing(),
						ConfigStateChecks: stateOfEveryFan(fans, addr),
					},
				},
			})
		})
	}
}

func stateOfEveryFan(fans []string, addr func(int) string) []statecheck.StateCheck {
	checks := make([]statecheck.StateCheck, len(fans))
	for i := range fans {
		checks[i] = statecheck.ExpectKnownValue(addr(i), tfjsonpath.New("tag_ids"), expectTagIDs(100, 101))
	}
	return checks
}

func hclList(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = fmt.Sprintf("%q", v)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// An unknown value of membership_reads fails the plan, naming the choices.
func TestAccMembershipReads_badValue(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{Tags: []string{"VIP"}})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      m.providerConfig(`membership_reads = "sometimes"`) + `data "wechat_tags" "all" {}`,
			ExpectError: expectError(`membership_reads.*value must be one of.*"auto".*"per_follower".*"per_tag"`),
		}},
	})
}
