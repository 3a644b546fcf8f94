package e2e

import (
	"os"
	"path/filepath"
	"regexp"
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
