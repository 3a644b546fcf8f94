package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

// guideCommands is the terraform commands of a shell file of examples/guides, as the
// guide prints them, split into words.
func guideCommands(t *testing.T, name string) [][]string {
	t.Helper()
	var commands [][]string
	for _, line := range commandsOf(guideExample(t, name)) {
		words := strings.Fields(line)
		if words[0] != "terraform" {
			t.Fatalf("examples/guides/%s: %q is not a terraform command", name, line)
		}
		commands = append(commands, words[1:])
	}
	return commands
}

// ansiEscape is a terminal color sequence: the guide's commands print in color, as they
// would for the reader.
var ansiEscape = regexp.MustCompile("\x1b\\[[0-9;]*m")

func withoutColor(text string) string { return ansiEscape.ReplaceAllString(text, "") }

// The adoption guide, run as it is printed: `terraform query -generate-config-out` writes
// an import block and a resource block for every tag and its followers, the plan shows
// only imports, and the apply of that plan changes nothing on WeChat.
func TestGuide_adoptAnAccountWithTerraformQuery(t *testing.T) {
	followers := mockwechat.GenerateOpenIDs(4, 11)
	w := newWorkspace(t, mockwechat.Config{Followers: followers, Tags: []string{"老客户", "北方", "empty"}})
	w.requireTerraform(1, 14, "terraform query")
	// Tags that exist at start take ids from 100 on, in order.
	returning, north := int64(100), int64(101)
	for _, tagging := range []struct {
		openid string
		tagID  int64
	}{{followers[0], returning}, {followers[1], returning}, {followers[1], north}, {followers[2], 2}} {
		must(t, w.mock.TagUser(tagging.openid, tagging.tagID))
	}
	for _, file := range []string{"main.tf", "adopt.tfquery.hcl"} {
		writeFile(t, filepath.Join(w.Dir, file), guideExample(t, "query-adopt/"+file))
	}

	commands := guideCommands(t, "query-adopt/adopt.sh")
	if len(commands) != 3 {
		t.Fatalf("examples/guides/query-adopt/adopt.sh has %d commands, want query, plan and apply: %q", len(commands), commands)
	}

	query := withoutColor(w.mustRun(commands[0]...))
	mustMatch(t, "the query's output", query,
		`list.wechat_tag.account id=\d+ 老客户 \(id \d+\)`, `list.wechat_tag_members.account tag_id=\d+ 北方 \(id \d+\)`)
	adopted, err := os.ReadFile(filepath.Join(w.Dir, "adopted.tf"))
	if err != nil {
		t.Fatalf("the query wrote no adopted.tf: %v\n%s", err, query)
	}
	generated := string(adopted)
	mustMatch(t, "adopted.tf", generated,
		`resource "wechat_tag" "account_0" {`, `name = "老客户"`, `name = "empty"`,
		`identity = { id = \d+ }|identity = {\s+id = \d+\s+}`,
		`resource "wechat_tag_members" "account_1" {`,
		`openids = \["`+followers[1]+`"\]`)
	if strings.Contains(generated, `name = "星标组"`) {
		t.Errorf("adopted.tf adopts the starred system tag, which wechat_tag cannot manage:\n%s", generated)
	}
	w.mock.ResetCalls()

	plan := withoutColor(w.mustRun(commands[1]...))
	mustMatch(t, "the plan", plan, `Plan: 6 to import, 0 to add, 0 to change, 0 to destroy.`)
	w.mustRun(commands[2]...)
	w.expectNoWrites()

	if code, out := w.run("plan", "-detailed-exitcode", "-no-color"); code != 0 {
		t.Errorf("plan after the adoption exited %d, want 0 (no changes):\n%s", code, out)
	}
	if got := len(w.state()); got != 6 {
		t.Errorf("the state holds %d resources after the adoption, want 6 (3 tags, 3 memberships)", got)
	}
}

// The adoption guide, run as it is printed, on an account of 30 tags, one of them carried
// by 100,000 followers: the query writes that tag's followers to openids/<id>.txt and its
// generated block names the file in openids_file, so that the plan of the imports never
// holds a list of 100,000 openids; a tag of 20 followers is adopted with openids, as
// before. The plan shows only imports, its apply writes nothing to WeChat, and the plan
// after it is empty. A query run again leaves the files as they are.
func TestGuide_adoptATagOf100000FollowersWithTerraformQuery(t *testing.T) {
	const bigTag = 100000
	followers := mockwechat.GenerateOpenIDs(bigTag, 41)
	names := []string{"big", "twenty"}
	for i := len(names); i < 30; i++ {
		names = append(names, fmt.Sprintf("tag-%02d", i))
	}
	w := newWorkspace(t, mockwechat.Config{Followers: followers, Tags: names})
	w.requireTerraform(1, 14, "terraform query")
	// Tags that exist at start take ids from 100 on, in order.
	big, twenty := int64(100), int64(101)
	for _, openid := range followers {
		must(t, w.mock.TagUser(openid, big))
	}
	for i, openid := range followers[:20] {
		must(t, w.mock.TagUser(openid, twenty))
		must(t, w.mock.TagUser(openid, twenty+1+int64(i%28)))
	}
	for _, file := range []string{"main.tf", "adopt.tfquery.hcl"} {
		writeFile(t, filepath.Join(w.Dir, file), guideExample(t, "query-adopt/"+file))
	}
	commands := guideCommands(t, "query-adopt/adopt.sh")
	if len(commands) != 3 {
		t.Fatalf("examples/guides/query-adopt/adopt.sh has %d commands, want query, plan and apply: %q", len(commands), commands)
	}

	w.mustRun(commands[0]...)
	adopted, err := os.ReadFile(filepath.Join(w.Dir, "adopted.tf"))
	if err != nil {
		t.Fatalf("the query wrote no adopted.tf: %v", err)
	}
	generated := string(adopted)
	bigFile := fmt.Sprintf("openids/%d.txt", big)
	twentyOpenIDs := slices.Sorted(slices.Values(followers[:20]))
	mustMatch(t, "adopted.tf", generated,
		`openids_file = "`+regexp.QuoteMeta(bigFile)+`"`,
		`openids = \["`+strings.Join(twentyOpenIDs, `", "`)+`"\]`)
	if len(generated) > 64<<10 {
		t.Errorf("adopted.tf is %d bytes: it lists the followers of the big tag", len(generated))
	}
	if listed := readOpenIDsFile(t, filepath.Join(w.Dir, bigFile)); len(listed) != bigTag {
		t.Errorf("%s lists %d followers, want %d", bigFile, len(listed), bigTag)
	}

	// A list block run again: Terraform writes adopted.tf anew, the provider leaves the
	// file it wrote, which lists the same followers.
	must(t, os.Remove(filepath.Join(w.Dir, "adopted.tf")))
	w.mustRun(commands[0]...)
	if again, err := os.ReadFile(filepath.Join(w.Dir, "adopted.tf")); err != nil || string(again) != generated {
		t.Errorf("the query run again wrote another adopted.tf (%v):\n%s", err, again)
	}
	w.mock.ResetCalls()

	plan := withoutColor(w.mustRun(commands[1]...))
	mustMatch(t, "the plan", plan, `Plan: 60 to import, 0 to add, 0 to change, 0 to destroy.`)
	w.mustRun(commands[2]...)
	w.expectNoWrites()

	if code, out := w.run("plan", "-detailed-exitcode", "-no-color"); code != 0 {
		t.Errorf("plan after the adoption exited %d, want 0 (no changes):\n%s", code, out)
	}
	state := w.state()
	bigMembers := slices.IndexFunc(state, func(r stateResource) bool {
		return r.Type == "wechat_tag_members" && r.Values["tag_id"] == float64(big)
	})
	if bigMembers < 0 {
		t.Fatalf("the state holds no wechat_tag_members of tag %d: %v", big, state)
	}
	if values := state[bigMembers].Values; values["openids_file"] != bigFile || values["openids_count"] != float64(bigTag) || values["openids"] != nil {
		t.Errorf("the state of the big tag's members is openids_file %v, openids_count %v; want %s and %d, and no openids",
			values["openids_file"], values["openids_count"], bigFile, bigTag)
	}
}

// readOpenIDsFile is the openids of a file of one a line, comments left out.
func readOpenIDsFile(t *testing.T, name string) []string {
	t.Helper()
	content, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var openids []string
	for line := range strings.Lines(string(content)) {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			openids = append(openids, line)
		}
	}
	return openids
}
