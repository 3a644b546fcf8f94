package provider

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

// tagValue is what a tag data source shows for one tag.
func tagValue(id int64, name string, followers int64, system bool) knownvalue.Check {
	return knownvalue.ObjectExact(map[string]knownvalue.Check{
		"id":             knownvalue.Int64Exact(id),
		"name":           knownvalue.StringExact(name),
		"follower_count": knownvalue.Int64Exact(followers),
		"system":         knownvalue.Bool(system),
	})
}

func tagsDataSourceConfig(m *testMock, extra ...string) string {
	return m.providerConfig(extra...) + `
data "wechat_tags" "all" {}
`
}

func TestAccTagsDataSource_listsEveryTagAndRereadsChangesMadeOutside(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{Tags: []string{"VIP", "老客户"}})
	must(t, m.TagUser(m.follower(0), 100))
	must(t, m.TagUser(m.follower(1), 100))
	tags := tfjsonpath.New("tags")

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				// Sorted by id: the starred system tag first, marked so that it can be
				// filtered out, then the account's tags with WeChat's follower counts.
				Config: tagsDataSourceConfig(m),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.wechat_tags.all", tags, knownvalue.ListExact([]knownvalue.Check{
						tagValue(2, "星标组", 0, true),
						tagValue(100, "VIP", 2, false),
						tagValue(101, "老客户", 0, false),
					})),
				},
			},
			{
				// Another administrator deletes one tag, renames another, creates a third
				// and tags a follower with it: the next plan reads them all.
				PreConfig: func() {
					must(t, m.DeleteTag(100))
					must(t, m.RenameTag(101, "回头客"))
					tag := m.mustCreateTag(t, "双11活动")
					must(t, m.TagUser(m.follower(2), tag.ID))
				},
				Config: tagsDataSourceConfig(m),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.wechat_tags.all", tags, knownvalue.ListExact([]knownvalue.Check{
						tagValue(2, "星标组", 0, true),
						tagValue(101, "回头客", 0, false),
						tagValue(102, "双11活动", 1, false),
					})),
				},
			},
		},
	})
}

func TestAccTagsDataSource_failedReadIsAnError(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{Tags: []string{"VIP"}})

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				// A busy service with no retries left fails the plan: it never reads as an
				// account without tags.
				PreConfig:   func() { must(t, m.FailNext("/cgi-bin/tags/get", -1)) },
				Config:      tagsDataSourceConfig(m, "max_retries = 0"),
				ExpectError: expectError(`Unable to read the account's tags.*errcode -1`),
			},
		},
	})
}

// bulkImportConfig adopts every tag data.wechat_tags lists, keyed by tag id. A tag id never
// changes, while a name key would move the resource to another address on a rename made
// outside Terraform, planning to destroy the renamed tag.
func bulkImportConfig(m *testMock, filter string) string {
	return m.providerConfig() + fmt.Sprintf(`
data "wechat_tags" "all" {}

locals {
  account_tags = { for t in data.wechat_tags.all.tags : tostring(t.id) => t %s }
}

import {
  for_each = local.account_tags
  to       = wechat_tag.imported[each.key]
  id       = each.key
}

resource "wechat_tag" "imported" {
  for_each = local.account_tags
  name     = each.value.name
}
`, filter)
}

// expectOnlyImports proves that a plan changes nothing but imports exactly the addresses
// given: no create, update or destroy, and no other import.
type expectOnlyImports []string

func (want expectOnlyImports) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	var imported []string
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Change == nil {
			continue
		}
		if !rc.Change.Actions.NoOp() {
			resp.Error = fmt.Errorf("%s: planned %v, want no change other than imports", rc.Address, rc.Change.Actions)
			return
		}
		if rc.Change.Importing != nil {
			imported = append(imported, rc.Address)
		}
	}
	slices.Sort(imported)
	if expected := slices.Sorted(slices.Values(want)); !slices.Equal(imported, expected) {
		resp.Error = fmt.Errorf("the plan imports %q, want %q", imported, expected)
	}
}

func TestAccTagsDataSource_bulkImportWithForEach(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{Tags: []string{"VIP", "老客户", "双11活动"}})
	name := tfjsonpath.New("name")

	resource.ParallelTest(t, resource.TestCase{
		// for_each in import blocks came with Terraform 1.7.
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_7_0)},
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				// Without the filter, the import of the starred system tag is refused at
				// plan time, before anything is imported.
				Config:      bulkImportConfig(m, ""),
				PlanOnly:    true,
				ExpectError: expectError(`System tag cannot be imported.*Tag 2 is a WeChat system tag`),
			},
			{
				// With it, the plan imports the account's three tags and creates nothing.
				Config: bulkImportConfig(m, "if !t.system"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{expectOnlyImports{
						`wechat_tag.imported["100"]`, `wechat_tag.imported["101"]`, `wechat_tag.imported["102"]`,
					}},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(`wechat_tag.imported["100"]`, name, knownvalue.StringExact("VIP")),
					statecheck.ExpectKnownValue(`wechat_tag.imported["101"]`, name, knownvalue.StringExact("老客户")),
					statecheck.ExpectKnownValue(`wechat_tag.imported["102"]`, name, knownvalue.StringExact("双11活动")),
					statecheck.ExpectKnownValue(`wechat_tag.imported["102"]`, tfjsonpath.New("id"), knownvalue.Int64Exact(102)),
				},
			},
			{
				// The import blocks stay: the tags already in state are left alone, and a
				// tag created in the WeChat console meanwhile is imported by the next plan.
				PreConfig: func() { m.mustCreateTag(t, "新客户") },
				Config:    bulkImportConfig(m, "if !t.system"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{expectOnlyImports{`wechat_tag.imported["103"]`}},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(`wechat_tag.imported["103"]`, name, knownvalue.StringExact("新客户")),
				},
			},
			{
				// Dropping the resources from the configuration destroys the imported tags.
				// The test destroys them here rather than through CheckDestroy because the
				// testing framework's legacy state reader cannot read for_each keys.
				Config: m.providerConfig(),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(`wechat_tag.imported["100"]`, plancheck.ResourceActionDestroy),
						plancheck.ExpectResourceAction(`wechat_tag.imported["103"]`, plancheck.ResourceActionDestroy),
					},
				},
				Check: func(*terraform.State) error {
					if tags := m.Tags(); len(tags) != 1 || tags[0].ID != 2 {
						return fmt.Errorf("after destroy the account has tags %v, want only the starred system tag", tags)
					}
					return nil
				},
			},
		},
	})
	if calls := m.CallCount("/cgi-bin/tags/create"); calls != 0 {
		t.Errorf("the bulk import made %d tags/create calls, want none", calls)
	}
}
