package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

// TestModuleTest_ciGuideExample runs the CI guide's module test, examples/guides/module-test,
// with `terraform test` against the mock, as a module's own pipeline would, and proves that
// the test's runs passed, that the rename happened in place, and that the test left the
// account as it found it.
func TestModuleTest_ciGuideExample(t *testing.T) {
	const follower = "oK3vT8sQpZ1mYx7RbN2cLd9WfE4a" // the openid the example's test uses
	w := newWorkspace(t, mockwechat.Config{Followers: []string{follower}})
	w.requireTerraform(1, 6, "terraform test")
	example := filepath.Join("..", "..", "examples", "guides", "module-test")
	for _, name := range []string{"main.tf", "campaign.tftest.hcl"} {
		content, err := os.ReadFile(filepath.Join(example, name))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(w.Dir, name), string(content))
	}

	out := w.mustRun("test", "-no-color")
	mustMatch(t, "terraform test", out,
		`run "creates_the_tag_and_tags_the_follower"... pass`,
		`run "renames_in_place"... pass`,
		`2 passed, 0 failed`)

	if calls := w.mock.CallCount("/cgi-bin/tags/create"); calls != 1 {
		t.Errorf("the module test created %d tags; the rename must happen in place, with 1 create", calls)
	}
	if tags := w.mock.Tags(); len(tags) != 1 || tags[0].ID != 2 {
		t.Errorf("after terraform test the account has tags %+v; want only the system tag 2", tags)
	}
	if held, _ := w.mock.UserTags(follower); len(held) != 0 {
		t.Errorf("after terraform test the follower still carries tags %v", held)
	}
}
