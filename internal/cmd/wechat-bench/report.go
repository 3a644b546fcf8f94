package main

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"time"
)

// Targets of the issue that asked for the bench, the plan's as the team set it again.
const (
	planRatioTarget    = 1.5   // wechat plan wall time over the bare provider's
	latencyRatioTarget = 1.3   // apply wall time under latency over the latency floor
	maxRefreshTokens   = 1     // token calls a refresh may make: one per provider process
	membersPageSize    = 10000 // followers a user/tag/get page lists
	openIDsPerBatch    = 50    // openids per batchtagging call, WeChat's limit
)

// machine describes where the figures were measured.
type machine struct {
	date      time.Time
	platform  string // GOOS/GOARCH
	cpus      int
	terraform string
	// queryTerraform is the CLI of the adoption scenario, when it is another.
	queryTerraform string
	goVersion      string
	loadStart      string // /proc/loadavg's first three fields, when there is one
	loadEnd        string
}

// results are every figure of one bench run.
type results struct {
	machine machine
	runs    int

	// Config A. tracePlan is plan again with the SDK's trace logs on (see sdkLogsTrace),
	// wrappedPlan plan again through the provider wrapper, for the provider's memory.
	apply, plan, tracePlan, wrappedPlan series
	// The plans of config A's graph as bare_echo and as terraform_data.
	barePlan, dataPlan series
	// latencyApply is the apply of latencyTags fresh tags with latency on every call,
	// latencyBaseline the same apply without it.
	latencyApply, latencyBaseline series
	membersApply, membersPlan     series
	membersFile                   []*membersFileSeries
	followerReads                 []*followerReadsSeries
	adoption                      []*adoptionSeries

	goBench []goBenchmark
}

// row is one line of the table. result is "met", "not met", or empty for a figure
// without a target.
type row struct {
	scenario, figure, measured, target, ratio, result string
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "not met"
}

func exitedZero(m measurement) bool { return m.exitCode == 0 }

const noChangesTarget = "exit 0 (no changes) in every run"

func (r results) rows() []row {
	configA := fmt.Sprintf("A: %d wechat_tag + %d wechat_user_tags", benchTags, benchFollowers)
	refreshMet := func(m measurement) bool {
		return m.calls[pathTagsGet] == 1 && m.calls[pathGetIDList] == benchFollowers &&
			m.calls[pathToken]+m.calls[pathStableToken] <= maxRefreshTokens &&
			otherCalls(m.calls, pathTagsGet, pathGetIDList, pathToken, pathStableToken) == 0
	}
	bare, bareCPU := r.barePlan.medianWall(), r.barePlan.medianCPU()
	planRatio := ratio(r.plan.medianWall(), bare)
	bareScenario := fmt.Sprintf("Floor: %d bare_echo, a provider on terraform-plugin-go alone", benchTags+benchFollowers)
	dataScenario := fmt.Sprintf("Terraform alone: %d terraform_data", benchTags+benchFollowers)

	rows := []row{
		{configA, "apply: API calls", formatCalls(r.apply), "", "", ""},
		{configA, "plan: API calls", formatCalls(r.plan),
			fmt.Sprintf("1 tags/get + %d getidlist + ≤ %d token, nothing else", benchFollowers, maxRefreshTokens), "",
			verdict(r.plan.everyRun(refreshMet))},
		{configA, "plan: outcome", formatOutcome(r.plan), noChangesTarget, "", verdict(r.plan.everyRun(exitedZero))},
		{configA, "plan: wall time", formatDuration(r.plan.medianWall()), fmt.Sprintf("≤ %.1f × floor", planRatioTarget),
			formatRatio(planRatio), verdict(planRatio > 0 && planRatio <= planRatioTarget)},
		{configA, "plan: CPU time, Terraform + provider", formatDuration(r.plan.medianCPU()), "", formatRatio(ratio(r.plan.medianCPU(), bareCPU)), ""},
		{configA, "plan: provider peak RSS (a plan through the wrapper)", formatPeakRSS(r.wrappedPlan), "", "", ""},
		{configA, "plan, SDK trace logs on: wall time", formatDuration(r.tracePlan.medianWall()), "", formatRatio(ratio(r.tracePlan.medianWall(), bare)), ""},
		{bareScenario, "plan: wall time (ratio over Terraform alone)", formatDuration(bare), "", formatRatio(ratio(bare, r.dataPlan.medianWall())), ""},
		{bareScenario, "plan: CPU time (ratio over Terraform alone)", formatDuration(bareCPU), "", formatRatio(ratio(bareCPU, r.dataPlan.medianCPU())), ""},
		{dataScenario, "plan: wall time", formatDuration(r.dataPlan.medianWall()), "", "", ""},
		{dataScenario, "plan: CPU time", formatDuration(r.dataPlan.medianCPU()), "", "", ""},
	}
	rows = append(rows, r.membersRows()...)
	for _, s := range r.membersFile {
		rows = append(rows, s.rows()...)
	}
	for _, s := range r.followerReads {
		rows = append(rows, s.rows()...)
	}
	for _, s := range r.adoption {
		rows = append(rows, s.rows()...)
	}
	rows = append(rows, r.latencyRows()...)
	if len(r.goBench) == 0 {
		rows = append(rows, row{"Go benchmarks", "none", "not run: pass -go-bench with the output of `go test -run '^$' -bench . -benchmem`", "", "", ""})
	}
	for _, b := range r.goBench {
		rows = append(rows, row{"Go benchmark: " + path.Base(b.pkg), fmt.Sprintf("%s (median of %d)", b.name, b.runs()), b.summary(), "", "", ""})
	}
	return rows
}

func (r results) membersRows() []row {
	scenario := fmt.Sprintf("wechat_tag_members, %s openids", formatCount(benchMembers))
	batches := (benchMembers + openIDsPerBatch - 1) / openIDsPerBatch
	// Every page, then the empty page that ends the listing: 2 calls for 10,000 members.
	maxReads := benchMembers/membersPageSize + 1
	return []row{
		{scenario, "apply: API calls", formatCalls(r.membersApply), fmt.Sprintf("%d batchtagging", batches), "",
			verdict(r.membersApply.everyRun(func(m measurement) bool { return m.calls[pathBatchTagging] == batches }))},
		{scenario, "plan: API calls", formatCalls(r.membersPlan), fmt.Sprintf("≤ %d user/tag/get", maxReads), "",
			verdict(r.membersPlan.everyRun(func(m measurement) bool { return m.calls[pathUserTagGet] <= maxReads }))},
		{scenario, "plan: outcome", formatOutcome(r.membersPlan), noChangesTarget, "", verdict(r.membersPlan.everyRun(exitedZero))},
		{scenario, "plan: wall time", formatDuration(r.membersPlan.medianWall()), "", "", ""},
		{scenario, "plan: CPU time, Terraform + provider", formatDuration(r.membersPlan.medianCPU()), "", "", ""},
		{scenario, "plan: provider CPU time", formatDuration(r.membersPlan.medianProviderCPU()), "", "", ""},
		{scenario, "plan: provider peak RSS", formatPeakRSS(r.membersPlan), "", "", ""},
		{scenario, "plan: peak RSS of the largest process", formatBytes(r.membersPlan.medianLargestPeakRSS()), "", "", ""},
	}
}

func (r results) latencyRows() []row {
	scenario := fmt.Sprintf("Latency: %s a call, apply %d wechat_tag, -parallelism=%d", formatDuration(latency), latencyTags, parallelism)
	floor := latencyTags * latency / parallelism // were every call overlapped with nine others
	wall := r.latencyApply.medianWall()
	latencyRatio := ratio(wall, floor)

	// Calls no parallelism can overlap: the token each provider process fetches before its
	// first tag call, and the tags/get the plan's name checks wait for.
	_, tokens := r.latencyApply.callRange(pathToken, pathStableToken)
	_, listings := r.latencyApply.callRange(pathTagsGet)
	serialFloor := floor + time.Duration(tokens+listings)*latency
	baseline := r.latencyBaseline.medianWall()
	added := wall - baseline

	return []row{
		{scenario, "apply: API calls", formatCalls(r.latencyApply), "", "", ""},
		{scenario, "apply: wall time", formatDuration(wall),
			fmt.Sprintf("≤ %.1f × %s (%d × %s / %d)", latencyRatioTarget, formatDuration(floor), latencyTags, formatDuration(latency), parallelism),
			formatRatio(latencyRatio), verdict(latencyRatio > 0 && latencyRatio <= latencyRatioTarget)},
		{scenario, fmt.Sprintf("floor with the serial calls (%d token + %d tags/get)", tokens, listings), formatDuration(serialFloor), "", formatRatio(ratio(wall, serialFloor)), ""},
		{scenario, "the same apply without latency", formatDuration(baseline), "", "", ""},
		{scenario, "time the latency added (apply − apply without latency)", formatDuration(added), "", formatRatio(ratio(added, floor)) + " of the floor", ""},
	}
}

// markdown renders the results as a heading, the machine, and one table.
func (r results) markdown() string {
	var b strings.Builder
	m := r.machine
	fmt.Fprintf(&b, "### wechat-bench, %s\n\n", m.date.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "%s, %d CPUs, %s, %s; medians of %d runs.", m.platform, m.cpus, m.terraform, m.goVersion, r.runs)
	if m.queryTerraform != "" {
		fmt.Fprintf(&b, " The adoption scenario ran on %s.", m.queryTerraform)
	}
	if m.loadStart != "" {
		fmt.Fprintf(&b, " Load average (1, 5, 15 min) %s at the start, %s at the end.", m.loadStart, m.loadEnd)
	}
	b.WriteString("\n\n| Scenario | Figure | Measured | Target | Ratio | Result |\n|---|---|---|---|---|---|\n")
	for _, rw := range r.rows() {
		cells := []string{rw.scenario, rw.figure, rw.measured, rw.target, rw.ratio, rw.result}
		for i, c := range cells {
			cells[i] = strings.ReplaceAll(c, "|", `\|`)
		}
		fmt.Fprintf(&b, "| %s |\n", strings.Join(cells, " | "))
	}
	return b.String()
}

// formatCalls lists the calls by endpoint, as the median over the runs with the range
// when runs differ: "stable_token 1 · tags/get 1 · tags/getidlist 200".
func formatCalls(s series) string {
	endpoints := s.endpoints()
	if len(endpoints) == 0 {
		return "none"
	}
	parts := make([]string, len(endpoints))
	for i, path := range endpoints {
		counts := make([]int, len(s))
		for j, m := range s {
			counts[j] = m.calls[path]
		}
		least, most := s.callRange(path)
		parts[i] = fmt.Sprintf("%s %d", shortPath(path), median(counts))
		if least != most {
			parts[i] += fmt.Sprintf(" (%d–%d)", least, most)
		}
	}
	return strings.Join(parts, " · ")
}

// formatOutcome is the exit code, as "exit 0 in 5 of 5 runs", or run by run when runs
// differ.
func formatOutcome(s series) string {
	codes := make([]string, len(s))
	for i, m := range s {
		codes[i] = fmt.Sprintf("exit %d", m.exitCode)
	}
	if len(s) > 0 && !slices.ContainsFunc(codes, func(c string) bool { return c != codes[0] }) {
		return fmt.Sprintf("%s in %d of %d runs", codes[0], len(s), len(s))
	}
	return "by run: " + strings.Join(codes, "; ")
}

func formatPeakRSS(s series) string {
	if len(s) == 0 || s[0].provider.processes == 0 {
		return "not measured"
	}
	processes := make([]int, len(s))
	for i, m := range s {
		processes[i] = m.provider.processes
	}
	return fmt.Sprintf("%s (largest of %d provider processes)", formatBytes(s.medianPeakRSS()), median(processes))
}

func formatDuration(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%d ms", d.Round(time.Millisecond).Milliseconds())
	}
	return d.String()
}

func formatNanoseconds(ns float64) string {
	switch {
	case ns >= 1e9:
		return fmt.Sprintf("%.2f s", ns/1e9)
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	}
	return fmt.Sprintf("%.0f ns", ns)
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func formatRatio(r float64) string {
	if r == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f×", r)
}

// formatCount writes n with thousands separators: 10,000.
func formatCount(n int) string {
	sign, digits := "", fmt.Sprint(n)
	if n < 0 {
		sign, digits = "-", digits[1:]
	}
	for i := len(digits) - 3; i > 0; i -= 3 {
		digits = digits[:i] + "," + digits[i:]
	}
	return sign + digits
}
