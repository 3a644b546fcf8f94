package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

// bench runs the scenarios.
type bench struct {
	options
	cli      cli
	progress io.Writer
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.progress, "wechat-bench: "+format+"\n", args...)
}

// Arguments of every command: no prompt, no colour, warnings (dev_overrides) in brief.
var (
	applyArgs   = []string{"apply", "-auto-approve", "-input=false", "-no-color", "-compact-warnings"}
	planArgs    = []string{"plan", "-detailed-exitcode", "-input=false", "-no-color", "-compact-warnings"}
	refreshArgs = []string{"plan", "-refresh-only", "-detailed-exitcode", "-input=false", "-no-color", "-compact-warnings"}
	// Exit codes of a plan with -detailed-exitcode that ran: 0 no changes, 2 changes.
	planCodes = []int{0, 2}
	// sdkLogsTrace turns back on the trace logs of the plugin framework and
	// terraform-plugin-go, which the provider turns off when Terraform would discard them
	// (main.go), to show what that saves.
	sdkLogsTrace = []string{"TF_LOG_SDK=trace", "TF_LOG_SDK_PROTO=trace", "TF_LOG_SDK_FRAMEWORK=trace"}
)

// wechatWorkspace is a working directory whose provider is the one under test, against
// the mock m.
func (b *bench) wechatWorkspace(dir string, m *mock) (*workspace, error) {
	env := []string{
		"WECHAT_APP_ID=" + benchAppID,
		"WECHAT_APP_SECRET=" + benchAppSecret,
		"WECHAT_BASE_URL=" + m.url,
		// The provider's other settings at their defaults, whatever the caller's environment.
		"WECHAT_ACCESS_TOKEN=",
		"WECHAT_TOKEN_ENDPOINT=",
		"WECHAT_MAX_RETRIES=",
		"WECHAT_REQUEST_TIMEOUT=",
	}
	return newWorkspace(b.cli, filepath.Join(dir, "terraform"), filepath.Dir(b.provider), env...)
}

// measuringProvider is w with the provider run through the wrapper of peakrss.go, which
// records each provider process's peak memory and CPU time in usageFile.
func (b *bench) measuringProvider(w *workspace, usageFile string) (*workspace, error) {
	wrapperDir := filepath.Join(filepath.Dir(w.dir), "provider-wrapper")
	if err := providerWrapperDir(wrapperDir); err != nil {
		return nil, err
	}
	cliConfig := filepath.Join(w.dir, "dev-wrapper.tfrc")
	if err := writeDevOverrides(cliConfig, w.cli, wrapperDir); err != nil {
		return nil, err
	}
	return w.withEnv("TF_CLI_CONFIG_FILE="+cliConfig, envRealProvider+"="+b.provider, envPeakRSSFile+"="+usageFile), nil
}

// measure runs one command and reads the API calls it made and, with usageFile, what
// the provider wrapper recorded there.
func measure(ctx context.Context, w *workspace, m *mock, usageFile string, okCodes []int, args ...string) (measurement, error) {
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
	result := measurement{
		wall:      command.wall,
		cpu:       command.cpu,
		exitCode:  command.exitCode,
		noChanges: bytes.Contains(command.stdout, []byte("No changes.")),
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

// configARun is what one run of config A measured: the commands of configA in order.
type configARun struct {
	apply, refresh, plan, tracePlan, wrappedPlan measurement
}

// configA applies config A to a new mock, then measures a refresh-only plan, a plan, a
// plan with the SDK's trace logs on, and a plan through the provider wrapper.
func (b *bench) configA(ctx context.Context, run int) (configARun, error) {
	var r configARun
	dir := filepath.Join(b.work, "config-a", fmt.Sprintf("run-%d", run+1))
	// A quarter more followers than the configuration manages, as on a real account.
	m, err := startMock(ctx, b.mock, dir, b.followers+b.followers/4, b.seed)
	if err != nil {
		return r, err
	}
	defer m.stop()
	openids, err := m.followers(ctx)
	if err != nil {
		return r, err
	}
	f, err := newFixture(openids, b.tags, b.followers)
	if err != nil {
		return r, err
	}
	w, err := b.wechatWorkspace(dir, m)
	if err != nil {
		return r, err
	}
	defer w.close()
	usageFile := filepath.Join(dir, "provider-usage")
	wrapped, err := b.measuringProvider(w, usageFile)
	if err != nil {
		return r, err
	}
	if err := w.writeConfig(wechatConfig(f)); err != nil {
		return r, err
	}
	if r.apply, err = measure(ctx, w, m, "", []int{0}, applyArgs...); err != nil {
		return r, err
	}
	if err := checkTags(ctx, m, f.tags); err != nil {
		return r, err
	}
	for _, step := range []struct {
		into      *measurement
		w         *workspace
		usageFile string
		args      []string
	}{
		{&r.refresh, w, "", refreshArgs},
		{&r.plan, w, "", planArgs},
		{&r.tracePlan, w.withEnv(sdkLogsTrace...), "", planArgs},
		{&r.wrappedPlan, wrapped, usageFile, planArgs},
	} {
		if *step.into, err = measure(ctx, step.w, m, step.usageFile, planCodes, step.args...); err != nil {
			return r, err
		}
	}
	b.logf("  config A: apply %s, plan -refresh-only %s, plan %s (exit %d), plan with SDK trace logs %s, provider peak RSS %s",
		formatDuration(r.apply.wall), formatDuration(r.refresh.wall), formatDuration(r.plan.wall), r.plan.exitCode,
		formatDuration(r.tracePlan.wall), formatBytes(r.wrappedPlan.provider.peakRSS))
	return r, nil
}

// checkTags proves the apply made what it was measured making.
func checkTags(ctx context.Context, m *mock, names []string) error {
	tags, err := m.tags(ctx)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, t := range tags {
		have[t.Name] = true
	}
	for _, name := range names {
		if !have[name] {
			return fmt.Errorf("after the apply the mock has no tag %q", name)
		}
	}
	return nil
}

// floor applies config A's graph as terraform_data, then measures a plan.
func (b *bench) floor(ctx context.Context, run int) (apply, plan measurement, err error) {
	dir := filepath.Join(b.work, "floor", fmt.Sprintf("run-%d", run+1))
	// Openids from the mock's generator: terraform_data checks nothing, so they only
	// have to weigh what config A's weigh.
	f, err := newFixture(mockwechat.GenerateOpenIDs(b.followers, b.seed), b.tags, b.followers)
	if err != nil {
		return apply, plan, err
	}
	// The same CLI configuration as config A's, so that both pay for the same warnings.
	w, err := newWorkspace(b.cli, filepath.Join(dir, "terraform"), filepath.Dir(b.provider))
	if err != nil {
		return apply, plan, err
	}
	defer w.close()
	if err = w.writeConfig(floorConfig(f)); err != nil {
		return apply, plan, err
	}
	if apply, err = measure(ctx, w, nil, "", []int{0}, applyArgs...); err != nil {
		return apply, plan, err
	}
	plan, err = measure(ctx, w, nil, "", []int{0}, planArgs...)
	b.logf("  floor: apply %s, plan %s", formatDuration(apply.wall), formatDuration(plan.wall))
	return apply, plan, err
}

// latencyApply applies fresh tags to a new mock that delays every call by latency.
func (b *bench) latencyApply(ctx context.Context, run int, latency time.Duration) (measurement, error) {
	dir := filepath.Join(b.work, "latency", fmt.Sprintf("run-%d-%s", run+1, latency))
	m, err := startMock(ctx, b.mock, dir, 0, b.seed)
	if err != nil {
		return measurement{}, err
	}
	defer m.stop()
	if err := m.setLatency(ctx, latency); err != nil {
		return measurement{}, err
	}
	w, err := b.wechatWorkspace(dir, m)
	if err != nil {
		return measurement{}, err
	}
	defer w.close()
	names := tagNames("latency", b.latencyTags)
	if err := w.writeConfig(tagsConfig(names)); err != nil {
		return measurement{}, err
	}
	apply, err := measure(ctx, w, m, "", []int{0}, append(applyArgs, "-parallelism="+strconv.Itoa(b.parallelism))...)
	if err != nil {
		return measurement{}, err
	}
	b.logf("  %d tags, latency %s: apply %s", b.latencyTags, latency, formatDuration(apply.wall))
	return apply, checkTags(ctx, m, names)
}

// membersResourceMissing says why the provider cannot run the wechat_tag_members
// scenario, from its schema; empty when it can.
func (b *bench) membersResourceMissing(ctx context.Context) (string, error) {
	dir := filepath.Join(b.work, "members", "schema")
	w, err := newWorkspace(b.cli, dir, filepath.Dir(b.provider))
	if err != nil {
		return "", err
	}
	defer w.close()
	if err := w.writeConfig(providerHeader); err != nil {
		return "", err
	}
	schema, err := w.run(ctx, []int{0}, "providers", "schema", "-json")
	if err != nil {
		return "", fmt.Errorf("reading the provider's schema: %w", err)
	}
	return membersSchemaProblem(schema.stdout, b.cli.registry+"/wechat-tf/wechat")
}

// membersSchemaProblem reads the output of `terraform providers schema -json` and says
// what the scenario needs that the schema lacks.
func membersSchemaProblem(schemaJSON []byte, provider string) (string, error) {
	var schemas struct {
		ProviderSchemas map[string]struct {
			ResourceSchemas map[string]struct {
				Block struct {
					Attributes map[string]json.RawMessage `json:"attributes"`
				} `json:"block"`
			} `json:"resource_schemas"`
		} `json:"provider_schemas"`
	}
	if err := json.Unmarshal(schemaJSON, &schemas); err != nil {
		return "", fmt.Errorf("terraform providers schema -json: %w", err)
	}
	p, ok := schemas.ProviderSchemas[provider]
	if !ok {
		return "", fmt.Errorf("terraform providers schema -json lists no provider %s", provider)
	}
	resource, ok := p.ResourceSchemas["wechat_tag_members"]
	if !ok {
		return "the provider has no wechat_tag_members resource", nil
	}
	for _, attr := range []string{"tag_id", "openids", "exclusive"} {
		if _, ok := resource.Block.Attributes[attr]; !ok {
			return "wechat_tag_members has no attribute " + attr, nil
		}
	}
	return "", nil
}

// membersRun is what one run of the wechat_tag_members scenario measured.
type membersRun struct {
	apply, refresh, plan, tracePlan measurement
}

// tagMembers applies one tag given to -members followers through wechat_tag_members,
// then measures a refresh-only plan, a plan, and a plan with the SDK's trace logs on, every
// command through the provider wrapper.
func (b *bench) tagMembers(ctx context.Context, run int) (membersRun, error) {
	var r membersRun
	dir := filepath.Join(b.work, "members", fmt.Sprintf("run-%d", run+1))
	m, err := startMock(ctx, b.mock, dir, b.members, b.seed)
	if err != nil {
		return r, err
	}
	defer m.stop()
	openids, err := m.followers(ctx)
	if err != nil {
		return r, err
	}
	plain, err := b.wechatWorkspace(dir, m)
	if err != nil {
		return r, err
	}
	defer plain.close()
	usageFile := filepath.Join(dir, "provider-usage")
	w, err := b.measuringProvider(plain, usageFile)
	if err != nil {
		return r, err
	}
	const tag = "bench-members"
	if err := w.writeConfig(membersConfig(tag, openids[:b.members])); err != nil {
		return r, err
	}
	if r.apply, err = measure(ctx, w, m, usageFile, []int{0}, applyArgs...); err != nil {
		return r, err
	}
	count, err := m.tagCount(ctx, tag)
	if err != nil {
		return r, err
	}
	if count != b.members {
		return r, fmt.Errorf("after the apply %d followers carry %q, want %d", count, tag, b.members)
	}
	if r.refresh, err = measure(ctx, w, m, usageFile, planCodes, refreshArgs...); err != nil {
		return r, err
	}
	if r.plan, err = measure(ctx, w, m, usageFile, planCodes, planArgs...); err != nil {
		return r, err
	}
	if r.tracePlan, err = measure(ctx, w.withEnv(sdkLogsTrace...), m, usageFile, planCodes, planArgs...); err != nil {
		return r, err
	}
	b.logf("  members: apply %s, plan -refresh-only %s, plan %s (exit %d), provider peak RSS %s, plan with SDK trace logs %s",
		formatDuration(r.apply.wall), formatDuration(r.refresh.wall), formatDuration(r.plan.wall), r.plan.exitCode,
		formatBytes(r.plan.provider.peakRSS), formatDuration(r.tracePlan.wall))
	return r, nil
}
