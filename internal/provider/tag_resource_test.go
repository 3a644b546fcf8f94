package provider

import (
	"fmt"
	"strconv"
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
)

func tagConfig(m *testMock, name string) string {
	return m.providerConfig() + fmt.Sprintf(`
resource "wechat_tag" "vip" {
  name = %q
}
`, name)
}

// checkTagsDestroyed proves that every wechat_tag of the last state is gone from the mock.
func checkTagsDestroyed(m *testMock) func(*terraform.State) error {
	return func(s *terraform.State) error {
		for address, rs := range s.RootModule().Resources {
			// The data source wechat_tag has the same type in this form of the state.
			if rs.Type != "wechat_tag" || strings.HasPrefix(address, "data.") {
				continue
			}
			id, err := strconv.ParseInt(rs.Primary.Attributes["id"], 10, 64)
			if err != nil {
				return fmt.Errorf("%s has no numeric id in state: %w", rs.Primary.Attributes["id"], err)
			}
			if tag, found := m.TagByID(id); found {
				return fmt.Errorf("tag %d (%q) still exists after destroy", id, tag.Name)
			}
		}
		return nil
	}
}

// checkMockHasTag proves that the service itself holds the tag of the resource, by name.
func checkMockHasTag(m *testMock, resourceName, name string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources[resourceName]
		if !ok {
			return fmt.Errorf("%s is not in state", resourceName)
		}
		id, _ := strconv.ParseInt(rs.Primary.Attributes["id"], 10, 64)
		tag, found := m.TagByID(id)
		if !found {
			return fmt.Errorf("the mock has no tag %d", id)
		}
		if tag.Name != name {
			return fmt.Errorf("the mock's tag %d is named %q, want %q", id, tag.Name, name)
		}
		return nil
	}
}

func TestAccTag_lifecycle(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{})
	sameID := statecheck.CompareValue(compare.ValuesSame())

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkTagsDestroyed(m),
		Steps: []resource.TestStep{
			{
				// Create: WeChat assigns the id, and the tag exists on the service.
				Config: tagConfig(m, "广东"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("wechat_tag.vip", plancheck.ResourceActionCreate),
						plancheck.ExpectUnknownValue("wechat_tag.vip", tfjsonpath.New("id")),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("wechat_tag.vip", tfjsonpath.New("id"), knownvalue.Int64Exact(100)),
					statecheck.ExpectKnownValue("wechat_tag.vip", tfjsonpath.New("name"), knownvalue.StringExact("广东")),
					sameID.AddStateValue("wechat_tag.vip", tfjsonpath.New("id")),
				},
				Check: checkMockHasTag(m, "wechat_tag.vip", "广东"),
			},
			{
				// Rename: an in-place update that keeps the id, never a replacement.
				Config: tagConfig(m, "广东人"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("wechat_tag.vip", plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue("wechat_tag.vip", tfjsonpath.New("id"), knownvalue.Int64Exact(100)),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("wechat_tag.vip", tfjsonpath.New("name"), knownvalue.StringExact("广东人")),
					sameID.AddStateValue("wechat_tag.vip", tfjsonpath.New("id")),
				},
				Check: checkMockHasTag(m, "wechat_tag.vip", "广东人"),
			},
			{
				// Import with terraform import: the imported state equals the managed one.
				ResourceName:      "wechat_tag.vip",
				ImportState:       true,
				ImportStateId:     "100",
				ImportStateVerify: true,
			},
			{
				// Import with an import block: a no-op import of the same tag.
				ResourceName:    "wechat_tag.vip",
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
				ImportStateId:   "100",
				ImportPlanChecks: resource.ImportPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectKnownValue("wechat_tag.vip", tfjsonpath.New("name"), knownvalue.StringExact("广东人")),
					},
				},
			},
		},
	})
}

func TestAccTag_renamedOutsideIsRenamedBack(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{})

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkTagsDestroyed(m),
		Steps: []resource.TestStep{
			{Config: tagConfig(m, "VIP")},
			{
				// Another administrator renames the tag: the plan renames it back in place.
				PreConfig:        func() { must(t, m.RenameTag(100, "VIP-old")) },
				Config:           tagConfig(m, "VIP"),
				ConfigPlanChecks: plans("wechat_tag.vip", plancheck.ResourceActionUpdate),
				Check:            checkMockHasTag(m, "wechat_tag.vip", "VIP"),
			},
		},
	})
}

func TestAccTag_deletedOutsideIsCreatedAgain(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{})

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkTagsDestroyed(m),
		Steps: []resource.TestStep{
			{Config: tagConfig(m, "VIP")},
			{
				// Another administrator deletes the tag: it leaves the state at refresh and
				// the plan creates it again, under a new id.
				PreConfig:        func() { must(t, m.DeleteTag(100)) },
				Config:           tagConfig(m, "VIP"),
				ConfigPlanChecks: plans("wechat_tag.vip", plancheck.ResourceActionCreate),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("wechat_tag.vip", tfjsonpath.New("id"), knownvalue.Int64Exact(101)),
				},
				Check: checkMockHasTag(m, "wechat_tag.vip", "VIP"),
			},
		},
	})
}

func TestAccTag_busyServiceIsNotReadAsDeleted(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{})
	noRetries := m.providerConfig("max_retries = 0") + `
resource "wechat_tag" "vip" {
  name = "VIP"
}
`

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkTagsDestroyed(m),
		Steps: []resource.TestStep{
			{Config: tagConfig(m, "VIP")},
			{
				// A busy tags/get is retried, and the refresh finds the tag.
				PreConfig:        func() { must(t, m.FailNext("/cgi-bin/tags/get", -1)) },
				Config:           tagConfig(m, "VIP"),
				ConfigPlanChecks: plansNothing(),
			},
			{
				// With no retries left, the busy answer fails the refresh instead of
				// planning to create the tag again.
				PreConfig:   func() { must(t, m.FailNext("/cgi-bin/tags/get", -1)) },
				Config:      noRetries,
				ExpectError: expectError(`Unable to read the tag.*errcode -1`),
			},
			{
				// The tag stayed in state: with the service well again, nothing changes.
				Config:           noRetries,
				ConfigPlanChecks: plansNothing(),
			},
		},
	})
}

func TestAccTag_takenNameIsReportedAtPlanTime(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{Tags: []string{"老客户"}})

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:   tagConfig(m, "老客户"),
				PlanOnly: true,
				ExpectError: expectError(`Tag name already in use.*already has a tag named "老客户", with id 100.*` +
					`terraform import wechat_tag.<name> 100.*import {.*id = "100"`),
			},
		},
	})
	if calls := m.CallCount("/cgi-bin/tags/create"); calls != 0 {
		t.Errorf("the plan-time error still let %d tags/create calls through", calls)
	}
}

func TestAccTag_twoNewTagsWithOneNameKeepTheFirst(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{})
	config := m.providerConfig() + `
resource "wechat_tag" "first" {
  name = "VIP"
}

resource "wechat_tag" "second" {
  name = "VIP"
}
`

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				// The plan cannot see the clash; the create that comes second fails with
				// the guidance, naming the tag the first one made.
				Config:      config,
				ExpectError: expectError(`Tag name already in use.*already has a tag named "VIP", with id 100`),
			},
			{
				// Nothing is half-made: the account holds one VIP, the state the resource
				// that made it, and planning the same configuration again now reports the
				// other resource's name as taken at plan time.
				PreConfig: func() {
					if tags := m.Tags(); len(tags) != 2 || tags[1].Name != "VIP" {
						t.Errorf("the account holds %v, want the starred tag and one VIP", tags)
					}
				},
				Config:      config,
				PlanOnly:    true,
				ExpectError: expectError(`Tag name already in use.*already has a tag named "VIP", with id 100`),
			},
		},
	})
}

func TestAccTag_renameToTakenNameSaysWhichTagHasIt(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{Tags: []string{"老客户"}})

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkTagsDestroyed(m),
		Steps: []resource.TestStep{
			{Config: tagConfig(m, "新客户")},
			{
				Config:      tagConfig(m, "老客户"),
				ExpectError: expectError(`already has a tag named "老客户", with id 100`),
			},
			{
				// The failed rename lost nothing: the tag keeps its old name.
				Config:           tagConfig(m, "新客户"),
				ConfigPlanChecks: plansNothing(),
				Check:            checkMockHasTag(m, "wechat_tag.vip", "新客户"),
			},
		},
	})
}

// The account's limit counts every tag the plan creates, and fails the plan before any is
// made: an apply would have created the first and failed on the second.
func TestAccTag_limitOf100TagsFailsThePlan(t *testing.T) {
	names := make([]string, 99)
	for i := range names {
		names[i] = fmt.Sprintf("segment-%03d", i)
	}
	m := newTestMock(t, mockwechat.Config{Tags: names})
	config := m.providerConfig() + `
resource "wechat_tag" "a" {
  name = "one-more"
}

resource "wechat_tag" "b" {
  name = "one-too-many"
}
`
	const limit = `Tag limit reached.*The account has 99 user tags, room for 1 more under the 100 WeChat allows,\s+and this plan creates more than that, among them "one-[a-z-]+"`

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkTagsDestroyed(m),
		Steps: []resource.TestStep{
			{Config: config, PlanOnly: true, ExpectError: expectError(limit)},
			{Config: config, ExpectError: expectError(limit)},
			{
				// One fits, with the warning that WeChat may count its system tags.
				PreConfig: func() {
					if n := m.CallCount("/cgi-bin/tags/create"); n != 0 {
						t.Errorf("the refused plans made %d tags/create calls", n)
					}
				},
				Config: tagConfig(m, "one-more"),
				Check:  checkMockHasTag(m, "wechat_tag.vip", "one-more"),
			},
		},
	})
}

// 100 tags, all managed: a plan that destroys one wechat_tag and creates another passes
// (with a warning that the creation waits for the destruction), and its apply ends with
// 100 in one run, whichever of the two Terraform runs first.
func TestAccTag_replaceAtTheLimitAppliesInOneRun(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{})
	config := func(kept int, extra string) string {
		return m.providerConfig() + fmt.Sprintf(`
resource "wechat_tag" "segment" {
  count = %d
  name  = format("segment-%%03d", count.index)
}
%s`, kept, extra)
	}
	full, replaced := config(100, ""), config(99, `
resource "wechat_tag" "spring" {
  name = "spring-campaign"
}
`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkTagsDestroyed(m),
		Steps: []resource.TestStep{
			{Config: full},
			{
				Config: replaced,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("wechat_tag.segment[99]", plancheck.ResourceActionDestroy),
					plancheck.ExpectResourceAction("wechat_tag.spring", plancheck.ResourceActionCreate),
				}},
				Check: resource.ComposeTestCheckFunc(
					checkMockHasTag(m, "wechat_tag.spring", "spring-campaign"),
					func(*terraform.State) error {
						names := map[string]bool{}
						for _, tag := range m.Tags() {
							names[tag.Name] = true
						}
						if len(names) != 101 || names["segment-099"] { // the starred tag and 100
							return fmt.Errorf("the account has %d tags (segment-099 among them: %v), want the starred tag and 100", len(names), names["segment-099"])
						}
						return nil
					},
				),
			},
		},
	})
}

// Under the other reading of WeChat's undocumented rule, its 3 system tags count towards
// the 100, and 97 tags of the account's own fill it: the plan can only warn (tested in
// TestCheckAccountRoom), and the apply's 45056 says why, creating nothing.
func TestAccTag_limitCountingSystemTagsFailsTheApply(t *testing.T) {
	names := make([]string, 97)
	for i := range names {
		names[i] = fmt.Sprintf("segment-%03d", i)
	}
	m := newTestMock(t, mockwechat.Config{Tags: names, CountSystemTags: true})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: resource.ComposeTestCheckFunc(
			checkTagsDestroyed(m),
			func(*terraform.State) error {
				if len(m.Tags()) != 98 { // the starred tag and the 97
					return fmt.Errorf("the account has %d tags after the refused apply, want 98", len(m.Tags()))
				}
				return nil
			},
		),
		Steps: []resource.TestStep{
			{
				Config:      tagConfig(m, "the-98th"),
				ExpectError: expectError(`Tag limit reached.*the account has as many tags as it allows, 100.*when they do, 97 tags of the account's own fill it.*errcode 45056`),
			},
		},
	})
}

func TestAccTag_invalidNamesFailAtPlan(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{})
	cases := map[string]struct {
		name  string
		error string
	}{
		"empty":                      {"", `Empty tag name`},
		"only white space":           {"   ", `Empty tag name.*"   " is empty or only white space`},
		"leading space":              {" VIP", `surrounding white space.*" VIP" starts or ends with white space. Remove it: use "VIP"`},
		"trailing space":             {"VIP ", `surrounding white space.*use "VIP"`},
		"tab inside":                 {"V\tIP", `Control character in tag name`},
		"line break inside":          {"VIP\nGold", `Control character in tag name`},
		"over 30 bytes of ASCII":     {strings.Repeat("a", 31), `is 31 bytes of UTF-8, and WeChat allows at most 30 bytes`},
		"eleven Chinese characters":  {strings.Repeat("广", 11), `is 33 bytes of UTF-8.*at most 10 of them`},
		"ten Chinese and one letter": {strings.Repeat("广", 10) + "a", `is 31 bytes of UTF-8`},
	}
	// Cleanup runs once the parallel subtests are done.
	t.Cleanup(func() {
		if calls := m.CallCount("/cgi-bin/tags/create"); calls != 0 {
			t.Errorf("invalid names reached the service: %d tags/create calls", calls)
		}
	})
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{
					{Config: tagConfig(m, tc.name), PlanOnly: true, ExpectError: expectError(tc.error)},
				},
			})
		})
	}
}

func TestAccTag_importErrors(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{})
	cases := map[string]struct {
		id    string
		error string
	}{
		"non-numeric id":  {"vip", `"vip" is not a tag id.*numeric WeChat tag id`},
		"system tag":      {"2", `Tag 2 is a WeChat system tag`},
		"blacklist tag":   {"1", `Tag 1 is a WeChat system tag`},
		"tag not on them": {"4242", `The account has no tag with id 4242`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{
					{
						Config:        tagConfig(m, "VIP"),
						ResourceName:  "wechat_tag.vip",
						ImportState:   true,
						ImportStateId: tc.id,
						ExpectError:   expectError(tc.error),
					},
				},
			})
		})
	}
}

// The response to tags/create is lost after WeChat created the tag: the provider finds
// the tag by name and adopts it, instead of leaving an orphan or creating a duplicate.
func TestAccTag_lostCreateIsAdoptedNotDuplicated(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{})

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkTagsDestroyed(m),
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					must(t, m.SetFaults(mockwechat.Faults{LostResponseRate: 1, Paths: []string{"/cgi-bin/tags/create"}}))
				},
				Config: tagConfig(m, "VIP"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("wechat_tag.vip", tfjsonpath.New("id"), knownvalue.Int64Exact(100)),
				},
				Check: resource.ComposeTestCheckFunc(
					checkMockHasTag(m, "wechat_tag.vip", "VIP"),
					checkCalls(m, map[string]int{"/cgi-bin/tags/create": 1}),
					func(*terraform.State) error {
						if n := len(m.Tags()); n != 2 {
							return fmt.Errorf("the account holds %d tags, want the starred tag and VIP", n)
						}
						return m.SetFaults(mockwechat.Faults{})
					},
				),
			},
		},
	})
}
