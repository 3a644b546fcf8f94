package tfcli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// ProviderSource is the provider's source in a configuration's required_providers.
const ProviderSource = "wechat-tf/wechat"

// RequiredProviders is the terraform block that a configuration using the provider
// declares; without it a `provider "wechat"` block means hashicorp/wechat.
const RequiredProviders = `terraform {
  required_providers {
    wechat = {
      source = "` + ProviderSource + `"
    }
  }
}
`

// WriteDevOverrides writes to path a CLI configuration whose dev_overrides run, for each
// provider source ("wechat-tf/wechat"), the terraform-provider-TYPE binary in its
// directory, so that no `terraform init` is needed; every other provider installs as usual.
func (c CLI) WriteDevOverrides(path string, dirs map[string]string) error {
	var b strings.Builder
	b.WriteString("provider_installation {\n  dev_overrides {\n")
	for _, source := range slices.Sorted(maps.Keys(dirs)) {
		fmt.Fprintf(&b, "    %q = %q\n", c.ProviderAddress(source), dirs[source])
	}
	b.WriteString("  }\n  direct {}\n}\n")
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// Workdir is a working directory the CLI runs in.
type Workdir struct {
	CLI CLI
	Dir string
	// CLIConfig is the CLI configuration file every command reads (TF_CLI_CONFIG_FILE);
	// empty leaves the variable as this process has it.
	CLIConfig string
	// Env is added to this process's environment and the offline settings, and wins over
	// both.
	Env []string
}

// NewWorkdir creates dir, and in it a CLI configuration, dev.tfrc, with the dev_overrides
// of dirs (see WriteDevOverrides).
func (c CLI) NewWorkdir(dir string, dirs map[string]string, env ...string) (Workdir, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return Workdir{}, err
	}
	cliConfig := filepath.Join(dir, "dev.tfrc")
	if err := c.WriteDevOverrides(cliConfig, dirs); err != nil {
		return Workdir{}, err
	}
	return Workdir{CLI: c, Dir: dir, CLIConfig: cliConfig, Env: env}, nil
}

// WithEnv is the same working directory with more environment variables.
func (w Workdir) WithEnv(env ...string) Workdir {
	w.Env = append(slices.Clip(w.Env), env...)
	return w
}

// Result is what one command did.
type Result struct {
	ExitCode       int
	Stdout, Stderr []byte
	// Wall is from the start of the process to its exit; CPU is the user and system time
	// of the CLI and of the processes it waited for, its providers among them.
	Wall, CPU time.Duration
	// PeakRSS is the peak resident memory, in bytes, of the largest of the CLI's process
	// and the processes it waited for; 0 where it is not measured (off Linux).
	PeakRSS int64
}

// Output is what the command printed, standard output first.
func (r Result) Output() string { return string(r.Stdout) + string(r.Stderr) }

// Run runs the CLI with args in the working directory (-chdir), offline: no version
// check, and TF_IN_AUTOMATION. An exit code other than 0 is no error: only a command that
// could not run is. Cancelled, the CLI is interrupted as by Ctrl-C, so that it stops its
// providers; it is killed a minute later if it has not exited.
func (w Workdir) Run(ctx context.Context, args ...string) (Result, error) {
	args = append([]string{"-chdir=" + w.Dir}, args...)
	cmd := exec.CommandContext(ctx, w.CLI.Path, args...) //nolint:gosec // G204: the CLI the caller identified
	cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1")
	if w.CLIConfig != "" {
		cmd.Env = append(cmd.Env, "TF_CLI_CONFIG_FILE="+w.CLIConfig)
	}
	cmd.Env = append(cmd.Env, w.Env...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = time.Minute
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	began := time.Now()
	err := cmd.Run()
	result := Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), Wall: time.Since(began)}
	if cmd.ProcessState != nil {
		result.ExitCode = cmd.ProcessState.ExitCode()
		result.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		result.PeakRSS = peakRSS(cmd.ProcessState)
	}
	var exitErr *exec.ExitError
	if err != nil && (!errors.As(err, &exitErr) || ctx.Err() != nil) {
		return result, fmt.Errorf("%s %s: %w", w.CLI.Product, strings.Join(args, " "), err)
	}
	return result, nil
}
