package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

// tagDataSourceConfig looks tags up; each argument is the body of one data "wechat_tag"
// block, named t0, t1, ...
func tagDataSourceConfig(m *testMock, lookups ...string) string {
	config := m.providerConfig()
	for i, lookup := range lookups {
		config += fmt.Sprintf("\ndata \"wechat_tag\" \"t%d\" {\n  %s\n}\n", i, lookup)
	}
	return config
}

// expectTag proves what a data "wechat_tag" found.
func expectTag(address string, id int64, name string, followers int64, system bool) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(address, tfjsonpath.Path{}, knownvalue.ObjectExact(map[string]knownvalue.Check{
		"id":             knownvalue.Int64Exact(id),
		"name":           knownvalue.StringExact(name),
		"follower_count": knownvalue.Int64Exact(followers),
		"system":         knownvalue.Bool(system),
	}))
}

func TestAccTagDataSource_byIDAndByNameRereadsChangesMadeOutside(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{Tags: []string{"VIP", "老客户"}})
	must(t, m.TagUser(m.follower(0), 101))

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				// By id, by name, and the starred system tag, which tags/get lists.
				Config: tagDataSourceConfig(m, `id = 100`, `name = "老客户"`, `id = 2`),
				ConfigStateChecks: []statecheck.StateCheck{
					expectTag("data.wechat_tag.t0", 100, "VIP", 0, false),
					expectTag("data.wechat_tag.t1", 101, "老客户", 1, false),
					expectTag("data.wechat_tag.t2", 2, "星标组", 0, true),
				},
			},
			{
				// Another administrator renames tag 100 and tags two more followers with
				// 老客户: the lookup by id finds the new name, the one by name the new count.
				PreConfig: func() {
					must(t, m.RenameTag(100, "VIP-gold"))
					must(t, m.TagUser(m.follower(1), 101))
					must(t, m.TagUser(m.follower(2), 101))
				},
				Config: tagDataSourceConfig(m, `id = 100`, `name = "老客户"`),
				ConfigStateChecks: []statecheck.StateCheck{
					expectTag("data.wechat_tag.t0", 100, "VIP-gold", 0, false),
					expectTag("data.wechat_tag.t1", 101, "老客户", 3, false),
				},
			},
			{
				// The old name is gone: the lookup fails, naming what it looked for.
				Config:      tagDataSourceConfig(m, `name = "VIP"`),
				ExpectError: expectError(`Tag not found.*with data.wechat_tag.t0.*no tag named "VIP"`),
			},
			{
				// Tag 101 deleted outside Terraform: the lookup by id fails, naming the id.
				PreConfig:   func() { must(t, m.DeleteTag(101)) },
				Config:      tagDataSourceConfig(m, `id = 101`),
				ExpectError: expectError(`Tag not found.*with data.wechat_tag.t0.*no tag with id 101`),
			},
		},
	})
}

func TestAccTagDataSource_badInputIsRefusedAtPlanTime(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{Tags: []string{"VIP"}})
	steps := []struct{ lookup, want string }{
		{`id = 100
  name = "VIP"`, `Invalid Attribute Combination.*Exactly one of these attributes must be configured: \[id,name\]`},
		{`# neither id nor name`, `Missing Attribute Configuration.*with data.wechat_tag.t0.*Exactly one of these attributes must be configured: \[id,name\]`},
		{`id = -3`, `Invalid tag id.*with data.wechat_tag.t0,.*on .* line .*id = -3.*Tag id -3 is negative`},
		{`id = 1`, `System tag cannot be looked up.*with data.wechat_tag.t0.*Tag id 1 is a WeChat system tag.*which tags/get does not list.*Look up 2 for the starred tag`},
		// An Int64 id failed inside the framework on these, with an error that blamed the
		// provider.
		{`id = 100.5`, `Invalid tag id.*with data.wechat_tag.t0.*100.5 is not a WeChat tag id`},
		{`id = 99999999999999999999`, `Invalid tag id.*99999999999999999999 is not a WeChat tag id`},
		{`name = " VIP"`, `Tag name with surrounding white space.*with data.wechat_tag.t0.*name = " VIP"`},
		{`name = "` + strings.Repeat("广", 11) + `"`, `Tag name too long.*33 bytes`},
	}
	var testSteps []resource.TestStep
	for _, s := range steps {
		testSteps = append(testSteps, resource.TestStep{
			Config:      tagDataSourceConfig(m, s.lookup),
			PlanOnly:    true,
			ExpectError: expectError(s.want),
		})
	}

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps:                    testSteps,
	})
	if calls := m.CallCount("/cgi-bin/tags/get"); calls != 0 {
		t.Errorf("input refused at plan time still made %d tags/get calls", calls)
	}
}

func TestAccTagDataSources_planReadsTheAccountsTagsOnce(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{Tags: []string{"老客户"}})
	config := m.providerConfig() + `
resource "wechat_tag" "vip" {
  name = "VIP"
}

resource "wechat_tag" "guangdong" {
  name = "广东"
}

data "wechat_tags" "all" {}

data "wechat_tag" "vip" {
  id = wechat_tag.vip.id
}

data "wechat_tag" "returning" {
  name = "老客户"
}

data "wechat_tag" "starred" {
  id = 2
}

data "wechat_tag_members" "vip" {
  tag_id = wechat_tag.vip.id
}
`

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		// The tags this configuration made are gone; 老客户, which it only looked up, stays.
		CheckDestroy: func(*terraform.State) error {
			if tags := m.Tags(); len(tags) != 2 || tags[1].Name != "老客户" {
				return fmt.Errorf("after destroy the account has tags %v, want only 星标组 and 老客户", tags)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				// The lookup of a tag the same apply creates waits for its id, and finds it
				// in the tags the create wrote through to the shared read. data.wechat_tags,
				// which depends on nothing, is read at plan time, before the creates.
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.CompareValuePairs("data.wechat_tag.vip", tfjsonpath.New("id"), "wechat_tag.vip", tfjsonpath.New("id"), compare.ValuesSame()),
					statecheck.ExpectKnownValue("data.wechat_tag.vip", tfjsonpath.New("name"), knownvalue.StringExact("VIP")),
					expectTag("data.wechat_tag.returning", 100, "老客户", 0, false),
					statecheck.ExpectKnownValue("data.wechat_tags.all", tfjsonpath.New("tags"), knownvalue.ListSizeExact(2)),
				},
			},
			{
				// A plan that refreshes two wechat_tag resources and reads four tag data
				// sources makes a single tags/get; the apply of the empty plan makes none.
				PreConfig:        m.ResetCalls,
				Config:           config,
				ConfigPlanChecks: plansNothing(),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.wechat_tags.all", tfjsonpath.New("tags"), knownvalue.ListSizeExact(4)),
				},
				Check: checkCalls(m, map[string]int{"/cgi-bin/tags/get": 1}),
			},
		},
	})
}
