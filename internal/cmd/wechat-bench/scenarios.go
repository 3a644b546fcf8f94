package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
	"github.com/wechat-tf/terraform-provider-wechat/internal/tfcli"
)

// bench runs the scenarios.
type bench struct {
	options
	cli      tfcli.CLI
	progress io.Writer
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.progress, "wechat-bench: "+format+"\n", args...)
}

// Arguments of every command: no prompt, no colour, warnings (dev_overrides) in brief.
var (
	applyArgs = []string{"apply", "-auto-approve", "-input=false", "-no-color", "-compact-warnings", "-parallelism=" + strconv.Itoa(parallelism)}
	planArgs  = []string{"plan", "-detailed-exitcode", "-input=false", "-no-color", "-compact-warnings"}
	// Exit codes of a plan with -detailed-exitcode that ran: 0 no changes, 2 changes.
	planCodes = []int{0, 2}
	// sdkLogsTrace turns back on the trace logs of the plugin framework and
	// terraform-plugin-go, which the provider turns off when Terraform would discard them
	// (main.go), to show what that saves.
	sdkLogsTrace = []string{"TF_LOG_SDK=trace", "TF_LOG_SDK_PROTO=trace", "TF_LOG_SDK_FRAMEWORK=trace"}
)

// workdir is a working directory of the bench, whose CLI configuration runs both the
// provider under test and the bare provider through dev_overrides (every configuration
// pays for the same warnings), and which keeps what every command printed in
// terraform.log.
type workdir struct {
	tfcli.Workdir
	log *os.File
}

func (b *bench) workdir(dir string, env ...string) (*workdir, error) {
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	env = append([]string{
		// Logging would time the log writer, not Terraform.
		"TF_LOG=", "TF_LOG_PROVIDER=", "TF_LOG_PATH=",
		// The provider's settings at their defaults, whatever the caller's environment.
		"WECHAT_ACCESS_TOKEN=", "WECHAT_TOKEN_ENDPOINT=", "WECHAT_MAX_RETRIES=", "WECHAT_REQUEST_TIMEOUT=",
	}, env...)
	w, err := b.cli.NewWorkdir(dir, map[string]string{
		tfcli.ProviderSource: filepath.Dir(b.provider),
		bareSource:           filepath.Dir(b.bareProvider),
	}, env...)
	if err != nil {
		return nil, err
	}
	log, err := os.Create(filepath.Clean(filepath.Join(dir, "terraform.log")))
	if err != nil {
		return nil, err
	}
	return &workdir{Workdir: w, log: log}, nil
}

// wechatWorkdir is a working directory whose provider talks to the mock m.
func (b *bench) wechatWorkdir(dir string, m *mock) (*workdir, error) {
	return b.workdir(filepath.Join(dir, "terraform"),
		"WECHAT_APP_ID="+benchAppID, "WECHAT_APP_SECRET="+benchAppSecret, "WECHAT_BASE_URL="+m.url)
}

func (w *workdir) close() { _ = w.log.Close() }

func (w *workdir) withEnv(env ...string) *workdir {
	return &workdir{Workdir: w.WithEnv(env...), log: w.log}
}

func (w *workdir) writeConfig(hcl string) error {
	return os.WriteFile(filepath.Join(w.Dir, "main.tf"), []byte(hcl), 0o600)
}

// run runs one command. An exit code outside okCodes is an error that quotes the end of
// the output.
func (w *workdir) run(ctx context.Context, okCodes []int, args ...string) (tfcli.Result, error) {
	result, err := w.Run(ctx, args...)
	fmt.Fprintf(w.log, "$ terraform %s\n%s\n", strings.Join(args, " "), result.Output())
	if err != nil || slices.Contains(okCodes, result.ExitCode) {
		return result, err
	}
	return result, fmt.Errorf("terraform %s exited %d (log: %s):\n%s",
		strings.Join(args, " "), result.ExitCode, w.log.Name(), tail(result.Output(), 30))
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// The environment that tells the provider wrapper what to run and where to record.
const (
	envRealProvider = "WECHAT_BENCH_REAL_PROVIDER"
	envPeakRSSFile  = "WECHAT_BENCH_PEAK_RSS_FILE"
)

// measuringProvider is w with the provider run through the wrapper of peakrss_linux.go,
// which records each provider process's peak memory and CPU time in the file it returns.
// Elsewhere than on Linux it is w, and the file is empty: nothing is measured.
func (b *bench) measuringProvider(w *workdir) (*workdir, string, error) {
	if runtime.GOOS != "linux" {
		return w, "", nil
	}
	wrapperDir := filepath.Join(filepath.Dir(w.Dir), "provider-wrapper")
	if err := providerWrapperDir(wrapperDir); err != nil {
		return nil, "", err
	}
	wrapped := w.withEnv(envRealProvider+"="+b.provider, envPeakRSSFile+"="+filepath.Join(wrapperDir, "usage"))
	wrapped.CLIConfig = filepath.Join(w.Dir, "dev-wrapper.tfrc")
	err := b.cli.WriteDevOverrides(wrapped.CLIConfig, map[string]string{tfcli.ProviderSource: wrapperDir})
	return wrapped, filepath.Join(wrapperDir, "usage"), err
}

// providerWrapperDir makes dir hold a link named terraform-provider-wechat to this
// program, for dev_overrides to point at.
func providerWrapperDir(dir string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	link := filepath.Join(dir, providerBinaryName)
	_ = os.Remove(link)
	return os.Symlink(self, link)
}

// measure runs one command and reads the API calls it made, from the mock m if there is
// one, and what the provider wrapper recorded in usageFile if it is not empty.
func measure(ctx context.Context, w *workdir, m *mock, usageFile string, okCodes []int, args ...string) (measurement, error) {
	if m != nil {
		if err := m.resetCalls(ctx); err != nil {
			return measurement{}, err
		}
	}
	if usageFile != "" {
		if err := os.Remove(usageFile); err != nil && !errors.Is(err, os.ErrNotExist) {
			return measurement{}, err
		}
	}
	command, err := w.run(ctx, okCodes, args...)
	if err != nil {
		return measurement{}, err
	}
	result := measurement{wall: command.Wall, cpu: command.CPU, exitCode: command.ExitCode, peakRSS: command.PeakRSS, output: command.Output()}
	if info, err := os.Stat(filepath.Join(w.Dir, "terraform.tfstate")); err == nil {
		result.stateBytes = info.Size()
	}
	if m != nil {
		if result.calls, err = m.calls(ctx); err != nil {
			return measurement{}, err
		}
	}
	if usageFile != "" {
		if result.provider, err = readProviderUsage(usageFile); err != nil {
			return measurement{}, fmt.Errorf("the provider wrapper recorded nothing: %w", err)
		}
	}
	return result, nil
}

// configARun is what one run of config A measured.
type configARun struct {
	apply, plan, tracePlan, wrappedPlan measurement
}

// configA applies config A to a new mock, then measures a plan, a plan with the SDK's
// trace logs on, and a plan through the provider wrapper.
func (b *bench) configA(ctx context.Context, run int) (configARun, error) {
	var r configARun
	dir := filepath.Join(b.work, "config-a", fmt.Sprintf("run-%d", run+1))
	// A quarter more followers than the configuration manages, as on a real account.
	m, err := startMock(ctx, b.mock, dir, benchFollowers+benchFollowers/4)
	if err != nil {
		return r, err
	}
	defer m.stop()
	openids, err := m.followers(ctx)
	if err != nil {
		return r, err
	}
	f, err := newFixture(openids, benchTags, benchFollowers)
	if err != nil {
		return r, err
	}
	w, err := b.wechatWorkdir(dir, m)
	if err != nil {
		return r, err
	}
	defer w.close()
	wrapped, usageFile, err := b.measuringProvider(w)
	if err != nil {
		return r, err
	}
	if err := w.writeConfig(wechatConfig(f)); err != nil {
		return r, err
	}
	if r.apply, err = measure(ctx, w, m, "", []int{0}, applyArgs...); err != nil {
		return r, err
	}
	for _, step := range []struct {
		into      *measurement
		w         *workdir
		usageFile string
	}{
		{&r.plan, w, ""},
		{&r.tracePlan, w.withEnv(sdkLogsTrace...), ""},
		{&r.wrappedPlan, wrapped, usageFile},
	} {
		if *step.into, err = measure(ctx, step.w, m, step.usageFile, planCodes, planArgs...); err != nil {
			return r, err
		}
	}
	b.logf("  config A: apply %s, plan %s (exit %d), plan with SDK trace logs %s, provider peak RSS %s",
		formatDuration(r.apply.wall), formatDuration(r.plan.wall), r.plan.exitCode,
		formatDuration(r.tracePlan.wall), formatBytes(r.wrappedPlan.provider.peakRSS))
	return r, nil
}

// floor applies config A's graph as resources of f, then measures a plan.
func (b *bench) floor(ctx context.Context, run int, f floorResource) (measurement, error) {
	dir := filepath.Join(b.work, "floor-"+f.resourceType, fmt.Sprintf("run-%d", run+1))
	// Openids from the mock's generator: the floors check nothing, so they only have to
	// weigh what config A's weigh.
	fix, err := newFixture(mockwechat.GenerateOpenIDs(benchFollowers, seed), benchTags, benchFollowers)
	if err != nil {
		return measurement{}, err
	}
	w, err := b.workdir(filepath.Join(dir, "terraform"))
	if err != nil {
		return measurement{}, err
	}
	defer w.close()
	if err = w.writeConfig(floorConfig(fix, f)); err != nil {
		return measurement{}, err
	}
	if _, err = w.run(ctx, []int{0}, applyArgs...); err != nil {
		return measurement{}, err
	}
	plan, err := measure(ctx, w, nil, "", []int{0}, planArgs...)
	b.logf("  %s floor: plan %s", f.resourceType, formatDuration(plan.wall))
	return plan, err
}

// latencyApply applies fresh tags to a new mock that delays every call by latency.
func (b *bench) latencyApply(ctx context.Context, run int, latency time.Duration) (measurement, error) {
	dir := filepath.Join(b.work, "latency", fmt.Sprintf("run-%d-%s", run+1, latency))
	m, err := startMock(ctx, b.mock, dir, 0)
	if err != nil {
		return measurement{}, err
	}
	defer m.stop()
	if err := m.setLatency(ctx, latency); err != nil {
		return measurement{}, err
	}
	w, err := b.wechatWorkdir(dir, m)
	if err != nil {
		return measurement{}, err
	}
	defer w.close()
	if err := w.writeConfig(tagsConfig(tagNames("latency", latencyTags))); err != nil {
		return measurement{}, err
	}
	apply, err := measure(ctx, w, m, "", []int{0}, applyArgs...)
	b.logf("  %d tags, latency %s: apply %s", latencyTags, latency, formatDuration(apply.wall))
	return apply, err
}

// tagMembers applies one tag given to benchMembers followers through
// wechat_tag_members, then measures a plan, both through the provider wrapper.
func (b *bench) tagMembers(ctx context.Context, run int) (apply, plan measurement, err error) {
	dir := filepath.Join(b.work, "members", fmt.Sprintf("run-%d", run+1))
	m, err := startMock(ctx, b.mock, dir, benchMembers)
	if err != nil {
		return apply, plan, err
	}
	defer m.stop()
	openids, err := m.followers(ctx)
	if err != nil {
		return apply, plan, err
	}
	plain, err := b.wechatWorkdir(dir, m)
	if err != nil {
		return apply, plan, err
	}
	defer plain.close()
	w, usageFile, err := b.measuringProvider(plain)
	if err != nil {
		return apply, plan, err
	}
	if err := w.writeConfig(membersConfig("bench-members", openids[:benchMembers])); err != nil {
		return apply, plan, err
	}
	if apply, err = measure(ctx, w, m, usageFile, []int{0}, applyArgs...); err != nil {
		return apply, plan, err
	}
	plan, err = measure(ctx, w, m, usageFile, planCodes, planArgs...)
	b.logf("  members: apply %s, plan %s (exit %d), provider peak RSS %s",
		formatDuration(apply.wall), formatDuration(plan.wall), plan.exitCode, formatBytes(plan.provider.peakRSS))
	return apply, plan, err
}
