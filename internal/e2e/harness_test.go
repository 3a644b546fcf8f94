// Package e2e runs the provider as Terraform runs it in production: a binary of its own,
// started by the Terraform CLI, one process per command, against the mock WeChat server.
// It proves what the in-process acceptance tests cannot: behaviour across provider
// processes, convergence under faults in one apply, and what reaches the logs.
package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
	"github.com/wechat-tf/terraform-provider-wechat/internal/tfcli"
)

const (
	appID     = "wx7c1f3e5a9b2d4680"
	appSecret = "9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a"
)

var (
	buildOnce   sync.Once
	providerDir string
	buildErr    error
)

// TestMain gives the tests of this process one directory for the provider binary they
// share, and removes it after them.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wechat-e2e-provider-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	providerDir = dir
	code := m.Run()
	if err := os.RemoveAll(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

// providerBinary builds the provider once per test process, as `go build` would for a
// release, into a directory a dev_overrides CLI config can point at.
func providerBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		out, err := exec.CommandContext(t.Context(), "go", "build", "-o", filepath.Join(providerDir, "terraform-provider-wechat"), "../..").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return providerDir
}

var (
	cliOnce  sync.Once
	theCLI   tfcli.CLI
	cliError error
)

// terraformCLI is the CLI the tests drive: the acceptance tests' TF_ACC_TERRAFORM_PATH, or
// else the terraform on PATH. It may be OpenTofu.
func terraformCLI(t *testing.T) tfcli.CLI {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("end-to-end tests run with TF_ACC=1 (make test sets it)")
	}
	cliOnce.Do(func() { theCLI, cliError = tfcli.Find(t.Context()) })
	if cliError != nil {
		t.Fatal(cliError)
	}
	return theCLI
}

// devWorkdir is a new working directory whose CLI configuration runs the provider built
// by providerBinary for source = "wechat-tf/wechat", with no `terraform init`.
func devWorkdir(t *testing.T, c tfcli.CLI, env ...string) tfcli.Workdir {
	t.Helper()
	w, err := c.NewWorkdir(t.TempDir(), map[string]string{tfcli.ProviderSource: providerBinary(t)}, env...)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// workspace is a Terraform working directory wired to the provider binary and a mock.
type workspace struct {
	t *testing.T
	tfcli.Workdir
	mock *mockwechat.Server
	// output collects everything the CLI printed, for the secrets test.
	output bytes.Buffer
}

func newWorkspace(t *testing.T, cfg mockwechat.Config, extraEnv ...string) *workspace {
	t.Helper()
	cli := terraformCLI(t)
	cfg.AppID, cfg.AppSecret = appID, appSecret
	mock := mockwechat.New(cfg)
	server := httptest.NewServer(mock)
	t.Cleanup(server.Close)

	env := append([]string{
		"WECHAT_APP_ID=" + appID,
		"WECHAT_APP_SECRET=" + appSecret,
		"WECHAT_BASE_URL=" + server.URL,
		"WECHAT_ACCESS_TOKEN=",
	}, extraEnv...)
	return &workspace{t: t, Workdir: devWorkdir(t, cli, env...), mock: mock}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

var defaultProviderBlock = regexp.MustCompile(`(?m)^provider "wechat" \{\}`)

// configure writes the configuration, after a header that requires the provider and
// configures it, unless the configuration does either itself, as the examples do.
func (w *workspace) configure(hcl string) {
	header := ""
	if !strings.Contains(hcl, "required_providers") {
		header += tfcli.RequiredProviders + "\n"
	}
	if !defaultProviderBlock.MatchString(hcl) {
		header += "provider \"wechat\" {}\n"
	}
	writeFile(w.t, filepath.Join(w.Dir, "main.tf"), header+hcl)
}

// run runs a terraform command and returns its exit code and standard output, with
// standard error too if it failed; both output streams are kept in w.output.
func (w *workspace) run(args ...string) (int, string) {
	w.t.Helper()
	result, err := w.Run(w.t.Context(), args...)
	if err != nil {
		w.t.Fatal(err)
	}
	w.output.Write(result.Stdout)
	w.output.Write(result.Stderr)
	if result.ExitCode == 0 {
		return 0, string(result.Stdout)
	}
	return result.ExitCode, result.Output()
}

// mustRun runs a terraform command that must succeed.
func (w *workspace) mustRun(args ...string) string {
	w.t.Helper()
	code, out := w.run(args...)
	if code != 0 {
		w.t.Fatalf("terraform %s exited %d:\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

// stateResource is a resource of `terraform show -json`.
type stateResource struct {
	Address string         `json:"address"`
	Type    string         `json:"type"`
	Values  map[string]any `json:"values"`
}

func (w *workspace) state() []stateResource {
	w.t.Helper()
	var shown struct {
		Values struct {
			RootModule struct {
				Resources []stateResource `json:"resources"`
			} `json:"root_module"`
		} `json:"values"`
	}
	out := w.mustRun("show", "-json")
	if err := json.Unmarshal([]byte(out), &shown); err != nil {
		w.t.Fatalf("terraform show -json: %v\n%s", err, out)
	}
	return shown.Values.RootModule.Resources
}
