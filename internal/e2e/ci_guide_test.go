package e2e

import (
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
// a module proxy serving this tree), started in the background, and terraform test.
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
	out := withoutColor(guideShell(t, "ci/module-test.sh", work, env))
	mustMatch(t, "the module test", out, `run "creates_the_tag_and_tags_the_follower"... pass`, `2 passed, 0 failed`)
}
