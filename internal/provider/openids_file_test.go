package provider

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
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
	recordMembers(t.Context(), &inFile, o, recordsOf(private, private), &diags)
	expectNoDiagnostics(t, diags)
	if !inFile.OpenIDs.IsNull() || inFile.OpenIDsCount.ValueInt64() != 3 || inFile.OpenIDsSHA256.ValueString() != membersDigest(o) {
		t.Errorf("file mode records %v", inFile)
	}
	if got, err := managedFollowers(t.Context(), inFile, recordsOf(private, private)); err != nil || !slices.Equal(got, slices.Sorted(slices.Values(o))) {
		t.Errorf("managed in file mode = %v (%v), want the openids, sorted", got, err)
	}

	inList := tagMembers(100, false)
	recordMembers(t.Context(), &inList, o[:1], recordsOf(private, private), &diags)
	expectNoDiagnostics(t, diags)
	if got := openIDsOf(inList.OpenIDs); !slices.Equal(got, o[:1]) || !inList.OpenIDsSHA256.IsNull() || !inList.OpenIDsCount.IsNull() {
		t.Errorf("list mode records %v", inList)
	}
	if raw := private.keys[managedKey]; raw != nil {
		t.Errorf("private still records the followers the list now holds: %s", raw)
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

// inFileState is the state of a wechat_tag_members in file mode that manages openids.
func inFileState(tagID int64, exclusive bool, file string, openids []string) tagMembersModel {
	m := fileMembers(tagID, exclusive, file)
	m.ID = types.StringValue(fmt.Sprint(tagID))
	m.OpenIDsSHA256, m.OpenIDsCount = types.StringValue(membersDigest(openids)), types.Int64Value(int64(len(openids)))
	return m
}

func TestManagedFollowersAreRebuiltOnlyFromProof(t *testing.T) {
	o := mockwechat.GenerateOpenIDs(12, 9)
	managed := slices.Sorted(slices.Values(o))
	packed := func(openids []string) []byte {
		raw, err := json.Marshal(packOpenIDs(openids))
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	tests := []struct {
		name   string
		record []byte // nil for none
		file   []string
		// want is nil when the record must be refused, with wantProblem.
		want        []string
		wantProblem string
	}{
		{name: "the record that matches the state", record: packed(o), file: o[:1], want: managed},
		{name: "missing, the file lists the state's followers", file: o, want: managed},
		{name: "missing, the file lists others", file: o[:11], wantProblem: "is missing"},
		{name: "damaged, the file lists others", record: []byte(`"not gzip"`), file: o[:1], wantProblem: "does not parse"},
		{name: "another list, the file lists others", record: packed(o[:2]), file: o[:1], wantProblem: "lists 2 followers"},
		{name: "another list, the file lists the state's followers", record: packed(o[:2]), file: o, want: managed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			private := &memoryPrivate{keys: map[string][]byte{}}
			if tt.record != nil {
				private.keys[managedKey] = tt.record
			}
			state := inFileState(100, false, writeFile(t, strings.Join(tt.file, "\n")), o)
			got, err := managedFollowers(t.Context(), state, recordsOf(private, private))
			if tt.want != nil {
				if err != nil || !slices.Equal(got, tt.want) {
					t.Errorf("managedFollowers = %d followers, %v; want the state's %d", len(got), err, len(tt.want))
				}
				return
			}
			var lost *lostRecordError
			if !errors.As(err, &lost) || !strings.Contains(err.Error(), tt.wantProblem) || got != nil {
				t.Errorf("managedFollowers = %d followers, %v; want a lost record that %s", len(got), err, tt.wantProblem)
			}
			if !strings.Contains(err.Error(), "manages 12 followers of SHA-256 "+membersDigest(o)) {
				t.Errorf("the error does not name what the state manages: %v", err)
			}
		})
	}
}

// A state whose private record of followers is lost (terraform state pull, edit, push)
// must not read as "no followers": the destroy would report success and leave every
// follower tagged.
func TestTagMembersLostRecordIsAnErrorNeverNoFollowers(t *testing.T) {
	o := mockwechat.GenerateOpenIDs(12, 9)
	setup := func(t *testing.T) *fakeWechat {
		api := newFakeWechat(o...)
		api.tags[100] = "VIP"
		for _, openid := range o {
			api.give(openid, 100)
		}
		return api
	}
	// The requests these helpers build carry no private state: the record is missing.
	t.Run("destroy keeps the state and untags nobody", func(t *testing.T) {
		api := setup(t)
		state := inFileState(100, false, writeFile(t, o[0]), o)
		resp := destroy(t, &TagMembersResource{client: api}, state)
		expectDiagnostic(t, resp.Diagnostics, "Record of the managed followers lost", "nothing was changed", "terraform state rm", "is missing")
		expectAttribute(t, resp.Diagnostics, "openids_file")
		if n := api.callsOf(batchUntagging); n != 0 {
			t.Errorf("%d batchuntagging calls", n)
		}
		if n := api.callsOf("user/tag/get"); n != 0 {
			t.Errorf("%d user/tag/get calls before the refusal", n)
		}
		var kept tagMembersModel
		if diags := resp.State.Get(t.Context(), &kept); diags.HasError() || !kept.OpenIDsSHA256.Equal(state.OpenIDsSHA256) || kept.OpenIDsCount.ValueInt64() != 12 {
			t.Errorf("state after the refused destroy = %+v (%v), want it as it was", kept, diags)
		}
		if got := api.membersOf(100); len(got) != 12 {
			t.Errorf("tag 100 has %d followers after the refused destroy, want 12", len(got))
		}
	})
	t.Run("destroy rebuilds the record from a file that lists the state's followers", func(t *testing.T) {
		api := setup(t)
		resp := destroy(t, &TagMembersResource{client: api}, inFileState(100, false, writeFile(t, strings.Join(o, "\n")), o))
		expectNoDiagnostics(t, resp.Diagnostics)
		if got := api.membersOf(100); len(got) != 0 {
			t.Errorf("tag 100 keeps %d followers after the destroy, want none", len(got))
		}
	})
	t.Run("refresh without exclusive is refused before any call", func(t *testing.T) {
		api := setup(t)
		resp := read(t, &TagMembersResource{client: api}, inFileState(100, false, writeFile(t, o[0]), o))
		expectDiagnostic(t, resp.Diagnostics, "Record of the managed followers lost")
		if n := api.callsOf("user/tag/get"); n != 0 {
			t.Errorf("%d user/tag/get calls", n)
		}
		if resp.State.Raw.IsNull() {
			t.Error("the resource was removed from the state")
		}
	})
	t.Run("refresh with exclusive rebuilds it from the tag's followers", func(t *testing.T) {
		api := setup(t)
		resp := read(t, &TagMembersResource{client: api}, inFileState(100, true, writeFile(t, o[0]), o[:3]))
		expectNoDiagnostics(t, resp.Diagnostics)
		var model tagMembersModel
		if diags := resp.State.Get(t.Context(), &model); diags.HasError() || model.OpenIDsCount.ValueInt64() != 12 || model.OpenIDsSHA256.ValueString() != membersDigest(o) {
			t.Errorf("state after the refresh = %+v (%v), want the tag's 12 followers", model, diags)
		}
	})
	t.Run("a plan of a change is refused", func(t *testing.T) {
		api := setup(t)
		file := writeFile(t, o[0])
		resp := modifyPlan(t, &TagMembersResource{client: api}, inFileState(100, false, file, o), fileMembers(100, false, file))
		expectDiagnostic(t, resp.Diagnostics, "Record of the managed followers lost")
	})
}

// The file of a query is written whole where there is none, left where it lists the same
// followers, and never written over one that lists others or no openids at all.
func TestWriteAdoptedOpenIDsFile(t *testing.T) {
	t.Chdir(t.TempDir())
	openids := mockwechat.GenerateOpenIDs(3, 8)
	vip := wechat.Tag{ID: 100, Name: "VIP"}
	write := func(openids []string) diag.Diagnostics {
		var diags diag.Diagnostics
		writeAdoptedOpenIDsFile(vip, openids, &diags)
		return diags
	}
	expectNoDiagnostics(t, write(openids))
	// Again, as a query run again reads them, in another order.
	reversed := slices.Clone(openids)
	slices.Reverse(reversed)
	expectNoDiagnostics(t, write(reversed))
	var diags diag.Diagnostics
	if listed := readOpenIDsFile("openids/100.txt", &diags); !slices.Equal(listed, slices.Sorted(slices.Values(openids))) {
		t.Errorf("openids/100.txt lists %q (%v), want the followers sorted", listed, diags)
	}
	if entries, err := os.ReadDir("openids"); err != nil || len(entries) != 1 {
		t.Errorf("openids/ holds %v (%v), want the one file and nothing left of writing it", entries, err)
	}

	expectDiagnostic(t, write(openids[:2]), "File of followers already there", "lists 3 followers, not the 2 who carry the tag now")
	must(t, os.WriteFile("openids/100.txt", []byte("not an openid\n"), 0o600))
	expectDiagnostic(t, write(openids), "File of followers already there", "openids/100.txt", "is not a list of openids")

	must(t, os.RemoveAll("openids"))
	must(t, os.WriteFile("openids", nil, 0o600))
	expectDiagnostic(t, write(openids), "Unable to write an openids file", "tag \"VIP\" (id 100), 3 of them, to openids/100.txt")
}
