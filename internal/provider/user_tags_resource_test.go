package provider

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

// userTagsConfig is one wechat_user_tags named "alice"; tagIDs is an HCL expression.
func userTagsConfig(m *testMock, openid, tagIDs string, exclusive bool) string {
	return m.providerConfig() + fmt.Sprintf(`
resource "wechat_user_tags" "alice" {
  openid    = %q
  tag_ids   = %s
  exclusive = %t
}
`, openid, tagIDs, exclusive)
}

// checkFollowerTags proves what the service itself says the follower carries.
func checkFollowerTags(m *testMock, openid string, want ...int64) resource.TestCheckFunc {
	return func(*terraform.State) error {
		got, ok := m.UserTags(openid)
		if !ok {
			return fmt.Errorf("%s is not a follower of the mock", openid)
		}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			return fmt.Errorf("the mock says %s carries tags %v, want %v", openid, got, want)
		}
		return nil
	}
}

// checkFollowerTagNames is checkFollowerTags for tags created by Terraform, whose ids depend
// on the order of parallel creates.
func checkFollowerTagNames(m *testMock, openid string, names ...string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		want := make([]int64, len(names))
		for i, name := range names {
			tag, ok := m.tagNamed(name)
			if !ok {
				return fmt.Errorf("the mock has no tag named %q", name)
			}
			want[i] = tag.ID
		}
		return checkFollowerTags(m, openid, want...)(s)
	}
}

func expectTagIDs(ids ...int64) knownvalue.Check {
	checks := make([]knownvalue.Check, len(ids))
	for i, id := range ids {
		checks[i] = knownvalue.Int64Exact(id)
	}
	return knownvalue.SetExact(checks)
}

func TestAccUserTags_lifecycle(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{})
	alice := m.follower(0)
	config := func(tagIDs string) string {
		return m.providerConfig() + fmt.Sprintf(`
resource "wechat_tag" "vip" {
  name = "VIP"
}

resource "wechat_tag" "gold" {
  name = "黄金会员"
}

resource "wechat_user_tags" "alice" {
  openid  = %q
  tag_ids = %s
}
`, alice, tagIDs)
	}

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkFollowerTags(m, alice),
		Steps: []resource.TestStep{
			{
				// Create with the id of a tag created in the same apply.
				Config: config(`[wechat_tag.vip.id]`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.CompareValuePairs("wechat_user_tags.alice", tfjsonpath.New("tag_ids").AtSliceIndex(0),
						"wechat_tag.vip", tfjsonpath.New("id"), compare.ValuesSame()),
					statecheck.ExpectKnownValue("wechat_user_tags.alice", tfjsonpath.New("exclusive"), knownvalue.Bool(false)),
				},
				Check: checkFollowerTagNames(m, alice, "VIP"),
			},
			{
				// Add a tag: an in-place update that tags the follower once more.
				Config:            config(`[wechat_tag.vip.id, wechat_tag.gold.id]`),
				ConfigPlanChecks:  plans("wechat_user_tags.alice", plancheck.ResourceActionUpdate),
				ConfigStateChecks: []statecheck.StateCheck{statecheck.ExpectKnownValue("wechat_user_tags.alice", tfjsonpath.New("tag_ids"), knownvalue.SetSizeExact(2))},
				Check:             checkFollowerTagNames(m, alice, "VIP", "黄金会员"),
			},
			{
				// Drop a tag: untagged in place.
				Config:           config(`[wechat_tag.gold.id]`),
				ConfigPlanChecks: plans("wechat_user_tags.alice", plancheck.ResourceActionUpdate),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.CompareValuePairs("wechat_user_tags.alice", tfjsonpath.New("tag_ids").AtSliceIndex(0),
						"wechat_tag.gold", tfjsonpath.New("id"), compare.ValuesSame()),
				},
				Check: checkFollowerTagNames(m, alice, "黄金会员"),
			},
			{
				// Import with terraform import, by openid.
				ResourceName:                         "wechat_user_tags.alice",
				ImportState:                          true,
				ImportStateId:                        alice,
				ImportStateVerify:                    true,
				ImportStateVerifyIdentifierAttribute: "openid",
			},
			{
				// Import with an import block.
				ResourceName:    "wechat_user_tags.alice",
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
				ImportStateId:   alice,
				ImportPlanChecks: resource.ImportPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectKnownValue("wechat_user_tags.alice", tfjsonpath.New("tag_ids"), knownvalue.SetSizeExact(1)),
					},
				},
			},
		},
	})
}

func TestAccUserTags_leavesTagsItDoesNotListAlone(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{Tags: []string{"VIP", "双11活动"}})
	alice := m.follower(0)
	// The account's own servers tagged alice for a campaign before Terraform came.
	must(t, m.TagUser(alice, 101))

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkFollowerTags(m, alice, 101, wechat.TagStarred),
		Steps: []resource.TestStep{
			{
				Config: userTagsConfig(m, alice, "[100]", false),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("wechat_user_tags.alice", tfjsonpath.New("tag_ids"), expectTagIDs(100)),
				},
				Check: checkFollowerTags(m, alice, 100, 101),
			},
			{
				// An administrator stars alice: a tag the resource does not list, so no drift.
				PreConfig:        func() { must(t, m.TagUser(alice, wechat.TagStarred)) },
				Config:           userTagsConfig(m, alice, "[100]", false),
				ConfigPlanChecks: plansNothing(),
				Check:            checkFollowerTags(m, alice, wechat.TagStarred, 100, 101),
			},
		},
	})
}

func TestAccUserTags_tagRemovedOutsideIsPutBack(t *testing.T) {
	for _, exclusive := range []bool{false, true} {
		t.Run(fmt.Sprintf("exclusive=%t", exclusive), func(t *testing.T) {
			m := newTestMock(t, mockwechat.Config{Tags: []string{"VIP", "黄金会员"}})
			alice := m.follower(0)

			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				CheckDestroy:             checkFollowerTags(m, alice),
				Steps: []resource.TestStep{
					{Config: userTagsConfig(m, alice, "[100, 101]", exclusive), Check: checkFollowerTags(m, alice, 100, 101)},
					{
						PreConfig:        func() { must(t, m.UntagUser(alice, 101)) },
						Config:           userTagsConfig(m, alice, "[100, 101]", exclusive),
						ConfigPlanChecks: plans("wechat_user_tags.alice", plancheck.ResourceActionUpdate),
						Check:            checkFollowerTags(m, alice, 100, 101),
					},
				},
			})
		})
	}
}

// 49003 says the openid belongs to another AppID: with the right credentials that cannot
// happen to an openid the account gave out, so it means the credentials are wrong, and a
// refresh must fail with the state kept, not drop the resource and plan to create it.
func TestAccUserTags_openIDOfAnotherAppNeverEmptiesTheState(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{Tags: []string{"VIP"}})
	alice := m.follower(0)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkFollowerTags(m, alice),
		Steps: []resource.TestStep{
			{Config: userTagsConfig(m, alice, "[100]", false), Check: checkFollowerTags(m, alice, 100)},
			{
				PreConfig:    func() { must(t, m.FailNext("/cgi-bin/tags/getidlist", wechat.CodeOpenIDNotOfApp)) },
				RefreshState: true,
				ExpectError:  expectError(fmt.Sprintf(`Openid of another account.*The openid %q belongs to another AppID.*credentials of another account`, alice)),
			},
			{
				// Still in state: the next plan, with the service answering again, changes nothing.
				Config:           userTagsConfig(m, alice, "[100]", false),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
		},
	})
}

func TestAccUserTags_exclusiveOwnsEveryTag(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{Tags: []string{"VIP", "双11活动"}})
	alice := m.follower(0)
	must(t, m.TagUser(alice, 101))

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkFollowerTags(m, alice),
		Steps: []resource.TestStep{
			{
				// Created exclusive: the tag alice had before is taken away.
				Config: userTagsConfig(m, alice, "[100]", true),
				Check:  checkFollowerTags(m, alice, 100),
			},
			{
				// A tag given outside Terraform is drift, and the apply removes it.
				PreConfig:        func() { must(t, m.TagUser(alice, 101)) },
				Config:           userTagsConfig(m, alice, "[100]", true),
				ConfigPlanChecks: plans("wechat_user_tags.alice", plancheck.ResourceActionUpdate),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("wechat_user_tags.alice", tfjsonpath.New("tag_ids"), expectTagIDs(100)),
				},
				Check: checkFollowerTags(m, alice, 100),
			},
		},
	})
}

func TestAccUserTags_becomingExclusiveRemovesOtherTags(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{Tags: []string{"VIP", "双11活动"}})
	alice := m.follower(0)
	must(t, m.TagUser(alice, 101))

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkFollowerTags(m, alice),
		Steps: []resource.TestStep{
			{Config: userTagsConfig(m, alice, "[100]", false), Check: checkFollowerTags(m, alice, 100, 101)},
			{
				Config:           userTagsConfig(m, alice, "[100]", true),
				ConfigPlanChecks: plans("wechat_user_tags.alice", plancheck.ResourceActionUpdate),
				Check:            checkFollowerTags(m, alice, 100),
			},
		},
	})
}

func TestAccUserTags_changingOpenIDReplaces(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{Tags: []string{"VIP"}})
	alice, bob := m.follower(0), m.follower(1)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkFollowerTags(m, bob),
		Steps: []resource.TestStep{
			{Config: userTagsConfig(m, alice, "[100]", false), Check: checkFollowerTags(m, alice, 100)},
			{
				Config:           userTagsConfig(m, bob, "[100]", false),
				ConfigPlanChecks: plans("wechat_user_tags.alice", plancheck.ResourceActionDestroyBeforeCreate),
				Check:            resource.ComposeTestCheckFunc(checkFollowerTags(m, alice), checkFollowerTags(m, bob, 100)),
			},
		},
	})
}

func TestAccUserTags_tagLimitIsCheckedBeforeAnyChange(t *testing.T) {
	names := make([]string, 21)
	for i := range names {
		names[i] = fmt.Sprintf("segment-%02d", i)
	}
	m := newTestMock(t, mockwechat.Config{Tags: names})
	alice := m.follower(0)
	// The account's servers gave alice 19 tags (ids 100 to 118).
	for id := int64(100); id < 119; id++ {
		must(t, m.TagUser(alice, id))
	}

	const limit = `Too many tags for one follower.*carries 19 tags and would carry 21 after this change, more than the 20 WeChat allows`
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			// Refused by the plan, and by the plan of an apply, before any write.
			{Config: userTagsConfig(m, alice, "[119, 120]", false), PlanOnly: true, ExpectError: expectError(limit)},
			{Config: userTagsConfig(m, alice, "[119, 120]", false), ExpectError: expectError(limit)},
		},
	})
	if calls := m.CallCount("/cgi-bin/tags/members/batchtagging"); calls != 0 {
		t.Errorf("the refused change still made %d batchtagging calls", calls)
	}
}

func TestAccUserTags_badInput(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{
		Tags:           []string{"VIP"},
		ForeignOpenIDs: mockwechat.GenerateOpenIDs(1, 4242),
	})
	stranger := mockwechat.GenerateOpenIDs(1, 777)[0]
	manyIDs := make([]string, 21)
	for i := range manyIDs {
		manyIDs[i] = fmt.Sprint(100 + i)
	}
	cases := map[string]struct {
		openid, tagIDs string
		error          string
	}{
		"openid not a follower":      {stranger, "[100]", fmt.Sprintf(`Not a follower of this account.*%q`, stranger)},
		"openid of another account":  {mockwechat.GenerateOpenIDs(1, 4242)[0], "[100]", `Openid of another account`},
		"tag that does not exist":    {m.follower(0), "[100, 999]", `The account has no tag with id 999`},
		"more than 20 tags":          {m.follower(0), "[" + strings.Join(manyIDs, ", ") + "]", `tag_ids set must contain at most 20 elements, got: 21`},
		"blacklist system tag":       {m.follower(0), "[1]", `Tag id 1 is a WeChat system tag`},
		"negative tag id":            {m.follower(0), "[-5]", `Tag id -5 is negative`},
		"fractional tag id":          {m.follower(0), "[100.5]", `Invalid tag id.*100.5 is not a WeChat tag id, which is a whole number`},
		"tag id beyond int64":        {m.follower(0), "[99999999999999999999]", `Invalid tag id.*99999999999999999999 is not a WeChat tag id`},
		"openid with a space":        {"oAbc def", "[100]", `"oAbc def" is not shaped like a WeChat openid`},
		"empty openid":               {"", "[100]", `"" is not shaped like a WeChat openid`},
		"openid too short to be one": {"o123", "[100]", `is not shaped like a WeChat openid`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{
					{Config: userTagsConfig(m, tc.openid, tc.tagIDs, false), PlanOnly: true, ExpectError: expectError(tc.error)},
				},
			})
			if n := m.CallCount("/cgi-bin/tags/members/batchtagging"); n != 0 {
				t.Errorf("the refused plan was followed by %d batchtagging calls", n)
			}
		})
	}
}

func TestAccUserTags_importErrors(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{Tags: []string{"VIP"}})
	stranger := mockwechat.GenerateOpenIDs(1, 777)[0]
	cases := map[string]struct {
		id    string
		error string
	}{
		"not an openid":         {"ocYxcu AEy30", `"ocYxcu AEy30" is not an openid`},
		"openid not a follower": {stranger, fmt.Sprintf(`Not a follower of this account.*%q`, stranger)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{
					{
						Config:        userTagsConfig(m, m.follower(0), "[100]", false),
						ResourceName:  "wechat_user_tags.alice",
						ImportState:   true,
						ImportStateId: tc.id,
						ExpectError:   expectError(tc.error),
					},
				},
			})
		})
	}
}

// Every batchtagging response is lost after WeChat applied it: the provider re-reads the
// follower instead of sending the change again, and ends with the tags in place.
func TestAccUserTags_lostResponsesAreReadBackNotResent(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{Tags: []string{"VIP", "黄金会员"}})
	alice := m.follower(0)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkFollowerTags(m, alice),
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					must(t, m.SetFaults(mockwechat.Faults{LostResponseRate: 1, Paths: []string{"/cgi-bin/tags/members/batchtagging"}}))
				},
				Config: userTagsConfig(m, alice, "[100, 101]", false),
				Check: resource.ComposeTestCheckFunc(
					checkFollowerTags(m, alice, 100, 101),
					checkCalls(m, map[string]int{"/cgi-bin/tags/members/batchtagging": 2}),
					func(*terraform.State) error { return m.SetFaults(mockwechat.Faults{}) },
				),
			},
		},
	})
}

// An update that fails midway saves what it applied, so the next plan shows only the
// rest.
func TestAccUserTags_updateFailingMidwaySavesWhatItApplied(t *testing.T) {
	m, trap := newTrappedTestMock(t, mockwechat.Config{Tags: []string{"VIP", "黄金会员", "白金会员"}, Followers: mockwechat.GenerateOpenIDs(3, 15)})
	alice := m.follower(0)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkFollowerTags(m, alice),
		Steps: []resource.TestStep{
			{Config: userTagsConfig(m, alice, "[100]", false)},
			{
				// Tag 101 is added, then tagging 102 meets the daily quota, which no plan
				// can foresee.
				PreConfig:   func() { trap.arm(pathTagging, 1, wechat.CodeDailyQuotaReached) },
				Config:      userTagsConfig(m, alice, "[100, 101, 102]", false),
				ExpectError: expectError(`tag 102: .*errcode 45009.*after 1 tags were changed`),
				Check:       checkFollowerTags(m, alice, 100, 101),
			},
			{
				// The state holds 100 and 101: without 102, nothing is left to do.
				Config:           userTagsConfig(m, alice, "[100, 101]", false),
				ConfigPlanChecks: plansNothing(),
				Check:            checkFollowerTags(m, alice, 100, 101),
			},
		},
	})
}

// A tag id the account does not have fails the plan, not the apply: the configuration
// also creates a tag, and nothing at all is written.
func TestAccMemberships_missingTagIDFailsThePlanBeforeAnyWrite(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{Tags: []string{"VIP"}})
	alice := m.follower(0)
	config := m.providerConfig() + fmt.Sprintf(`
resource "wechat_tag" "new" {
  name = "new"
}

resource "wechat_user_tags" "alice" {
  openid  = %q
  tag_ids = [wechat_tag.new.id, 100, 999]
}

resource "wechat_tag_members" "gone" {
  tag_id  = 998
  openids = [%q]
}
`, alice, alice)

	const (
		missing999 = `Tag not found.*with wechat_user_tags.alice.*tag_ids.*The account has no tag with id 999`
		missing998 = `Tag not found.*with wechat_tag_members.gone.*tag_id.*The account has no tag with id 998`
		either     = `(?:` + missing999 + `.*` + missing998 + `|` + missing998 + `.*` + missing999 + `)`
	)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			// Both, in either order: by terraform plan, then by the plan of an apply.
			{Config: config, PlanOnly: true, ExpectError: expectError(either)},
			{Config: config, ExpectError: expectError(either)},
		},
	})
	for _, path := range []string{"/cgi-bin/tags/create", pathTagging, pathUntagging} {
		if n := m.CallCount(path); n != 0 {
			t.Errorf("%s was called %d times; a plan that fails must write nothing", path, n)
		}
	}
}
