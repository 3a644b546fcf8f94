package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-version"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

// readersMachine is a machine as the guides' reader has it: a HOME of its own where
// `make install` (the getting-started guide's command) has put the provider, the CLI as
// `terraform` on PATH, and the environment from cleanEnv.
func readersMachine(t *testing.T) (env []string, bin string) {
	t.Helper()
	cli := terraformCLI(t)
	home := t.TempDir()
	bin = t.TempDir()
	must(t, os.Symlink(cli.Path, filepath.Join(bin, "terraform")))
	env = cleanEnv(t, home, bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	guideShell(t, "getting-started/install.sh", filepath.Join("..", ".."), env)
	return env, bin
}

// The CI guide's plan job as printed: init from the installed provider, a plan with
// -detailed-exitcode that saves plan.txt when there are changes, and "No changes." once
// applied.
func TestGuide_ciPlanJob(t *testing.T) {
	env, bin := readersMachine(t)
	mock := mockwechat.New(mockwechat.Config{AppID: appID, AppSecret: appSecret})
	server := httptest.NewServer(mock)
	t.Cleanup(server.Close)
	env = append(env, "WECHAT_APP_ID="+appID, "WECHAT_APP_SECRET="+appSecret, "WECHAT_BASE_URL="+server.URL)
	work := t.TempDir()
	writeFile(t, filepath.Join(work, "main.tf"), guideExample(t, "ci/main.tf"))

	guideShell(t, "ci/plan.sh", work, env)
	plan, err := os.ReadFile(filepath.Join(work, "plan.txt"))
	must(t, err)
	mustMatch(t, "plan.txt", string(plan), `wechat_tag.vip will be created`, `Plan: 1 to add, 0 to change, 0 to destroy.`)
	if len(mock.Tags()) != 1 {
		t.Errorf("the plan job changed the account: %+v", mock.Tags())
	}

	// The reviewed plan is applied, as a merge would: then the job finds nothing to do.
	apply := exec.CommandContext(t.Context(), filepath.Join(bin, "terraform"), "apply", "-input=false", "-no-color", "tfplan")
	apply.Dir, apply.Env = work, env
	if out, err := apply.CombinedOutput(); err != nil {
		t.Fatalf("terraform apply tfplan: %v\n%s", err, out)
	}
	must(t, os.Remove(filepath.Join(work, "plan.txt")))
	out := guideShell(t, "ci/plan.sh", work, env)
	if !strings.Contains(out, "No changes.") {
		t.Errorf("after the apply, the plan job printed:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(work, "plan.txt")); !os.IsNotExist(err) {
		t.Errorf("the plan job wrote plan.txt with no changes: %v", err)
	}
}

// The CI guide's module test as printed: the mock installed with go install @latest (from
// a module proxy serving this tree), started in the background, and terraform test. Its
// runs pass, the rename happens in place, and the test leaves the account as it found
// it, as the mock's admin API tells before the mock is stopped.
func TestGuide_ciModuleTest(t *testing.T) {
	if c := terraformCLI(t); c.Version.Core().LessThan(version.Must(version.NewVersion("1.6.0"))) {
		t.Skipf("Terraform CLI version %s is below minimum version 1.6.0: skipping test (terraform test)", c.Version)
	}
	env, bin := readersMachine(t)
	env = append(env, goInstallEnv(t, moduleProxy(t), bin)...)
	work := t.TempDir()
	for _, name := range []string{"main.tf", "campaign.tftest.hcl"} {
		writeFile(t, filepath.Join(work, name), guideExample(t, "module-test/"+name))
	}
	var calls map[string]int
	var account struct {
		Tags      []mockwechat.Tag `json:"tags"`
		Followers []struct {
			TagIDList []int64 `json:"tagid_list"`
		} `json:"followers"`
	}
	out := withoutColor(guideShellThen(t, "ci/module-test.sh", work, env, func() {
		raw, err := os.ReadFile(filepath.Join(work, "mock-url"))
		must(t, err)
		base := strings.TrimSpace(string(raw))
		mockAdmin(t, base+"/_mock/calls", &calls)
		mockAdmin(t, base+"/_mock/state", &account)
	}))
	mustMatch(t, "the module test", out,
		`run "creates_the_tag_and_tags_the_follower"... pass`,
		`run "renames_in_place"... pass`,
		`2 passed, 0 failed`)
	if n := calls["/cgi-bin/tags/create"]; n != 1 {
		t.Errorf("the module test created %d tags; the rename must happen in place, with 1 create", n)
	}
	// The mock started with the tag 老客户; the test's own tag and membership are gone.
	if len(account.Tags) != 2 || account.Tags[1].Name != "老客户" {
		t.Errorf("after terraform test the account has tags %+v; want the starred tag and 老客户", account.Tags)
	}
	for _, f := range account.Followers {
		if len(f.TagIDList) != 0 {
			t.Errorf("after terraform test a follower still carries tags %v", f.TagIDList)
		}
	}
}

// mockAdmin reads an admin endpoint of a running mock into v.
func mockAdmin(t *testing.T, url string, v any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	must(t, err)
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	must(t, json.NewDecoder(resp.Body).Decode(v))
}
