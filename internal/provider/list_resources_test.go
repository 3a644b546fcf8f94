package provider

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck/queryfilter"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

// List resources and `terraform query` arrived in Terraform 1.14; OpenTofu 1.12 has no
// query command.
var queryCLIs = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)}

// callsOfQuery checks that the query called the WeChat API path so many times, counted
// since the mock's counters were last reset.
type callsOfQuery struct {
	mock  *testMock
	path  string
	calls int
}

func (c callsOfQuery) CheckQuery(_ context.Context, _ querycheck.CheckQueryRequest, resp *querycheck.CheckQueryResponse) {
	resp.Error = c.mock.expectCalls(c.path, c.calls)
}

// byTagID picks the result of the tag id from a query of wechat_tag.
func byTagID(id int64) queryfilter.QueryFilter {
	return queryfilter.ByResourceIdentity(map[string]knownvalue.Check{"id": knownvalue.Int64Exact(id)})
}

// byMembersTagID picks the result of the tag id from a query of wechat_tag_members.
func byMembersTagID(id int64) queryfilter.QueryFilter {
	return queryfilter.ByResourceIdentity(map[string]knownvalue.Check{"tag_id": knownvalue.Int64Exact(id)})
}

// byOpenID picks the result of the follower from a query of wechat_user_tags.
func byOpenID(openid string) queryfilter.QueryFilter {
	return queryfilter.ByResourceIdentity(map[string]knownvalue.Check{"openid": knownvalue.StringExact(openid)})
}

func TestAccTagList_query(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{})
	old := m.mustCreateTag(t, "老客户")
	campaignA := m.mustCreateTag(t, "campaign-a")
	campaignB := m.mustCreateTag(t, "campaign-b")

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   queryCLIs,
		CheckDestroy:             checkTagsDestroyed(m),
		Steps: []resource.TestStep{
			{
				// A tag Terraform manages already is listed as well.
				Config: m.providerConfig("max_retries = 0") + `
resource "wechat_tag" "managed" {
  name = "managed"
}
`,
			},
			{
				Query: true,
				Config: `
list "wechat_tag" "all" {
  provider         = wechat
  include_resource = true
}

list "wechat_tag" "campaigns" {
  provider = wechat
  config {
    name_prefix = "campaign-"
  }
}
`,
				QueryResultChecks: []querycheck.QueryResultCheck{
					// The starred system tag is left out: wechat_tag cannot manage it.
					querycheck.ExpectLength("wechat_tag.all", 4),
					querycheck.ExpectIdentity("wechat_tag.all", map[string]knownvalue.Check{"id": knownvalue.Int64Exact(old.ID)}),
					querycheck.ExpectIdentity("wechat_tag.all", map[string]knownvalue.Check{"id": knownvalue.Int64Exact(campaignB.ID + 1)}),
					querycheck.ExpectResourceDisplayName("wechat_tag.all", byTagID(old.ID), knownvalue.StringExact(fmt.Sprintf("老客户 (id %d)", old.ID))),
					querycheck.ExpectResourceKnownValues("wechat_tag.all", byTagID(campaignB.ID+1), []querycheck.KnownValueCheck{
						{Path: tfjsonpath.New("name"), KnownValue: knownvalue.StringExact("managed")},
						{Path: tfjsonpath.New("id"), KnownValue: knownvalue.Int64Exact(campaignB.ID + 1)},
					}),
					querycheck.ExpectLength("wechat_tag.campaigns", 2),
					querycheck.ExpectIdentity("wechat_tag.campaigns", map[string]knownvalue.Check{"id": knownvalue.Int64Exact(campaignA.ID)}),
					querycheck.ExpectIdentity("wechat_tag.campaigns", map[string]knownvalue.Check{"id": knownvalue.Int64Exact(campaignB.ID)}),
					querycheck.ExpectNoIdentity("wechat_tag.campaigns", map[string]knownvalue.Check{"id": knownvalue.Int64Exact(old.ID)}),
				},
			},
			{
				// The query read the account's tags once, for both list blocks.
				PreConfig: func() { m.ResetCalls() },
				Query:     true,
				Config: `
list "wechat_tag" "all" {
  provider = wechat
}

list "wechat_tag" "none" {
  provider = wechat
  config {
    name_prefix = "nothing-has-this-prefix"
  }
}
`,
				QueryResultChecks: []querycheck.QueryResultCheck{
					querycheck.ExpectLength("wechat_tag.all", 4),
					querycheck.ExpectLength("wechat_tag.none", 0),
					callsOfQuery{m, "/cgi-bin/tags/get", 1},
				},
			},
			{
				// A busy service with no retries left fails the query: it never reads as an
				// account without tags.
				PreConfig: func() { must(t, m.FailNext("/cgi-bin/tags/get", -1)) },
				Query:     true,
				Config: `
list "wechat_tag" "all" {
  provider = wechat
}
`,
				ExpectError: expectError(`Unable to list the tags.*errcode -1`),
			},
		},
	})
}

func TestAccUserTagsList_query(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{})
	vip := m.mustCreateTag(t, "VIP")
	north := m.mustCreateTag(t, "北方")
	must(t, m.TagUser(m.follower(0), vip.ID))
	must(t, m.TagUser(m.follower(1), vip.ID))
	must(t, m.TagUser(m.follower(1), north.ID))
	must(t, m.TagUser(m.follower(2), north.ID))

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   queryCLIs,
		Steps: []resource.TestStep{
			{Config: m.providerConfig("max_retries = 0")},
			{
				PreConfig: func() { m.ResetCalls() },
				Query:     true,
				Config: fmt.Sprintf(`
list "wechat_user_tags" "vip" {
  provider         = wechat
  include_resource = true
  config {
    tag_id = %d
  }
}
`, vip.ID),
				QueryResultChecks: []querycheck.QueryResultCheck{
					querycheck.ExpectLength("wechat_user_tags.vip", 2),
					querycheck.ExpectIdentity("wechat_user_tags.vip", map[string]knownvalue.Check{"openid": knownvalue.StringExact(m.follower(0))}),
					querycheck.ExpectResourceDisplayName("wechat_user_tags.vip", byOpenID(m.follower(1)), knownvalue.StringExact(m.follower(1))),
					// Each result holds all the follower's tags, as an import would.
					querycheck.ExpectResourceKnownValues("wechat_user_tags.vip", byOpenID(m.follower(1)), []querycheck.KnownValueCheck{
						{Path: tfjsonpath.New("openid"), KnownValue: knownvalue.StringExact(m.follower(1))},
						{Path: tfjsonpath.New("tag_ids"), KnownValue: knownvalue.SetExact([]knownvalue.Check{
							knownvalue.Int64Exact(vip.ID), knownvalue.Int64Exact(north.ID),
						})},
						{Path: tfjsonpath.New("exclusive"), KnownValue: knownvalue.Bool(false)},
					}),
					callsOfQuery{m, "/cgi-bin/tags/getidlist", 2},
				},
			},
			{
				Query: true,
				Config: `
list "wechat_user_tags" "missing" {
  provider = wechat
  config {
    tag_id = 999
  }
}
`,
				ExpectError: expectError(`Tag not found.*no tag with id 999`),
			},
			{
				Query: true,
				Config: `
list "wechat_user_tags" "blacklist" {
  provider = wechat
  config {
    tag_id = 1
  }
}
`,
				ExpectError: expectError(`System tag cannot be listed.*Tag id 1 is a WeChat system tag`),
			},
			{
				// A follower's tags that cannot be read fail the query, rather than list the
				// follower without them.
				PreConfig: func() { must(t, m.FailNext("/cgi-bin/tags/getidlist", -1)) },
				Query:     true,
				Config: fmt.Sprintf(`
list "wechat_user_tags" "vip" {
  provider         = wechat
  include_resource = true
  config {
    tag_id = %d
  }
}
`, vip.ID),
				ExpectError: expectError(`errcode -1`),
			},
		},
	})
}

func TestAccTagMembersList_query(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{})
	vip := m.mustCreateTag(t, "VIP")
	empty := m.mustCreateTag(t, "empty")
	members := []string{m.follower(0), m.follower(3)}
	slices.Sort(members)
	for _, openid := range members {
		must(t, m.TagUser(openid, vip.ID))
	}
	must(t, m.TagUser(m.follower(1), 2))

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   queryCLIs,
		Steps: []resource.TestStep{
			{Config: m.providerConfig("max_retries = 0")},
			{
				PreConfig: func() { m.ResetCalls() },
				Query:     true,
				Config: `
list "wechat_tag_members" "all" {
  provider = wechat
}
`,
				QueryResultChecks: []querycheck.QueryResultCheck{
					// One result per user tag, the starred system tag left out; without the
					// resources, one tags/get is all it costs.
					querycheck.ExpectLength("wechat_tag_members.all", 2),
					querycheck.ExpectIdentity("wechat_tag_members.all", map[string]knownvalue.Check{"tag_id": knownvalue.Int64Exact(vip.ID)}),
					querycheck.ExpectResourceDisplayName("wechat_tag_members.all", byMembersTagID(empty.ID), knownvalue.StringExact(fmt.Sprintf("empty (id %d)", empty.ID))),
					callsOfQuery{m, "/cgi-bin/tags/get", 1},
					callsOfQuery{m, "/cgi-bin/user/tag/get", 0},
				},
			},
			{
				Query: true,
				Config: `
list "wechat_tag_members" "all" {
  provider         = wechat
  include_resource = true
}
`,
				QueryResultChecks: []querycheck.QueryResultCheck{
					querycheck.ExpectResourceKnownValues("wechat_tag_members.all", byMembersTagID(vip.ID), []querycheck.KnownValueCheck{
						{Path: tfjsonpath.New("tag_id"), KnownValue: knownvalue.Int64Exact(vip.ID)},
						// Sorted, as an import adopts them.
						{Path: tfjsonpath.New("openids"), KnownValue: knownvalue.ListExact([]knownvalue.Check{
							knownvalue.StringExact(members[0]), knownvalue.StringExact(members[1]),
						})},
						{Path: tfjsonpath.New("openids_file"), KnownValue: knownvalue.Null()},
						{Path: tfjsonpath.New("exclusive"), KnownValue: knownvalue.Bool(false)},
					}),
					querycheck.ExpectResourceKnownValues("wechat_tag_members.all", byMembersTagID(empty.ID), []querycheck.KnownValueCheck{
						{Path: tfjsonpath.New("openids"), KnownValue: knownvalue.ListExact([]knownvalue.Check{})},
					}),
				},
			},
			{
				// A tag's followers that cannot be read fail the query, rather than list the
				// tag as empty.
				PreConfig: func() { must(t, m.FailNext("/cgi-bin/user/tag/get", -1)) },
				Query:     true,
				Config: `
list "wechat_tag_members" "all" {
  provider         = wechat
  include_resource = true
}
`,
				ExpectError: expectError(`errcode -1`),
			},
		},
	})
}

// With openids_file_from, a query writes the followers of each tag that has that many to
// openids/<tag id>.txt, relative to the directory it runs in, and the result names that
// file in openids_file; the import of such a block adopts the followers into the file and
// plans no change. Not parallel: the provider runs in this process, in its directory.
func TestAccTagMembersList_queryWritesBigTagsToFilesThatTheImportAdopts(t *testing.T) {
	t.Chdir(t.TempDir())
	m := newTestMock(t, mockwechat.Config{})
	vip := m.mustCreateTag(t, "VIP")
	small := m.mustCreateTag(t, "small")
	members := []string{m.follower(0), m.follower(3)}
	slices.Sort(members)
	for _, openid := range members {
		must(t, m.TagUser(openid, vip.ID))
	}
	must(t, m.TagUser(m.follower(1), small.ID))
	vipFile := fmt.Sprintf("openids/%d.txt", vip.ID)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   queryCLIs,
		Steps: []resource.TestStep{
			{Config: m.providerConfig("max_retries = 0")},
			{
				Query: true,
				Config: `
list "wechat_tag_members" "all" {
  provider         = wechat
  include_resource = true
  config {
    openids_file_from = 2
  }
}
`,
				QueryResultChecks: []querycheck.QueryResultCheck{
					querycheck.ExpectResourceKnownValues("wechat_tag_members.all", byMembersTagID(vip.ID), []querycheck.KnownValueCheck{
						{Path: tfjsonpath.New("openids_file"), KnownValue: knownvalue.StringExact(vipFile)},
						{Path: tfjsonpath.New("openids"), KnownValue: knownvalue.Null()},
						{Path: tfjsonpath.New("openids_count"), KnownValue: knownvalue.Int64Exact(2)},
						{Path: tfjsonpath.New("openids_sha256"), KnownValue: knownvalue.StringExact(membersDigest(members))},
					}),
					querycheck.ExpectResourceKnownValues("wechat_tag_members.all", byMembersTagID(small.ID), []querycheck.KnownValueCheck{
						{Path: tfjsonpath.New("openids"), KnownValue: knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact(m.follower(1))})},
						{Path: tfjsonpath.New("openids_file"), KnownValue: knownvalue.Null()},
					}),
				},
			},
			{
				// The block the query's result generates, imported by identity.
				Config: m.providerConfig("max_retries = 0") + importByIdentity("wechat_tag_members.vip", fmt.Sprintf("{ tag_id = %d }", vip.ID), fmt.Sprintf(`
resource "wechat_tag_members" "vip" {
  tag_id       = %d
  openids_file = %q
  exclusive    = false
}
`, vip.ID, vipFile)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("wechat_tag_members.vip", plancheck.ResourceActionNoop)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("wechat_tag_members.vip", tfjsonpath.New("openids_count"), knownvalue.Int64Exact(2)),
					statecheck.ExpectKnownValue("wechat_tag_members.vip", tfjsonpath.New("openids"), knownvalue.Null()),
				},
			},
		},
	})
}
