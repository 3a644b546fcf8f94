package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// cli is the Terraform CLI the bench drives.
type cli struct {
	path    string
	version string // the first line of `terraform version`, e.g. "Terraform v1.11.4"
	// registry is the host a provider source without one resolves to, which a
	// dev_overrides key must name: registry.terraform.io for Terraform,
	// registry.opentofu.org for OpenTofu.
	registry string
}

func findCLI(ctx context.Context, path string) (cli, error) {
	cmd := exec.CommandContext(ctx, path, "version")
	cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1")
	out, err := cmd.Output()
	if err != nil {
		return cli{}, fmt.Errorf("%s version: %w", path, err)
	}
	first, _, _ := strings.Cut(string(out), "\n")
	switch {
	case strings.HasPrefix(first, "Terraform v"):
		return cli{path: path, version: first, registry: "registry.terraform.io"}, nil
	case strings.HasPrefix(first, "OpenTofu v"):
		return cli{path: path, version: first, registry: "registry.opentofu.org"}, nil
	}
	return cli{}, fmt.Errorf("%s version printed %q: neither Terraform nor OpenTofu; pass -terraform", path, first)
}

// workspace is a Terraform working directory whose provider wechat-tf/wechat is the
// binary in providerDir, through dev_overrides, so that no `terraform init` runs.
type workspace struct {
	dir string
	cli cli
	env []string
	// output keeps what every command printed, to show when one fails.
	output *os.File
}

func newWorkspace(c cli, dir, providerDir string, env ...string) (*workspace, error) {
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	cliConfig := filepath.Join(dir, "dev.tfrc")
	if err := writeDevOverrides(cliConfig, c, providerDir); err != nil {
		return nil, err
	}
	output, err := os.Create(filepath.Clean(filepath.Join(dir, "terraform.log")))
	if err != nil {
		return nil, err
	}
	base := []string{
		"TF_CLI_CONFIG_FILE=" + cliConfig,
		"CHECKPOINT_DISABLE=1",
		"TF_IN_AUTOMATION=1",
		// Logging would time the log writer, not Terraform.
		"TF_LOG=",
		"TF_LOG_PROVIDER=",
		"TF_LOG_PATH=",
	}
	return &workspace{dir: dir, cli: c, env: append(append(os.Environ(), base...), env...), output: output}, nil
}

// writeDevOverrides writes a CLI configuration that runs the terraform-provider-wechat
// in providerDir for source = "wechat-tf/wechat", with no `terraform init`.
func writeDevOverrides(path string, c cli, providerDir string) error {
	overrides := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    %q = %q\n  }\n  direct {}\n}\n",
		c.registry+"/wechat-tf/wechat", providerDir)
	return os.WriteFile(path, []byte(overrides), 0o600)
}

func (w *workspace) close() { _ = w.output.Close() }

// withEnv is the same working directory with more environment variables.
func (w *workspace) withEnv(env ...string) *workspace {
	copied := *w
	copied.env = append(slices.Clip(w.env), env...)
	return &copied
}

func (w *workspace) writeConfig(hcl string) error {
	return os.WriteFile(filepath.Join(w.dir, "main.tf"), []byte(hcl), 0o600)
}

// ran is what one terraform command did.
type ran struct {
	exitCode int
	// wall is from the start of the process to its exit; cpu is the user and system time
	// of Terraform and of the provider processes it started and waited for.
	wall, cpu time.Duration
	stdout    []byte
}

// run runs one terraform command. An exit code outside okCodes is an error that quotes
// the end of the output.
func (w *workspace) run(ctx context.Context, okCodes []int, args ...string) (ran, error) {
	args = append([]string{"-chdir=" + w.dir}, args...)
	cmd := exec.CommandContext(ctx, w.cli.path, args...) //nolint:gosec // G204: the Terraform CLI the bench was given
	cmd.Env = w.env
	// Interrupted, Terraform stops as it does on Ctrl-C, and lets its provider stop too.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = time.Minute
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	began := time.Now()
	err := cmd.Run()
	result := ran{wall: time.Since(began), stdout: stdout.Bytes()}
	fmt.Fprintf(w.output, "$ terraform %s\n%s%s\n", strings.Join(args, " "), stdout.Bytes(), stderr.Bytes())
	if err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return result, fmt.Errorf("terraform %s: %w", strings.Join(args, " "), err)
		}
		result.exitCode = exitErr.ExitCode()
	}
	result.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	if slices.Contains(okCodes, result.exitCode) {
		return result, nil
	}
	return result, fmt.Errorf("terraform %s exited %d (log: %s):\n%s",
		strings.Join(args, " "), result.exitCode, w.output.Name(), tail(stdout.String()+stderr.String(), 30))
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
