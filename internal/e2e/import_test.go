package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/go-version"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

// The tests below run the examples of the importing guide (templates/guides/importing.md.tmpl)
// as they are, so that the guide's commands and what it says Terraform prints stay true.

// guideExample is a file under examples/guides.
func guideExample(t *testing.T, name string) string {
	t.Helper()
	content, err := os.ReadFile(filepath.Join("..", "..", "examples", "guides", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(content)
}

// requireTerraform skips a test the Terraform CLI in use is too old for.
func (w *workspace) requireTerraform(major, minor int, feature string) {
	w.t.Helper()
	if w.CLI.Version.Core().LessThan(version.Must(version.NewVersion(fmt.Sprintf("%d.%d.0", major, minor)))) {
		// Worded as the tfversion checks of the acceptance tests word their skips, which
		// `make testacc-matrix` accepts.
		w.t.Skipf("Terraform CLI version %s is below minimum version %d.%d.0: skipping test (%s)", w.CLI.Version, major, minor, feature)
	}
}

// mustMatch proves that text matches each pattern, where a space matches any run of white
// space.
func mustMatch(t *testing.T, what, text string, patterns ...string) {
	t.Helper()
	for _, pattern := range patterns {
		if !regexp.MustCompile(strings.ReplaceAll(pattern, " ", `\s+`)).MatchString(text) {
			t.Errorf("%s does not match %q:\n%s", what, pattern, text)
		}
	}
}

// expectNoWrites proves that the commands so far changed nothing on WeChat.
func (w *workspace) expectNoWrites() {
	w.t.Helper()
	for _, path := range []string{"/cgi-bin/tags/create", "/cgi-bin/tags/update", "/cgi-bin/tags/delete",
		"/cgi-bin/tags/members/batchtagging", "/cgi-bin/tags/members/batchuntagging"} {
		if n := w.mock.CallCount(path); n != 0 {
			w.t.Errorf("the import called %s %d times, want none", path, n)
		}
	}
}

func TestImport_generateConfigOutWritesTheImportedObjects(t *testing.T) {
	t.Parallel()
	const alice = "ocYxcuAEy30bX0NXmGn4ypqx3tI0" // the openid of the guide's examples
	w := newWorkspace(t, mockwechat.Config{Tags: []string{"老客户"}, Followers: []string{alice}})
	for _, tagID := range []int64{100, 2} {
		if err := w.mock.TagUser(alice, tagID); err != nil {
			t.Fatal(err)
		}
	}
	w.configure(guideExample(t, "generate-config/import.tf"))

	out := w.mustRun("plan", "-generate-config-out=generated.tf", "-no-color")
	mustMatch(t, "the plan", out, `Plan: 2 to import, 0 to add, 0 to change, 0 to destroy`)
	generated, err := os.ReadFile(filepath.Join(w.Dir, "generated.tf"))
	if err != nil {
		t.Fatalf("terraform plan -generate-config-out wrote no file: %v\n%s", err, out)
	}
	// What the guide tells the reader to check: the tag's name and no computed id; every
	// tag the follower carries, the star included, and exclusive = false.
	mustMatch(t, "generated.tf", string(generated),
		`resource "wechat_tag" "returning_customers" {\s+name = "老客户"\s+}`,
		`resource "wechat_user_tags" "alice" {[^}]*exclusive = false`,
		`resource "wechat_user_tags" "alice" {[^}]*openid = "`+alice+`"`,
		`resource "wechat_user_tags" "alice" {[^}]*tag_ids = \[2, 100\]`,
	)

	// Terraform never overwrites the file it generated before.
	code, again := w.run("plan", "-generate-config-out=generated.tf", "-no-color")
	if code == 0 {
		t.Errorf("a second -generate-config-out into the same file succeeded:\n%s", again)
	}
	mustMatch(t, "the second plan", again, `Target generated file already exists`)

	// The generated configuration imports as it is, and then matches the account.
	mustMatch(t, "the apply", w.mustRun("apply", "-auto-approve", "-no-color"),
		`Resources: 2 imported, 0 added, 0 changed, 0 destroyed`)
	if code, out := w.run("plan", "-detailed-exitcode", "-no-color"); code != 0 {
		t.Errorf("the plan after importing the generated configuration exited %d, want 0 (no changes):\n%s", code, out)
	}
	w.expectNoWrites()
}

func TestImport_bulkImportWithForEachThenWrittenOut(t *testing.T) {
	t.Parallel()
	// ids 100 and 101, the ids examples/guides/after-bulk-import writes out.
	w := newWorkspace(t, mockwechat.Config{Tags: []string{"VIP", "老客户"}})
	w.requireTerraform(1, 7, "for_each in import blocks")

	w.configure(guideExample(t, "bulk-import/main.tf"))
	mustMatch(t, "the bulk import plan", w.mustRun("plan", "-no-color"),
		`wechat_tag.imported\["100"\] will be imported`,
		`wechat_tag.imported\["101"\] will be imported`,
		`Plan: 2 to import, 0 to add, 0 to change, 0 to destroy`)
	w.mustRun("apply", "-auto-approve", "-no-color")
	w.expectNoWrites()

	// Written out with moved blocks: the plan only moves, and applying it leaves the
	// account as it was.
	w.configure(guideExample(t, "after-bulk-import/main.tf"))
	mustMatch(t, "the plan after writing the tags out", w.mustRun("plan", "-no-color"),
		`wechat_tag.imported\["100"\] has moved to wechat_tag.vip`,
		`wechat_tag.imported\["101"\] has moved to wechat_tag.returning_customers`,
		`Plan: 0 to add, 0 to change, 0 to destroy`)
	w.mustRun("apply", "-auto-approve", "-no-color")
	if code, out := w.run("plan", "-detailed-exitcode", "-no-color"); code != 0 {
		t.Errorf("the plan after the moves exited %d, want 0 (no changes):\n%s", code, out)
	}
	w.expectNoWrites()
	if tags := w.mock.Tags(); len(tags) != 3 || tags[1].Name != "VIP" || tags[2].Name != "老客户" {
		t.Errorf("the account's tags are %v, want 星标组, VIP and 老客户 as they were", tags)
	}
}

// A big tag imported by hand, as the importing guide says: its followers written first to
// openids/<tag id>.txt, which the configuration names in openids_file. `terraform import`
// adopts them into the file, so that neither the state nor the plan holds them as a
// list, and the plan after the import is empty, without a write to WeChat.
func TestImport_aTagIntoTheOpenIDsFileWrittenForIt(t *testing.T) {
	t.Parallel()
	followers := mockwechat.GenerateOpenIDs(3, 17)
	w := newWorkspace(t, mockwechat.Config{Tags: []string{"VIP"}, Followers: followers})
	for _, openid := range followers {
		must(t, w.mock.TagUser(openid, 100))
	}
	must(t, os.Mkdir(filepath.Join(w.Dir, "openids"), 0o750))
	writeFile(t, filepath.Join(w.Dir, "openids", "100.txt"), strings.Join(followers, "\n")+"\n")
	w.configure(`
resource "wechat_tag_members" "vip" {
  tag_id       = 100
  openids_file = "openids/100.txt"
}
`)
	w.mustRun("import", "-no-color", "wechat_tag_members.vip", "100")
	state := w.state()
	if len(state) != 1 || state[0].Values["openids_file"] != "openids/100.txt" || state[0].Values["openids"] != nil ||
		state[0].Values["openids_count"] != float64(len(followers)) {
		t.Errorf("the import recorded %v; want openids_file openids/100.txt, its %d followers counted, and no openids", state, len(followers))
	}
	if code, out := w.run("plan", "-detailed-exitcode", "-no-color"); code != 0 {
		t.Errorf("the plan after the import exited %d, want 0 (no changes):\n%s", code, out)
	}
	w.expectNoWrites()
}
