package provider

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

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

const (
	pathTagMembers = "/cgi-bin/user/tag/get"
	pathTagging    = "/cgi-bin/tags/members/batchtagging"
	pathUntagging  = "/cgi-bin/tags/members/batchuntagging"
)

// hclStrings is an HCL list of the given strings, in the order given.
func hclStrings(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = strconv.Quote(v)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// tagMembersResourceConfig is one wechat_tag_members named "vip"; tagID is an HCL expression.
func tagMembersResourceConfig(m *testMock, tagID string, openids []string, exclusive bool) string {
	return m.providerConfig() + fmt.Sprintf(`
resource "wechat_tag_members" "vip" {
  tag_id    = %s
  openids   = %s
  exclusive = %t
}
`, tagID, hclStrings(openids), exclusive)
}

// sortedFollowers are the mock's first n followers in the order an import writes them.
func sortedFollowers(m *testMock, n int) []string {
	return slices.Sorted(slices.Values(m.Followers()[:n]))
}

// mockTagMembers is who carries the tag according to the service itself, sorted.
func mockTagMembers(m *testMock, tagID int64) []string {
	var members []string
	for _, openid := range m.Followers() {
		if tags, _ := m.UserTags(openid); slices.Contains(tags, tagID) {
			members = append(members, openid)
		}
	}
	slices.Sort(members)
	return members
}

// checkTagMembers proves what the service itself says the tag's members are.
func checkTagMembers(m *testMock, tagID int64, want ...string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		want = slices.Sorted(slices.Values(want))
		if got := mockTagMembers(m, tagID); !slices.Equal(got, want) {
			return fmt.Errorf("the mock says tag %d has members %v, want %v", tagID, got, want)
		}
		return nil
	}
}

func expectOpenIDs(openids ...string) knownvalue.Check {
	checks := make([]knownvalue.Check, len(openids))
	for i, openid := range openids {
		checks[i] = knownvalue.StringExact(openid)
	}
	return knownvalue.ListExact(checks)
}

// callTrap makes a request to one API path fail with an errcode after letting a number of
// them through, so that a change made in several calls fails midway.
type callTrap struct {
	mock *mockwechat.Server

	mu      sync.Mutex
	path    string
	pass    int
	errcode int
}

// arm lets pass requests to path through, then fails the next one with errcode.
func (c *callTrap) arm(path string, pass, errcode int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.path, c.pass, c.errcode = path, pass, errcode
}

func (c *callTrap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	if c.path != "" && r.URL.Path == c.path {
		if c.pass > 0 {
			c.pass--
		} else {
			// Only a path or errcode the mock does not know fails here: a bug of the test.
			if err := c.mock.FailNext(c.path, c.errcode); err != nil {
				panic(err)
			}
			c.path = ""
		}
	}
	c.mu.Unlock()
	c.mock.ServeHTTP(w, r)
}

// newTrappedTestMock is newTestMock served through a callTrap.
func newTrappedTestMock(t *testing.T, cfg mockwechat.Config) (*testMock, *callTrap) {
	t.Helper()
	cfg.AppID, cfg.AppSecret = testAppID, testAppSecret
	trap := &callTrap{mock: mockwechat.New(cfg)}
	httpServer := httptest.NewServer(trap)
	t.Cleanup(httpServer.Close)
	return &testMock{Server: trap.mock, URL: httpServer.URL, appID: cfg.AppID, appSecret: cfg.AppSecret}, trap
}

// expectPriorListSize proves, from the plan, how many elements the state held in a list
// attribute before the change: what an earlier, failed apply saved.
type expectPriorListSize struct {
	address, attribute string
	size               int
}

func (e expectPriorListSize) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, change := range req.Plan.ResourceChanges {
		if change.Address != e.address {
			continue
		}
		before, _ := change.Change.Before.(map[string]any)
		list, _ := before[e.attribute].([]any)
		if len(list) != e.size {
			resp.Error = fmt.Errorf("%s.%s held %d elements before the change, want %d", e.address, e.attribute, len(list), e.size)
		}
		return
	}
	resp.Error = fmt.Errorf("the plan has no change for %s", e.address)
}

// stopwatch logs how long the steps of a test take, for the figures in the report on
// large memberships. It asserts nothing about time, so it is no check: each step's time
// is logged when the next step starts.
type stopwatch struct {
	t     *testing.T
	start time.Time
}

func (s *stopwatch) reset() { s.start = time.Now() }

func (s *stopwatch) log(what string) {
	s.t.Logf("%s: %s", what, time.Since(s.start).Round(time.Millisecond))
}

func TestAccTagMembers_lifecycle(t *testing.T) {
	// Pages of two openids: every read of the tag takes several user/tag/get calls.
	m := newTestMock(t, mockwechat.Config{Tags: []string{"VIP"}, PageSize: 2})
	f := sortedFollowers(m, 5)
	// The account's own servers gave the tag to a follower before Terraform came.
	campaign := f[4]
	must(t, m.TagUser(campaign, 100))

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		// Destroy takes the tag from the followers it lists, and from no one else.
		CheckDestroy: checkTagMembers(m, 100, campaign),
		Steps: []resource.TestStep{
			{
				Config: tagMembersResourceConfig(m, "100", f[0:2], false),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("wechat_tag_members.vip", tfjsonpath.New("openids"), expectOpenIDs(f[0:2]...)),
					statecheck.ExpectKnownValue("wechat_tag_members.vip", tfjsonpath.New("exclusive"), knownvalue.Bool(false)),
				},
				Check: checkTagMembers(m, 100, f[0], f[1], campaign),
			},
			{
				// Add two members and remove one: an in-place update.
				Config:           tagMembersResourceConfig(m, "100", f[1:4], false),
				ConfigPlanChecks: plans("wechat_tag_members.vip", plancheck.ResourceActionUpdate),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("wechat_tag_members.vip", tfjsonpath.New("openids"), expectOpenIDs(f[1:4]...)),
				},
				Check: checkTagMembers(m, 100, f[1], f[2], f[3], campaign),
			},
			{
				// Import with terraform import, by tag id: every current member is
				// adopted, the campaign's too, and exclusive is false.
				ResourceName:  "wechat_tag_members.vip",
				ImportState:   true,
				ImportStateId: "100",
				ImportStateCheck: func(states []*terraform.InstanceState) error {
					if len(states) != 1 {
						return fmt.Errorf("imported %d instances, want 1", len(states))
					}
					attrs := states[0].Attributes
					want := map[string]string{"tag_id": "100", "exclusive": "false", "openids.#": "4",
						"openids.0": f[1], "openids.1": f[2], "openids.2": f[3], "openids.3": campaign}
					for k, v := range want {
						if attrs[k] != v {
							return fmt.Errorf("imported %s = %q, want %q", k, attrs[k], v)
						}
					}
					return nil
				},
			},
			{
				// Import with an import block: the plan then takes the tag from the member
				// the configuration does not list, as with any member dropped from openids.
				ResourceName:    "wechat_tag_members.vip",
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
				ImportStateId:   "100",
				// Not a no-op import: the configuration does not list the campaign's member.
				ExpectNonEmptyPlan: true,
				ImportPlanChecks: resource.ImportPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("wechat_tag_members.vip", plancheck.ResourceActionUpdate),
						expectPriorListSize{"wechat_tag_members.vip", "openids", 4},
						plancheck.ExpectKnownValue("wechat_tag_members.vip", tfjsonpath.New("openids"), expectOpenIDs(f[1:4]...)),
					},
				},
			},
		},
	})
}

func TestAccTagMembers_importMatchingConfigurationPlansNothing(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{Tags: []string{"VIP"}})
	f := sortedFollowers(m, 3)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkTagMembers(m, 100),
		Steps: []resource.TestStep{
			{Config: tagMembersResourceConfig(m, "100", f, false)},
			{
				ResourceName:                         "wechat_tag_members.vip",
				ImportState:                          true,
				ImportStateId:                        "100",
				ImportStateVerify:                    true,
				ImportStateVerifyIdentifierAttribute: "tag_id",
			},
			{
				ResourceName:    "wechat_tag_members.vip",
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
				ImportStateId:   "100",
				ImportPlanChecks: resource.ImportPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("wechat_tag_members.vip", plancheck.ResourceActionNoop),
					},
				},
			},
		},
	})
}

func TestAccTagMembers_tagCreatedInTheSameApply(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{})
	f := sortedFollowers(m, 2)
	config := m.providerConfig() + fmt.Sprintf(`
resource "wechat_tag" "vip" {
  name = "VIP"
}

resource "wechat_tag_members" "vip" {
  tag_id  = wechat_tag.vip.id
  openids = %s
}
`, hclStrings(f))

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkTagsDestroyed(m),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.CompareValuePairs("wechat_tag_members.vip", tfjsonpath.New("tag_id"),
						"wechat_tag.vip", tfjsonpath.New("id"), compare.ValuesSame()),
				},
				Check: checkTagMembers(m, 100, f...),
			},
		},
	})
}

func TestAccTagMembers_memberUntaggedOutsideIsTaggedAgain(t *testing.T) {
	for _, exclusive := range []bool{false, true} {
		t.Run(fmt.Sprintf("exclusive=%t", exclusive), func(t *testing.T) {
			m := newTestMock(t, mockwechat.Config{Tags: []string{"VIP"}})
			f := sortedFollowers(m, 2)

			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				CheckDestroy:             checkTagMembers(m, 100),
				Steps: []resource.TestStep{
					{Config: tagMembersResourceConfig(m, "100", f, exclusive), Check: checkTagMembers(m, 100, f...)},
					{
						PreConfig: func() { must(t, m.UntagUser(f[1], 100)) },
						Config:    tagMembersResourceConfig(m, "100", f, exclusive),
						ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
							plancheck.ExpectResourceAction("wechat_tag_members.vip", plancheck.ResourceActionUpdate),
							expectPriorListSize{"wechat_tag_members.vip", "openids", 1},
						}},
						Check: checkTagMembers(m, 100, f...),
					},
				},
			})
		})
	}
}

func TestAccTagMembers_memberTaggedOutside(t *testing.T) {
	t.Run("exclusive=false leaves it alone", func(t *testing.T) {
		m := newTestMock(t, mockwechat.Config{Tags: []string{"VIP"}})
		f := sortedFollowers(m, 3)

		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			CheckDestroy:             checkTagMembers(m, 100, f[2]),
			Steps: []resource.TestStep{
				{Config: tagMembersResourceConfig(m, "100", f[:2], false)},
				{
					PreConfig:        func() { must(t, m.TagUser(f[2], 100)) },
					Config:           tagMembersResourceConfig(m, "100", f[:2], false),
					ConfigPlanChecks: plansNothing(),
					Check:            checkTagMembers(m, 100, f...),
				},
			},
		})
	})
	t.Run("exclusive=true takes the tag back", func(t *testing.T) {
		m := newTestMock(t, mockwechat.Config{Tags: []string{"VIP"}})
		f := sortedFollowers(m, 3)

		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			CheckDestroy:             checkTagMembers(m, 100),
			Steps: []resource.TestStep{
				{Config: tagMembersResourceConfig(m, "100", f[:2], true)},
				{
					PreConfig: func() { must(t, m.TagUser(f[2], 100)) },
					Config:    tagMembersResourceConfig(m, "100", f[:2], true),
					ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("wechat_tag_members.vip", plancheck.ResourceActionUpdate),
						expectPriorListSize{"wechat_tag_members.vip", "openids", 3},
					}},
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue("wechat_tag_members.vip", tfjsonpath.New("openids"), expectOpenIDs(f[:2]...)),
					},
					Check: checkTagMembers(m, 100, f[:2]...),
				},
			},
		})
	})
}

func TestAccTagMembers_createExclusiveAndBecomingExclusive(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{Tags: []string{"VIP", "黄金会员"}})
	f := sortedFollowers(m, 4)
	must(t, m.TagUser(f[2], 100))
	must(t, m.TagUser(f[3], 101))

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             resource.ComposeTestCheckFunc(checkTagMembers(m, 100), checkTagMembers(m, 101)),
		Steps: []resource.TestStep{
			{
				// Created exclusive: the member the tag had before is untagged.
				Config: tagMembersResourceConfig(m, "100", f[:2], true),
				Check:  checkTagMembers(m, 100, f[:2]...),
			},
			{
				// Another tag, first non-exclusive, keeps its earlier member...
				Config:           tagMembersResourceConfig(m, "101", f[:2], false),
				ConfigPlanChecks: plans("wechat_tag_members.vip", plancheck.ResourceActionDestroyBeforeCreate),
				Check:            resource.ComposeTestCheckFunc(checkTagMembers(m, 100), checkTagMembers(m, 101, f[0], f[1], f[3])),
			},
			{
				// ...until it becomes exclusive: an in-place update.
				Config:           tagMembersResourceConfig(m, "101", f[:2], true),
				ConfigPlanChecks: plans("wechat_tag_members.vip", plancheck.ResourceActionUpdate),
				Check:            checkTagMembers(m, 101, f[:2]...),
			},
		},
	})
}

func TestAccTagMembers_badInput(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{
		Tags:           []string{"VIP"},
		ForeignOpenIDs: mockwechat.GenerateOpenIDs(1, 4242),
	})
	follower := m.follower(0)
	stranger := mockwechat.GenerateOpenIDs(1, 777)[0]
	foreign := mockwechat.GenerateOpenIDs(1, 4242)[0]
	cases := map[string]struct {
		tagID    string
		openids  []string
		planOnly bool
		error    string
	}{
		"openid with a space":         {"100", []string{"oAbc def"}, true, `openids.*"oAbc def" is not shaped like a WeChat openid`},
		"openid too short to be one":  {"100", []string{"o123"}, true, `openids.*"o123" is not shaped like a WeChat openid`},
		"openid listed twice":         {"100", []string{follower, follower}, true, fmt.Sprintf(`The openid %q is listed twice in openids`, follower)},
		"negative tag id":             {"-5", []string{follower}, true, `tag_id.*Tag id -5 is negative`},
		"blacklist system tag":        {"1", []string{follower}, true, `tag_id.*Tag id 1 is a WeChat system tag`},
		"tag id that is not a number": {`"vip"`, []string{follower}, true, `Inappropriate value for attribute "tag_id"`},
		"tag id beyond int64":         {"99999999999999999999", []string{follower}, true, `Invalid tag id.*tag_id.*99999999999999999999 is not a WeChat tag id`},
		"fractional tag id":           {"100.5", []string{follower}, true, `Invalid tag id.*tag_id.*100.5 is not a WeChat tag id`},
		"tag that does not exist":     {"999", []string{follower}, false, `tag_id.*The account has no tag with id 999`},
		// WeChat refuses the whole call without saying which openid: the error names the
		// one at fault, and not the follower beside it.
		"openid not a follower": {"100", []string{follower, stranger}, false,
			fmt.Sprintf(`Not a follower of this account.*openids.*WeChat does not know %q as a follower.*Remove it from the configuration`, stranger)},
		"openid of another account": {"100", []string{foreign, follower}, false,
			fmt.Sprintf(`Openid of another account.*openids.*The openid %q belongs to another AppID`, foreign)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{
					{Config: tagMembersResourceConfig(m, tc.tagID, tc.openids, false), PlanOnly: tc.planOnly, ExpectError: expectError(tc.error)},
				},
			})
		})
	}
}

func TestAccTagMembers_followerWithTwentyTagsIsNamed(t *testing.T) {
	names := make([]string, 21)
	for i := range names {
		names[i] = fmt.Sprintf("segment-%02d", i)
	}
	m := newTestMock(t, mockwechat.Config{Tags: names})
	f := sortedFollowers(m, 2)
	for id := int64(100); id < 120; id++ {
		must(t, m.TagUser(f[1], id))
	}

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      tagMembersResourceConfig(m, "120", f, false),
				ExpectError: expectError(fmt.Sprintf(`Too many tags for one follower.*The follower %q already carries 20 tags`, f[1])),
			},
		},
	})
}

func TestAccTagMembers_importErrors(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{Tags: []string{"VIP"}})
	cases := map[string]struct {
		id    string
		error string
	}{
		"not a tag id":           {"vip", `"vip" is not a tag id. Import a wechat_tag_members by the numeric WeChat tag id`},
		"tag id too long":        {"99999999999999999999", `"99999999999999999999" is not a tag id`},
		"negative tag id":        {"-3", `"-3" is not a tag id`},
		"blacklist tag":          {"1", `Tag 1 is a WeChat system tag`},
		"tag not on the account": {"999", `Tag not found.*The account has no tag with id 999`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{
					{
						Config:        tagMembersResourceConfig(m, "100", []string{m.follower(0)}, false),
						ResourceName:  "wechat_tag_members.vip",
						ImportState:   true,
						ImportStateId: tc.id,
						ExpectError:   expectError(tc.error),
					},
				},
			})
		})
	}
}

func TestAccTagMembers_tagDeletedOutsideIsPlannedAgain(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{Tags: []string{"VIP"}})
	f := sortedFollowers(m, 2)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: tagMembersResourceConfig(m, "100", f, false)},
			{
				// The tag, and its memberships, are gone: the resource leaves the state and
				// the plan creates it again, which fails with the tag named.
				PreConfig:   func() { must(t, m.DeleteTag(100)) },
				Config:      tagMembersResourceConfig(m, "100", f, false),
				ExpectError: expectError(`The account has no tag with id 100`),
			},
		},
	})
}

func TestAccTagMembers_updateFailingMidwaySavesWhatItApplied(t *testing.T) {
	m, trap := newTrappedTestMock(t, mockwechat.Config{Tags: []string{"VIP"}, Followers: mockwechat.GenerateOpenIDs(130, 11)})
	f := sortedFollowers(m, 121)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkTagMembers(m, 100),
		Steps: []resource.TestStep{
			{Config: tagMembersResourceConfig(m, "100", f[:1], false)},
			{
				// 120 followers to tag: three calls, the second of which meets the daily quota.
				PreConfig:   func() { trap.arm(pathTagging, 1, wechat.CodeDailyQuotaReached) },
				Config:      tagMembersResourceConfig(m, "100", f, false),
				ExpectError: expectError(`errcode 45009.*after 50 openids were changed`),
				Check:       checkTagMembers(m, 100, f[:51]...),
			},
			{
				// The state holds the 51 members tagged so far; the next apply tags the
				// other 70 in two calls.
				PreConfig: m.ResetCalls,
				Config:    tagMembersResourceConfig(m, "100", f, false),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("wechat_tag_members.vip", plancheck.ResourceActionUpdate),
					expectPriorListSize{"wechat_tag_members.vip", "openids", 51},
				}},
				Check: resource.ComposeTestCheckFunc(checkTagMembers(m, 100, f...), checkCalls(m, map[string]int{pathTagging: 2})),
			},
		},
	})
}

func TestAccTagMembers_createFailingMidwaySavesNothing(t *testing.T) {
	m, trap := newTrappedTestMock(t, mockwechat.Config{Tags: []string{"VIP"}, Followers: mockwechat.GenerateOpenIDs(130, 12)})
	f := sortedFollowers(m, 120)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkTagMembers(m, 100),
		Steps: []resource.TestStep{
			{
				PreConfig:   func() { trap.arm(pathTagging, 1, wechat.CodeDailyQuotaReached) },
				Config:      tagMembersResourceConfig(m, "100", f, false),
				ExpectError: expectError(`errcode 45009.*after 50 openids were changed`),
			},
			{
				// Created anew, with only the 70 openids still missing sent.
				PreConfig:        m.ResetCalls,
				Config:           tagMembersResourceConfig(m, "100", f, false),
				ConfigPlanChecks: plans("wechat_tag_members.vip", plancheck.ResourceActionCreate),
				Check:            resource.ComposeTestCheckFunc(checkTagMembers(m, 100, f...), checkCalls(m, map[string]int{pathTagging: 2})),
			},
		},
	})
}

func TestAccTagMembers_destroyFailingMidwayKeepsTheRest(t *testing.T) {
	m, trap := newTrappedTestMock(t, mockwechat.Config{Tags: []string{"VIP"}, Followers: mockwechat.GenerateOpenIDs(130, 13)})
	f := sortedFollowers(m, 121)
	campaign := f[120]
	must(t, m.TagUser(campaign, 100))

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkTagMembers(m, 100, campaign),
		Steps: []resource.TestStep{
			{Config: tagMembersResourceConfig(m, "100", f[:120], false)},
			{
				PreConfig:   func() { trap.arm(pathUntagging, 1, wechat.CodeDailyQuotaReached) },
				Config:      tagMembersResourceConfig(m, "100", f[:120], false),
				Destroy:     true,
				ExpectError: expectError(`errcode 45009.*after 50 openids were changed`),
				Check:       checkTagMembers(m, 100, append(slices.Clone(f[50:120]), campaign)...),
			},
			{
				// The resource stays, with the 70 followers still tagged; the configuration,
				// which still lists 120, would tag the other 50 again.
				RefreshState:       true,
				ExpectNonEmptyPlan: true,
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttr("wechat_tag_members.vip", "openids.#", "70"),
					resource.TestCheckResourceAttr("wechat_tag_members.vip", "openids.0", f[50]),
					resource.TestCheckResourceAttr("wechat_tag_members.vip", "openids.69", f[119]),
				),
			},
		},
	})
}

// Every batchtagging response is lost after WeChat applied it: the provider re-reads the
// members instead of sending the change again, and ends with each call made once.
func TestAccTagMembers_lostResponsesAreReadBackNotResent(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{Tags: []string{"VIP"}, Followers: mockwechat.GenerateOpenIDs(120, 14)})
	f := sortedFollowers(m, 120)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkTagMembers(m, 100),
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					must(t, m.SetFaults(mockwechat.Faults{LostResponseRate: 1, Paths: []string{pathTagging}}))
				},
				Config: tagMembersResourceConfig(m, "100", f, false),
				Check: resource.ComposeTestCheckFunc(
					checkTagMembers(m, 100, f...),
					checkCalls(m, map[string]int{pathTagging: 3}),
					func(*terraform.State) error { return m.SetFaults(mockwechat.Faults{}) },
				),
			},
		},
	})
}

// Two resources that do not claim the whole membership share a tag peacefully, even when
// they manage the same follower.
func TestAccTagMembers_nonExclusiveAndUserTagsAgree(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{Tags: []string{"VIP"}})
	alice, bob := m.follower(0), m.follower(1)
	config := tagMembersResourceConfig(m, "100", []string{alice}, false) + fmt.Sprintf(`
resource "wechat_user_tags" "alice" {
  openid  = %q
  tag_ids = [100]
}

resource "wechat_user_tags" "bob" {
  openid  = %q
  tag_ids = [100]
}
`, alice, bob)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkTagMembers(m, 100),
		Steps: []resource.TestStep{
			{Config: config, Check: checkTagMembers(m, 100, alice, bob)},
			{Config: config, ConfigPlanChecks: plansNothing(), Check: checkTagMembers(m, 100, alice, bob)},
		},
	})
}

// An exclusive wechat_tag_members and a wechat_user_tags that gives the same tag to another
// follower undo each other on every apply; each plan shows it, never silently.
func TestAccTagMembers_exclusiveFightsUserTagsInThePlan(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{Tags: []string{"VIP"}})
	alice, bob := m.follower(0), m.follower(1)
	members := tagMembersResourceConfig(m, "100", []string{alice}, true)
	both := members + fmt.Sprintf(`
resource "wechat_user_tags" "bob" {
  openid  = %q
  tag_ids = [100]
}
`, bob)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkTagMembers(m, 100),
		Steps: []resource.TestStep{
			{Config: members, Check: checkTagMembers(m, 100, alice)},
			{
				// wechat_user_tags tags bob; the next plan of the exclusive resource sees
				// a member it does not list, and plans to untag him.
				Config:             both,
				Check:              checkTagMembers(m, 100, alice, bob),
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("wechat_tag_members.vip", plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("wechat_user_tags.bob", plancheck.ResourceActionNoop),
				}},
			},
			{
				// The exclusive resource untags bob; now wechat_user_tags plans to tag him
				// again.
				Config:             both,
				Check:              checkTagMembers(m, 100, alice),
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("wechat_tag_members.vip", plancheck.ResourceActionUpdate),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("wechat_user_tags.bob", plancheck.ResourceActionUpdate),
						plancheck.ExpectResourceAction("wechat_tag_members.vip", plancheck.ResourceActionNoop),
					},
				},
			},
		},
	})
}

// 10,000 openids in one resource: 200 calls of 50 to tag them, two user/tag/get calls
// (one full page, then the empty one) to refresh them.
func TestAccTagMembers_tenThousandOpenIDs(t *testing.T) {
	const n = 10000
	m := newTestMock(t, mockwechat.Config{Tags: []string{"VIP"}, Followers: mockwechat.GenerateOpenIDs(n+1, 10000)})
	f := sortedFollowers(m, n+1)
	everyone, dropped := f[:n], f[n:]
	config := tagMembersResourceConfig(m, "100", everyone, false)
	watch := &stopwatch{t: t}

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		// Destroy untags the 10,000 in 200 calls, and leaves the follower tagged outside.
		CheckDestroy: resource.ComposeTestCheckFunc(
			checkTagMembers(m, 100, dropped...),
			checkCalls(m, map[string]int{pathUntagging: n / wechat.MaxOpenIDsPerBatch}),
		),
		Steps: []resource.TestStep{
			{
				PreConfig: watch.reset,
				Config:    config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("wechat_tag_members.vip", tfjsonpath.New("openids"), knownvalue.ListSizeExact(n)),
				},
				Check: resource.ComposeTestCheckFunc(
					checkCalls(m, map[string]int{pathTagging: n / wechat.MaxOpenIDsPerBatch, pathTagMembers: 1}),
					func(*terraform.State) error {
						if tag, _ := m.TagByID(100); tag.Count != n {
							return fmt.Errorf("tag 100 has %d members, want %d", tag.Count, n)
						}
						return nil
					},
				),
			},
			{
				PreConfig: func() {
					watch.log("plan and apply of 10,000 openids")
					m.ResetCalls()
					watch.reset()
				},
				RefreshState: true,
				Check:        checkCalls(m, map[string]int{pathTagMembers: 2, pathTagging: 0}),
			},
			{
				// Two plans (without and with refresh), both empty.
				PreConfig: func() {
					watch.log("refresh of 10,000 openids")
					watch.reset()
				},
				Config:   config,
				PlanOnly: true,
			},
			{
				// Drift among 10,000: two followers untagged outside, one tagged. The plan
				// puts the two back in one call and leaves the third alone.
				PreConfig: func() {
					watch.log("two empty plans of 10,000 openids")
					must(t, m.UntagUser(everyone[17], 100))
					must(t, m.UntagUser(everyone[9000], 100))
					must(t, m.TagUser(dropped[0], 100))
					m.ResetCalls()
					watch.reset()
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("wechat_tag_members.vip", plancheck.ResourceActionUpdate),
					expectPriorListSize{"wechat_tag_members.vip", "openids", n - 2},
				}},
				Check: resource.ComposeTestCheckFunc(
					checkCalls(m, map[string]int{pathTagging: 1, pathUntagging: 0}),
					func(*terraform.State) error {
						if tag, _ := m.TagByID(100); tag.Count != n+1 {
							return fmt.Errorf("tag 100 has %d members, want %d", tag.Count, n+1)
						}
						return nil
					},
				),
			},
		},
	})
	watch.log("plan and apply of 2 changes among 10,000 openids, then the destroy of 10,000")
}
