// Package e2e runs the provider as Terraform runs it in production: a binary of its own,
// started by the Terraform CLI, one process per command, against the mock WeChat server.
// It proves what the in-process acceptance tests cannot: behaviour across provider
// processes, convergence under faults with repeated applies, and what reaches the logs.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-version"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
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

// cli is the Terraform CLI the tests drive: the acceptance tests' TF_ACC_TERRAFORM_PATH,
// or else the terraform on PATH. It may be OpenTofu.
type cli struct {
	path    string
	version *version.Version
	// registry is the host a provider source without one resolves to, which a
	// dev_overrides key must name: Terraform reads "wechat-tf/wechat" as
	// registry.terraform.io/wechat-tf/wechat, OpenTofu as registry.opentofu.org/wechat-tf/wechat.
	registry string
}

// providerAddress is the provider's address as this CLI resolves source = "wechat-tf/wechat".
func (c cli) providerAddress() string { return c.registry + "/wechat-tf/wechat" }

var (
	cliOnce  sync.Once
	theCLI   cli
	cliError error
)

func terraformCLI(t *testing.T) cli {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("end-to-end tests run with TF_ACC=1 (make test sets it)")
	}
	cliOnce.Do(func() { theCLI, cliError = findCLI(t.Context()) })
	if cliError != nil {
		t.Fatal(cliError)
	}
	return theCLI
}

func findCLI(ctx context.Context) (cli, error) {
	path := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if path == "" {
		var err error
		if path, err = exec.LookPath("terraform"); err != nil {
			return cli{}, errors.New("TF_ACC is set but no terraform is on PATH and TF_ACC_TERRAFORM_PATH is empty")
		}
	}
	// `version -json` is the same for both CLIs: `version` names the product, on the first
	// line but for OpenTofu's warnings about the CLI configuration, which it prints before.
	cmd := exec.CommandContext(ctx, path, "version")
	cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1")
	out, err := cmd.Output()
	if err != nil {
		return cli{}, fmt.Errorf("%s version: %w", path, err)
	}
	m := versionLine.FindSubmatch(out)
	if m == nil {
		return cli{}, fmt.Errorf("%s version printed no line \"Terraform vX.Y.Z\" or \"OpenTofu vX.Y.Z\":\n%s", path, out)
	}
	v, err := version.NewVersion(string(m[2]))
	if err != nil {
		return cli{}, fmt.Errorf("%s version: %w", path, err)
	}
	registry := "registry.terraform.io"
	if string(m[1]) == "OpenTofu" {
		registry = "registry.opentofu.org"
	}
	return cli{path: path, version: v, registry: registry}, nil
}

var versionLine = regexp.MustCompile(`(?m)^(Terraform|OpenTofu) v(\S+)$`)

// writeDevOverrides writes a CLI configuration that runs the provider built by
// providerBinary for source = "wechat-tf/wechat", with no `terraform init`.
func writeDevOverrides(t *testing.T, path string, c cli) {
	t.Helper()
	writeFile(t, path, fmt.Sprintf(`provider_installation {
  dev_overrides {
    %q = %q
  }
  direct {}
}
`, c.providerAddress(), providerBinary(t)))
}

// workspace is a Terraform working directory wired to the provider binary and a mock.
type workspace struct {
	t         *testing.T
	dir       string
	terraform string
	env       []string
	mock      *mockwechat.Server
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

	dir := t.TempDir()
	cliConfig := filepath.Join(dir, "dev.tfrc")
	writeDevOverrides(t, cliConfig, cli)
	env := append(os.Environ(),
		"TF_CLI_CONFIG_FILE="+cliConfig,
		"CHECKPOINT_DISABLE=1",
		"TF_IN_AUTOMATION=1",
		"WECHAT_APP_ID="+appID,
		"WECHAT_APP_SECRET="+appSecret,
		"WECHAT_BASE_URL="+server.URL,
		"WECHAT_ACCESS_TOKEN=",
	)
	return &workspace{t: t, dir: dir, terraform: cli.path, env: append(env, extraEnv...), mock: mock}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// configure writes the configuration, after a header that requires the provider.
func (w *workspace) configure(hcl string) {
	writeFile(w.t, filepath.Join(w.dir, "main.tf"), `terraform {
  required_providers {
    wechat = {
      source = "wechat-tf/wechat"
    }
  }
}

provider "wechat" {}
`+hcl)
}

// run runs a terraform command and returns its exit code and standard output; both
// output streams are kept in w.output.
func (w *workspace) run(args ...string) (int, string) {
	w.t.Helper()
	cmd := exec.CommandContext(w.t.Context(), w.terraform, append([]string{"-chdir=" + w.dir}, args...)...)
	cmd.Env = w.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	w.output.Write(stdout.Bytes())
	w.output.Write(stderr.Bytes())
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return 0, stdout.String()
	case errors.As(err, &exitErr):
		return exitErr.ExitCode(), stdout.String() + stderr.String()
	}
	w.t.Fatalf("terraform %s: %v", strings.Join(args, " "), err)
	return -1, ""
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
