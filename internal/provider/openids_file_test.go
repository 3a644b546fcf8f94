package provider

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "members")
	must(t, os.WriteFile(name, []byte(content), 0o600))
	return name
}

func TestReadOpenIDsFile(t *testing.T) {
	o := mockwechat.GenerateOpenIDs(3, 9)
	sorted := slices.Sorted(slices.Values(o))
	tests := []struct {
		name, content string
		want          []string
		wantError     []string
	}{
		{"lines, comments and blanks", "# VIP\n\n" + o[2] + "\n  " + o[0] + "  \r\n" + o[1], sorted, nil},
		{"a JSON array", `  ["` + o[1] + `","` + o[0] + `","` + o[2] + `"]`, sorted, nil},
		{"an empty file", "", nil, nil},
		{"a bad openid names its line", o[0] + "\n\noAbc def\n", nil, []string{"line 3", `"oAbc def" is not shaped like a WeChat openid`}},
		{"a repeat names both lines", o[0] + "\n" + o[1] + "\n" + o[0], nil, []string{"twice, at line 1 and line 3"}},
		{"a bad JSON element names its index", `["` + o[0] + `", "x"]`, nil, []string{"element 1 (counting from 0)"}},
		{"JSON of numbers", `[1]`, nil, []string{"is not a list of openids"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var diags diag.Diagnostics
			got := readOpenIDsFile(writeFile(t, tt.content), &diags)
			if tt.wantError == nil {
				expectNoDiagnostics(t, diags)
				if !slices.Equal(got, tt.want) {
					t.Errorf("openids = %v, want %v", got, tt.want)
				}
				return
			}
			expectAttribute(t, diags, "openids_file")
			for _, want := range tt.wantError {
				if !strings.Contains(diags.Errors()[0].Detail(), want) {
					t.Errorf("detail %q does not say %q", diags.Errors()[0].Detail(), want)
				}
			}
		})
	}
	t.Run("a file of bad openids reports a bounded number of them", func(t *testing.T) {
		var diags diag.Diagnostics
		readOpenIDsFile(writeFile(t, strings.Repeat("bad\n", 1000)), &diags)
		if n := len(diags.Errors()); n != maxNamedFollowers {
			t.Errorf("%d errors, want %d", n, maxNamedFollowers)
		}
	})
}

func TestMembersDigestIgnoresOrder(t *testing.T) {
	o := mockwechat.GenerateOpenIDs(3, 9)
	if membersDigest(o) != membersDigest([]string{o[2], o[0], o[1]}) {
		t.Error("the digest depends on the order")
	}
	if membersDigest(o) == membersDigest(o[:2]) {
		t.Error("two memberships share a digest")
	}
	// The digest of no follower is that of an empty input: sha256("").
	if got := membersDigest(nil); got != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("digest of no follower = %s", got)
	}
}

func fileMembers(tagID int64, exclusive bool, file string) tagMembersModel {
	m := tagMembers(tagID, exclusive)
	m.OpenIDs, m.OpenIDsFile = types.ListNull(types.StringType), types.StringValue(file)
	m.OpenIDsSHA256, m.OpenIDsCount = types.StringUnknown(), types.Int64Unknown()
	return m
}

func TestRecordMembersMovesTheListBetweenStateAndPrivate(t *testing.T) {
	o := mockwechat.GenerateOpenIDs(3, 9)
	private := &memoryPrivate{keys: map[string][]byte{}}
	var diags diag.Diagnostics

	inFile := fileMembers(100, false, "members.txt")
	recordMembers(t.Context(), &inFile, o, private, &diags)
	expectNoDiagnostics(t, diags)
	if !inFile.OpenIDs.IsNull() || inFile.OpenIDsCount.ValueInt64() != 3 || inFile.OpenIDsSHA256.ValueString() != membersDigest(o) {
		t.Errorf("file mode records %v", inFile)
	}
	if got := priorOpenIDs(t.Context(), inFile, private); !slices.Equal(got, slices.Sorted(slices.Values(o))) {
		t.Errorf("prior in file mode = %v, want the openids, sorted", got)
	}

	inList := tagMembers(100, false)
	recordMembers(t.Context(), &inList, o[:1], private, &diags)
	expectNoDiagnostics(t, diags)
	if got := openIDsOf(inList.OpenIDs); !slices.Equal(got, o[:1]) || !inList.OpenIDsSHA256.IsNull() || !inList.OpenIDsCount.IsNull() {
		t.Errorf("list mode records %v", inList)
	}
	if _, ok := managedOf(t.Context(), private); ok {
		t.Error("private still records the followers the list now holds")
	}
}

func TestDesiredOpenIDsRefusesAFileChangedAfterThePlan(t *testing.T) {
	o := mockwechat.GenerateOpenIDs(2, 9)
	plan := fileMembers(100, false, writeFile(t, o[0]+"\n"+o[1]))
	plan.OpenIDsSHA256 = types.StringValue(membersDigest(o[:1]))
	var diags diag.Diagnostics
	if _, ok := desiredOpenIDs(plan, &diags); ok {
		t.Fatal("a file that changed after the plan was applied")
	}
	expectDiagnostic(t, diags, "openids_file changed after the plan", "nothing was changed", "Plan again")

	plan.OpenIDsSHA256 = types.StringValue(membersDigest(o))
	diags = nil
	if got, ok := desiredOpenIDs(plan, &diags); !ok || !slices.Equal(got, slices.Sorted(slices.Values(o))) {
		t.Errorf("desiredOpenIDs = %v, %v (%v)", got, ok, diags)
	}
}

func TestTagMembersPlanOfAFileNamesWhatChanges(t *testing.T) {
	o := mockwechat.GenerateOpenIDs(4, 9)
	api := newFakeWechat(o...)
	api.tags[100] = "VIP"
	api.give(o[2], 100)
	api.give(o[3], 100)
	r := &TagMembersResource{client: api}

	t.Run("a new exclusive resource reads the members and names both kinds", func(t *testing.T) {
		resp := modifyPlan(t, r, nil, fileMembers(100, true, writeFile(t, o[0]+"\n"+o[2])))
		expectNoDiagnostics(t, resp.Diagnostics)
		var planned tagMembersModel
		expectNoDiagnostics(t, resp.Plan.Get(t.Context(), &planned))
		if planned.OpenIDsCount.ValueInt64() != 2 || planned.OpenIDsSHA256.ValueString() != membersDigest([]string{o[0], o[2]}) {
			t.Errorf("planned count %v, digest %v", planned.OpenIDsCount, planned.OpenIDsSHA256)
		}
		expectWarning(t, resp.Diagnostics, "Followers the apply changes", `gives tag 100 to 1 follower: "`+o[0]+`"`, `takes tag 100 from 1 follower: "`+o[3]+`"`)
	})
	t.Run("a state in list mode is the prior of a move to a file", func(t *testing.T) {
		resp := modifyPlan(t, r, ptr(tagMembers(100, false, o[2], o[3])), fileMembers(100, false, writeFile(t, o[2]+"\n"+o[3]+"\n"+o[1])))
		expectNoDiagnostics(t, resp.Diagnostics)
		expectWarning(t, resp.Diagnostics, "Followers the apply changes", `gives tag 100 to 1 follower: "`+o[1]+`"`)
		if strings.Contains(resp.Diagnostics.Warnings()[0].Detail(), "takes") {
			t.Error("the warning says the apply takes the tag from someone")
		}
	})
	t.Run("the same followers moved to a file warn of nothing", func(t *testing.T) {
		resp := modifyPlan(t, r, ptr(tagMembers(100, false, o[2], o[3])), fileMembers(100, false, writeFile(t, o[3]+"\n"+o[2])))
		if len(resp.Diagnostics) != 0 {
			t.Errorf("diagnostics = %v, want none", resp.Diagnostics)
		}
	})
	t.Run("a bad file fails the plan before any read", func(t *testing.T) {
		before := api.callsOf("user/tag/get")
		resp := modifyPlan(t, r, nil, fileMembers(100, true, writeFile(t, "bad")))
		expectDiagnostic(t, resp.Diagnostics, "Invalid openid in openids_file", "line 1")
		if api.callsOf("user/tag/get") != before {
			t.Error("the plan read the members of a tag it refused")
		}
	})
}

// expectWarning fails unless diags holds exactly one warning, with summary and a detail
// containing each of details.
func expectWarning(t *testing.T, diags diag.Diagnostics, summary string, details ...string) {
	t.Helper()
	warnings := diags.Warnings()
	if len(warnings) != 1 || warnings[0].Summary() != summary {
		t.Fatalf("warnings = %v, want one %q", warnings, summary)
	}
	for _, d := range details {
		if !strings.Contains(warnings[0].Detail(), d) {
			t.Errorf("detail %q does not contain %q", warnings[0].Detail(), d)
		}
	}
}

func TestPackedOpenIDsRoundTrip(t *testing.T) {
	for _, openids := range [][]string{nil, mockwechat.GenerateOpenIDs(1, 9), mockwechat.GenerateOpenIDs(1000, 9)} {
		got, err := unpackOpenIDs(packOpenIDs(openids))
		must(t, err)
		if want := slices.Sorted(slices.Values(openids)); !slices.Equal(got, want) || got == nil {
			t.Errorf("%d openids came back as %d (nil: %v)", len(openids), len(got), got == nil)
		}
	}
}
