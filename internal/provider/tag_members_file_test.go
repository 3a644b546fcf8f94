package provider

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

// membersFile is an openids_file in a test's own directory. The provider runs inside the
// test process, so the configuration gives it an absolute path.
type membersFile string

func newMembersFile(t *testing.T) membersFile {
	return membersFile(filepath.Join(t.TempDir(), "members.txt"))
}

// lines writes openids one a line, with a comment and a blank line the reader skips.
func (f membersFile) lines(t *testing.T, openids ...string) {
	t.Helper()
	must(t, os.WriteFile(string(f), []byte("# members\n\n"+strings.Join(openids, "\n")+"\n"), 0o600))
}

// json writes openids as jsonencode would.
func (f membersFile) json(t *testing.T, openids ...string) {
	t.Helper()
	raw, err := json.Marshal(openids)
	must(t, err)
	must(t, os.WriteFile(string(f), raw, 0o600))
}

func tagMembersFileConfig(m *testMock, file membersFile, exclusive bool) string {
	return m.providerConfig() + fmt.Sprintf(`
resource "wechat_tag_members" "vip" {
  tag_id       = 100
  openids_file = %q
  exclusive    = %t
}
`, file, exclusive)
}

// expectFileMembers proves the state records openids as the followers managed, by digest
// and count, and holds no openids list.
func expectFileMembers(openids ...string) []statecheck.StateCheck {
	const address = "wechat_tag_members.vip"
	return []statecheck.StateCheck{
		statecheck.ExpectKnownValue(address, tfjsonpath.New("openids_sha256"), knownvalue.StringExact(membersDigest(openids))),
		statecheck.ExpectKnownValue(address, tfjsonpath.New("openids_count"), knownvalue.Int64Exact(int64(len(openids)))),
		statecheck.ExpectKnownValue(address, tfjsonpath.New("openids"), knownvalue.Null()),
	}
}

func TestAccTagMembersFile_lifecycle(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{Tags: []string{"VIP"}, PageSize: 2})
	f := sortedFollowers(m, 5)
	campaign := f[4]
	must(t, m.TagUser(campaign, 100))
	file := newMembersFile(t)
	file.lines(t, f[0], f[1])

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		// Destroy untags the followers the resource manages, and no one else: not the
		// campaign's, nor f[0], who left the file and was tagged again outside Terraform.
		CheckDestroy: checkTagMembers(m, 100, f[0], campaign),
		Steps: []resource.TestStep{
			{
				Config:            tagMembersFileConfig(m, file, false),
				ConfigStateChecks: expectFileMembers(f[0], f[1]),
				Check:             checkTagMembers(m, 100, f[0], f[1], campaign),
			},
			{
				// The file changes, now as JSON: one follower out, two in, in two calls.
				PreConfig: func() {
					file.json(t, f[3], f[1], f[2])
					m.ResetCalls()
				},
				Config:            tagMembersFileConfig(m, file, false),
				ConfigPlanChecks:  plans("wechat_tag_members.vip", plancheck.ResourceActionUpdate),
				ConfigStateChecks: expectFileMembers(f[1], f[2], f[3]),
				Check: resource.ComposeTestCheckFunc(
					checkTagMembers(m, 100, f[1], f[2], f[3], campaign),
					checkCalls(m, map[string]int{pathTagging: 1, pathUntagging: 1}),
				),
			},
			{
				// A member untagged outside Terraform is drift: the plan shows it, the
				// apply tags the follower again. The campaign's member stays alone.
				PreConfig:         func() { must(t, m.UntagUser(f[2], 100)) },
				Config:            tagMembersFileConfig(m, file, false),
				ConfigPlanChecks:  plans("wechat_tag_members.vip", plancheck.ResourceActionUpdate),
				ConfigStateChecks: expectFileMembers(f[1], f[2], f[3]),
				Check:             checkTagMembers(m, 100, f[1], f[2], f[3], campaign),
			},
			{
				PreConfig:        func() { must(t, m.TagUser(f[0], 100)) },
				Config:           tagMembersFileConfig(m, file, false),
				ConfigPlanChecks: plansNothing(),
				Check:            checkTagMembers(m, 100, f[0], f[1], f[2], f[3], campaign),
			},
		},
	})
}

func TestAccTagMembersFile_exclusive(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{Tags: []string{"VIP"}, PageSize: 2})
	f := sortedFollowers(m, 4)
	must(t, m.TagUser(f[3], 100))
	file := newMembersFile(t)
	file.lines(t, f[0], f[1])

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkTagMembers(m, 100),
		Steps: []resource.TestStep{
			{
				// Created exclusive: the member the tag had before is untagged.
				Config:            tagMembersFileConfig(m, file, true),
				ConfigStateChecks: expectFileMembers(f[0], f[1]),
				Check:             checkTagMembers(m, 100, f[0], f[1]),
			},
			{
				// A follower tagged outside Terraform is drift, and loses the tag.
				PreConfig: func() { must(t, m.TagUser(f[2], 100)) },
				Config:    tagMembersFileConfig(m, file, true),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("wechat_tag_members.vip", plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue("wechat_tag_members.vip", tfjsonpath.New("openids_count"), knownvalue.Int64Exact(2)),
				}},
				ConfigStateChecks: expectFileMembers(f[0], f[1]),
				Check:             checkTagMembers(m, 100, f[0], f[1]),
			},
			{
				// A member untagged outside Terraform is drift too.
				PreConfig:         func() { must(t, m.UntagUser(f[0], 100)) },
				Config:            tagMembersFileConfig(m, file, true),
				ConfigPlanChecks:  plans("wechat_tag_members.vip", plancheck.ResourceActionUpdate),
				ConfigStateChecks: expectFileMembers(f[0], f[1]),
				Check:             checkTagMembers(m, 100, f[0], f[1]),
			},
			{Config: tagMembersFileConfig(m, file, true), ConfigPlanChecks: plansNothing()},
		},
	})
}

// A configuration moves between openids and openids_file without a single batch call,
// and an imported tag, whose state holds openids, moves to a file the same way.
func TestAccTagMembersFile_movesFromAndToOpenIDs(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{Tags: []string{"VIP"}})
	f := sortedFollowers(m, 3)
	file := newMembersFile(t)
	file.lines(t, f...)
	noBatchCalls := checkCalls(m, map[string]int{pathTagging: 0, pathUntagging: 0})

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkTagMembers(m, 100),
		Steps: []resource.TestStep{
			{Config: tagMembersResourceConfig(m, "100", f, false)},
			{
				PreConfig:         m.ResetCalls,
				Config:            tagMembersFileConfig(m, file, false),
				ConfigPlanChecks:  plans("wechat_tag_members.vip", plancheck.ResourceActionUpdate),
				ConfigStateChecks: expectFileMembers(f...),
				Check:             resource.ComposeTestCheckFunc(noBatchCalls, checkTagMembers(m, 100, f...)),
			},
			{Config: tagMembersFileConfig(m, file, false), ConfigPlanChecks: plansNothing()},
			{
				// An import block adopts every member into openids; the plan moves them
				// into the file, changing no follower.
				ResourceName:       "wechat_tag_members.vip",
				ImportState:        true,
				ImportStateKind:    resource.ImportBlockWithID,
				ImportStateId:      "100",
				ExpectNonEmptyPlan: true,
				ImportPlanChecks: resource.ImportPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("wechat_tag_members.vip", plancheck.ResourceActionUpdate),
					expectPriorListSize{"wechat_tag_members.vip", "openids", 3},
					plancheck.ExpectKnownValue("wechat_tag_members.vip", tfjsonpath.New("openids_count"), knownvalue.Int64Exact(3)),
				}},
			},
			{
				PreConfig: m.ResetCalls,
				Config:    tagMembersResourceConfig(m, "100", f, false),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("wechat_tag_members.vip", tfjsonpath.New("openids"), expectOpenIDs(f...)),
					statecheck.ExpectKnownValue("wechat_tag_members.vip", tfjsonpath.New("openids_sha256"), knownvalue.Null()),
				},
				Check: resource.ComposeTestCheckFunc(noBatchCalls, checkTagMembers(m, 100, f...)),
			},
		},
	})
}

func TestAccTagMembersFile_badInputFailsThePlan(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{Tags: []string{"VIP"}})
	follower := m.follower(0)
	write := func(t *testing.T, content string) membersFile {
		file := newMembersFile(t)
		must(t, os.WriteFile(string(file), []byte(content), 0o600))
		return file
	}
	cases := map[string]struct {
		config func(t *testing.T) string
		error  string
	}{
		"both openids and openids_file": {func(t *testing.T) string {
			return strings.Replace(tagMembersFileConfig(m, write(t, follower), false), "exclusive", fmt.Sprintf("openids = [%q]\n  exclusive", follower), 1)
		}, `Exactly one of these attributes must be configured: \[openids,openids_file\]`},
		"neither": {func(*testing.T) string {
			return m.providerConfig() + "resource \"wechat_tag_members\" \"vip\" {\n  tag_id = 100\n}\n"
		}, `Exactly one of these attributes must be configured`},
		"a file that does not exist": {func(t *testing.T) string {
			return tagMembersFileConfig(m, membersFile(filepath.Join(t.TempDir(), "missing.txt")), false)
		}, `Unable to read openids_file.*openids_file = .*missing.txt.*failed: no such file or directory.*path.module`},
		"an openid with a space, on line 2": {func(t *testing.T) string {
			return tagMembersFileConfig(m, write(t, follower+"\noAbc def\n"), false)
		}, `Invalid openid in openids_file.*line 2: "oAbc def" is not shaped like a WeChat openid`},
		"an openid listed twice": {func(t *testing.T) string {
			return tagMembersFileConfig(m, write(t, follower+"\n\n"+follower+"\n"), false)
		}, fmt.Sprintf(`lists %q twice, at line 1 and line 3`, follower)},
		"JSON that is not a list of strings": {func(t *testing.T) string {
			return tagMembersFileConfig(m, write(t, `[1, 2]`), false)
		}, `is not a list of openids.*one openid a line, or a JSON array of strings`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config: tc.config(t), PlanOnly: true, ExpectError: expectError(tc.error),
					Check: checkCalls(m, map[string]int{pathTagging: 0, pathUntagging: 0}),
				}},
			})
		})
	}
}

// A state written before openids_file existed has no openids_file, openids_sha256 or
// openids_count; the framework upgrades it as it stands, with the three null.
func TestTagMembersStateFromBeforeOpenIDsFileUpgrades(t *testing.T) {
	server, err := providerserver.NewProtocol6WithError(New("test")())()
	must(t, err)
	const before = `{"tag_id":100,"openids":["oFollower000000000000000001"],"exclusive":false}`
	resp, err := server.UpgradeResourceState(t.Context(), &tfprotov6.UpgradeResourceStateRequest{
		TypeName: "wechat_tag_members",
		Version:  0,
		RawState: &tfprotov6.RawState{JSON: []byte(before)},
	})
	must(t, err)
	if len(resp.Diagnostics) > 0 {
		t.Fatalf("diagnostics: %v", resp.Diagnostics[0])
	}
	schema := tagMembersObjectType(t, server)
	value, err := resp.UpgradedState.Unmarshal(schema)
	must(t, err)
	var attrs map[string]tftypes.Value
	must(t, value.As(&attrs))
	for _, name := range []string{"openids_file", "openids_sha256", "openids_count"} {
		if !attrs[name].IsNull() {
			t.Errorf("%s = %v, want null", name, attrs[name])
		}
	}
	var openids []tftypes.Value
	must(t, attrs["openids"].As(&openids))
	if len(openids) != 1 {
		t.Errorf("openids = %v, want the one openid the state held", openids)
	}
}

func tagMembersObjectType(t *testing.T, server tfprotov6.ProviderServer) tftypes.Type {
	t.Helper()
	schemas, err := server.GetProviderSchema(t.Context(), &tfprotov6.GetProviderSchemaRequest{})
	must(t, err)
	return schemas.ResourceSchemas["wechat_tag_members"].ValueType()
}
