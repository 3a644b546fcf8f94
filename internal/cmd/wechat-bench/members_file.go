package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The openids_file scenario: one wechat_tag_members whose followers a file lists, at each
// size of -members, as the 100,000-member issue set its goals.
const (
	membersChanged = 5 // followers a change takes out of the file, and puts in
	membersDrift   = 3 // members untagged, and followers tagged, outside Terraform
	// membersFileName is the file, relative to the working directory, as path.module
	// writes it in a root module.
	membersFileName = "members.txt"
	savedPlan       = "change.tfplan"
)

// membersFileSeries is what the runs of the openids_file scenario measured at one size.
type membersFileSeries struct {
	size int
	// apply from empty; plan with no changes; the plan and the apply of a change of
	// 2×membersChanged followers in the file; the plan after membersDrift followers were
	// untagged and membersDrift others tagged outside Terraform (exclusive = true).
	apply, plan, changePlan, changeApply, driftPlan series
}

func membersFileConfig(tagName string) string {
	return providerHeader + fmt.Sprintf(`
resource "wechat_tag" "members" {
  name = %q
}

resource "wechat_tag_members" "members" {
  tag_id       = wechat_tag.members.id
  openids_file = "${path.module}/%s"
  exclusive    = true
}
`, tagName, membersFileName)
}

func writeMembersFile(dir string, openids []string) error {
	return os.WriteFile(filepath.Join(dir, membersFileName), []byte(strings.Join(openids, "\n")+"\n"), 0o600)
}

// tagMembersFile measures one run of the openids_file scenario with n followers, every
// command through the provider wrapper.
func (b *bench) tagMembersFile(ctx context.Context, run, n int, into *membersFileSeries) error {
	dir := filepath.Join(b.work, "members-file", strconv.Itoa(n), fmt.Sprintf("run-%d", run+1))
	m, err := startMock(ctx, b.mock, dir, n+membersChanged+membersDrift)
	if err != nil {
		return err
	}
	defer m.stop()
	openids, err := m.followers(ctx)
	if err != nil {
		return err
	}
	plain, err := b.wechatWorkdir(dir, m)
	if err != nil {
		return err
	}
	defer plain.close()
	w, usageFile, err := b.measuringProvider(plain)
	if err != nil {
		return err
	}
	if err := w.writeConfig(membersFileConfig("bench-members")); err != nil {
		return err
	}
	if err := writeMembersFile(w.Dir, openids[:n]); err != nil {
		return err
	}
	step := func(into *series, okCodes []int, args ...string) error {
		result, err := measure(ctx, w, m, usageFile, okCodes, args...)
		*into = append(*into, result)
		return err
	}
	if err := step(&into.apply, []int{0}, applyArgs...); err != nil {
		return err
	}
	if err := step(&into.plan, planCodes, planArgs...); err != nil {
		return err
	}
	// The first followers leave the file, as many new ones come in.
	if err := writeMembersFile(w.Dir, openids[membersChanged:n+membersChanged]); err != nil {
		return err
	}
	// Saved, for the size of a plan of 100,000 openids.
	if err := step(&into.changePlan, planCodes, append(slices.Clone(planArgs), "-out="+savedPlan)...); err != nil {
		return err
	}
	if info, err := os.Stat(filepath.Join(w.Dir, savedPlan)); err == nil {
		into.changePlan[len(into.changePlan)-1].planBytes = info.Size()
	}
	if err := step(&into.changeApply, []int{0}, applyArgs...); err != nil {
		return err
	}
	// Outside Terraform: members lose the tag, followers beyond the file get it.
	tagID, err := m.tagNamed(ctx, "bench-members")
	if err != nil {
		return err
	}
	for i := range membersDrift {
		if err := m.admin(ctx, http.MethodPost, "/_mock/users/untag", map[string]any{"openid": openids[membersChanged+i], "tagid": tagID}, nil); err != nil {
			return err
		}
		if err := m.admin(ctx, http.MethodPost, "/_mock/users/tag", map[string]any{"openid": openids[n+membersChanged+i], "tagid": tagID}, nil); err != nil {
			return err
		}
	}
	// In full: -compact-warnings would print the warning's summary alone.
	fullPlan := slices.DeleteFunc(slices.Clone(planArgs), func(arg string) bool { return arg == "-compact-warnings" })
	result, err := measure(ctx, w, m, usageFile, planCodes, fullPlan...)
	into.driftPlan = append(into.driftPlan, result)
	if err != nil {
		return err
	}
	// The plan must name the drift, not only show a new digest.
	for _, openid := range []string{openids[membersChanged], openids[n+membersChanged]} {
		if !strings.Contains(result.output, openid) {
			return fmt.Errorf("the plan after drift does not name %s:\n%s", openid, tail(result.output, 40))
		}
	}
	last := func(s series) measurement { return s[len(s)-1] }
	b.logf("  %s openids: apply %s, plan %s (peak RSS %s), change: plan %s, apply %s; drift plan exit %d; state %s",
		formatCount(n), formatDuration(last(into.apply).wall), formatDuration(last(into.plan).wall), formatBytes(last(into.plan).peakRSS),
		formatDuration(last(into.changePlan).wall), formatDuration(last(into.changeApply).wall), result.exitCode,
		formatBytes(last(into.changeApply).stateBytes))
	return nil
}

// tagNamed is the id of the mock's tag named name.
func (m *mock) tagNamed(ctx context.Context, name string) (int64, error) {
	var state struct {
		Tags []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"tags"`
	}
	if err := m.admin(ctx, http.MethodGet, "/_mock/state", nil, &state); err != nil {
		return 0, err
	}
	for _, t := range state.Tags {
		if t.Name == name {
			return t.ID, nil
		}
	}
	return 0, errors.New("the mock has no tag named " + name)
}

// parseSizes reads a flag of sizes separated by commas, each at least least.
func parseSizes(flag, list string, least int) ([]int, error) {
	if list == "" {
		return nil, nil
	}
	var sizes []int
	for _, field := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil || n < least {
			return nil, fmt.Errorf("-%s %q: want counts of at least %d, separated by commas", flag, list, least)
		}
		sizes = append(sizes, n)
	}
	return sizes, nil
}

// The goals of the 100,000-member issue.
const (
	membersPlanTarget    = 30 * time.Second
	membersPeakRSSTarget = 1 << 30
	membersStateTarget   = 5 << 20
)

func exitedTwo(m measurement) bool { return m.exitCode == 2 }

func (s *membersFileSeries) rows() []row {
	scenario := fmt.Sprintf("wechat_tag_members, openids_file, exclusive, %s openids", formatCount(s.size))
	batches := (s.size + openIDsPerBatch - 1) / openIDsPerBatch
	// Every page, then the empty page that ends the listing: FACTS.md leaves the page
	// size uncertain, so a short page is no proof of the end.
	maxReads := (s.size+membersPageSize-1)/membersPageSize + 1
	within := func(d time.Duration) string { return verdict(d > 0 && d <= membersPlanTarget) }
	stateBytes := medianOf(s.changeApply, func(m measurement) int64 { return m.stateBytes })
	planBytes := medianOf(s.changePlan, func(m measurement) int64 { return m.planBytes })
	return []row{
		{scenario, "apply from empty: API calls", formatCalls(s.apply), fmt.Sprintf("%d batchtagging, no batchuntagging", batches), "",
			verdict(s.apply.everyRun(func(m measurement) bool {
				return m.calls[pathBatchTagging] == batches && m.calls[pathBatchUntagging] == 0
			}))},
		{scenario, "apply from empty: wall time", formatDuration(s.apply.medianWall()), "", "", ""},
		{scenario, "plan, no changes: API calls", formatCalls(s.plan), fmt.Sprintf("≤ %d user/tag/get", maxReads), "",
			verdict(s.plan.everyRun(func(m measurement) bool { return m.calls[pathUserTagGet] <= maxReads }))},
		{scenario, "plan, no changes: outcome", formatOutcome(s.plan), noChangesTarget, "", verdict(s.plan.everyRun(exitedZero))},
		{scenario, "plan, no changes: wall time", formatDuration(s.plan.medianWall()), "≤ 30 s", "", within(s.plan.medianWall())},
		{scenario, "plan, no changes: peak RSS of the largest process", formatBytes(s.plan.medianLargestPeakRSS()), "≤ 1 GiB", "",
			verdict(s.plan.medianLargestPeakRSS() > 0 && s.plan.medianLargestPeakRSS() <= membersPeakRSSTarget)},
		{scenario, "plan, no changes: provider peak RSS", formatPeakRSS(s.plan), "", "", ""},
		{scenario, fmt.Sprintf("plan of %d followers changed in the file: wall time", 2*membersChanged), formatDuration(s.changePlan.medianWall()),
			"≤ 30 s, exit 2", "", verdict(s.changePlan.everyRun(exitedTwo) && s.changePlan.medianWall() <= membersPlanTarget)},
		{scenario, fmt.Sprintf("apply of %d followers changed: API calls", 2*membersChanged), formatCalls(s.changeApply), "≤ 2 batch calls", "",
			verdict(s.changeApply.everyRun(func(m measurement) bool { return m.calls[pathBatchTagging]+m.calls[pathBatchUntagging] <= 2 }))},
		{scenario, "state file", formatBytes(stateBytes), "≤ 5 MiB", "", verdict(stateBytes > 0 && stateBytes <= membersStateTarget)},
		{scenario, "saved plan of the change", formatBytes(planBytes), "≤ 5 MiB", "", verdict(planBytes > 0 && planBytes <= membersStateTarget)},
		{scenario, fmt.Sprintf("plan after %d tagged and %d untagged outside Terraform", membersDrift, membersDrift),
			formatOutcome(s.driftPlan) + ", " + formatDuration(s.driftPlan.medianWall()), "exit 2, naming them", "",
			verdict(s.driftPlan.everyRun(exitedTwo))},
	}
}
