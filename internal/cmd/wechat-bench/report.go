package main

import (
	"fmt"
	"path"
	"strings"
	"time"
)

// Targets of the issue that asked for the bench.
const (
	planRatioTarget    = 1.3   // wechat plan wall time over the terraform_data floor's
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
	goVersion string
	loadStart string // /proc/loadavg's first three fields, when there is one
	loadEnd   string
}

// results are every figure of one bench run.
type results struct {
	machine machine
	runs    int

	// Config A: tags wechat_tag and followers wechat_user_tags, and its floor: the same
	// graph of terraform_data.
	tags, followers      int
	apply, refresh, plan series
	// tracePlan is plan again with the SDK's trace logs on (see sdkLogsTrace), and
	// wrappedPlan plan again through the provider wrapper, for the provider's memory and
	// CPU time.
	tracePlan, wrappedPlan   series
	floorApply, floorPlan    series
	latency                  time.Duration
	parallelism, latencyTags int
	// latencyApply is the apply of latencyTags fresh tags with latency on every call,
	// latencyBaseline the same apply without it.
	latencyApply, latencyBaseline series

	members                                                     int
	membersApply, membersRefresh, membersPlan, membersTracePlan series
	membersNotRun                                               string // why the scenario did not run

	goBench     []goBenchmark
	goBenchNote string // why there are no Go benchmark figures
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

func (r results) rows() []row {
	var rows []row
	add := func(rw row) { rows = append(rows, rw) }

	configA := fmt.Sprintf("A: %d wechat_tag + %d wechat_user_tags", r.tags, r.followers)
	refreshTarget := fmt.Sprintf("1 tags/get + %d getidlist + ≤ %d token, nothing else", r.followers, maxRefreshTokens)
	refreshMet := func(m measurement) bool {
		return m.calls[pathTagsGet] == 1 && m.calls[pathGetIDList] == r.followers &&
			m.calls[pathToken]+m.calls[pathStableToken] <= maxRefreshTokens &&
			otherCalls(m.calls, pathTagsGet, pathGetIDList, pathToken, pathStableToken) == 0
	}
	floorPlan, floorCPU := r.floorPlan.medianWall(), r.floorPlan.medianCPU()
	planRatio := ratio(r.plan.medianWall(), floorPlan)

	add(row{configA, "apply: API calls", formatCalls(r.apply), "", "", ""})
	add(row{configA, "apply: wall time", formatDuration(r.apply.medianWall()), "", "", ""})
	add(row{configA, "plan -refresh-only: API calls", formatCalls(r.refresh), refreshTarget, "", verdict(r.refresh.everyRun(refreshMet))})
	// Terraform 1.11 exits 2 from some refresh-only plans that print "No changes.", so
	// the printed verdict is the one checked here; plan's exit code is checked below.
	add(row{configA, "plan -refresh-only: outcome", formatOutcome(r.refresh), "“No changes.” in every run", "",
		verdict(r.refresh.everyRun(func(m measurement) bool { return m.noChanges }))})
	add(row{configA, "plan -refresh-only: wall time", formatDuration(r.refresh.medianWall()), "", "", ""})
	add(row{configA, "plan: API calls", formatCalls(r.plan), refreshTarget, "", verdict(r.plan.everyRun(refreshMet))})
	add(row{configA, "plan: outcome", formatOutcome(r.plan), "exit 0 (no changes) in every run", "",
		verdict(r.plan.everyRun(func(m measurement) bool { return m.exitCode == 0 }))})
	add(row{configA, "plan: wall time", formatDuration(r.plan.medianWall()),
		fmt.Sprintf("≤ %.1f × floor", planRatioTarget), formatRatio(planRatio), verdict(planRatio > 0 && planRatio <= planRatioTarget)})
	add(row{configA, "plan: CPU time, Terraform + provider", formatDuration(r.plan.medianCPU()), "", formatRatio(ratio(r.plan.medianCPU(), floorCPU)), ""})
	add(row{configA, "plan: provider CPU time (a plan through the wrapper)", formatDuration(r.wrappedPlan.medianProviderCPU()), "", "", ""})
	add(row{configA, "plan: provider peak RSS (the same plan)", formatPeakRSS(r.wrappedPlan), "", "", ""})
	add(row{configA, "plan, SDK trace logs on: wall time", formatDuration(r.tracePlan.medianWall()), "", formatRatio(ratio(r.tracePlan.medianWall(), floorPlan)), ""})
	add(row{configA, "plan, SDK trace logs on: CPU time", formatDuration(r.tracePlan.medianCPU()), "", formatRatio(ratio(r.tracePlan.medianCPU(), floorCPU)), ""})
	floor := fmt.Sprintf("Floor: %d terraform_data, same graph", r.tags+r.followers)
	add(row{floor, "apply: wall time", formatDuration(r.floorApply.medianWall()), "", "", ""})
	add(row{floor, "plan: wall time", formatDuration(floorPlan), "", "", ""})
	add(row{floor, "plan: CPU time", formatDuration(floorCPU), "", "", ""})

	rows = append(rows, r.membersRows()...)
	rows = append(rows, r.latencyRows()...)

	if len(r.goBench) == 0 {
		add(row{"Go benchmarks", "none", r.goBenchNote, "", "", ""})
	}
	for _, b := range r.goBench {
		add(row{"Go benchmark: " + path.Base(b.pkg), fmt.Sprintf("%s (median of %d)", b.name, b.runs()), b.summary(), "", "", ""})
	}
	return rows
}

func (r results) membersRows() []row {
	scenario := fmt.Sprintf("wechat_tag_members, %s openids", formatCount(r.members))
	if r.membersNotRun != "" {
		return []row{{scenario, "every figure", "not run: " + r.membersNotRun, "", "", "not run"}}
	}
	batches := (r.members + openIDsPerBatch - 1) / openIDsPerBatch
	// Every page, then the empty page that ends the listing: 2 calls for 10,000 members.
	maxReads := (r.members+membersPageSize-1)/membersPageSize + 1
	readsMet := func(m measurement) bool { return m.calls[pathUserTagGet] <= maxReads }
	return []row{
		{scenario, "apply: API calls", formatCalls(r.membersApply), fmt.Sprintf("%d batchtagging", batches), "",
			verdict(r.membersApply.everyRun(func(m measurement) bool { return m.calls[pathBatchTagging] == batches }))},
		{scenario, "apply: wall time", formatDuration(r.membersApply.medianWall()), "", "", ""},
		{scenario, "apply: provider peak RSS", formatPeakRSS(r.membersApply), "", "", ""},
		{scenario, "plan -refresh-only: API calls", formatCalls(r.membersRefresh), fmt.Sprintf("≤ %d user/tag/get", maxReads), "",
			verdict(r.membersRefresh.everyRun(readsMet))},
		{scenario, "plan: API calls", formatCalls(r.membersPlan), fmt.Sprintf("≤ %d user/tag/get", maxReads), "",
			verdict(r.membersPlan.everyRun(readsMet))},
		{scenario, "plan: outcome", formatOutcome(r.membersPlan), "exit 0 (no changes) in every run", "",
			verdict(r.membersPlan.everyRun(func(m measurement) bool { return m.exitCode == 0 }))},
		{scenario, "plan: wall time", formatDuration(r.membersPlan.medianWall()), "", "", ""},
		{scenario, "plan: CPU time, Terraform + provider", formatDuration(r.membersPlan.medianCPU()), "", "", ""},
		{scenario, "plan: provider CPU time", formatDuration(r.membersPlan.medianProviderCPU()), "", "", ""},
		{scenario, "plan: provider peak RSS", formatPeakRSS(r.membersPlan), "", "", ""},
		{scenario, "plan, SDK trace logs on: wall time", formatDuration(r.membersTracePlan.medianWall()), "", "", ""},
		{scenario, "plan, SDK trace logs on: provider peak RSS", formatPeakRSS(r.membersTracePlan), "", "", ""},
	}
}

func (r results) latencyRows() []row {
	scenario := fmt.Sprintf("Latency: %s a call, apply %d wechat_tag, -parallelism=%d", formatDuration(r.latency), r.latencyTags, r.parallelism)
	floor := time.Duration(r.latencyTags) * r.latency / time.Duration(max(r.parallelism, 1))
	wall := r.latencyApply.medianWall()
	latencyRatio := ratio(wall, floor)

	// Calls no parallelism can overlap: the token each provider process fetches before its
	// first tag call, and the tags/get the plan's name checks wait for.
	_, tokens := r.latencyApply.callRange(tokenPaths...)
	_, listings := r.latencyApply.callRange(pathTagsGet)
	serialFloor := floor + time.Duration(tokens+listings)*r.latency
	baseline := r.latencyBaseline.medianWall()
	added := wall - baseline

	return []row{
		{scenario, "apply: API calls", formatCalls(r.latencyApply), "", "", ""},
		{scenario, "apply: wall time", formatDuration(wall),
			fmt.Sprintf("≤ %.1f × %s (%d × %s / %d)", latencyRatioTarget, formatDuration(floor), r.latencyTags, formatDuration(r.latency), r.parallelism),
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

// formatOutcome is the exit code and whether Terraform printed "No changes.", as
// "exit 0, “No changes.”, in 5 of 5 runs", or run by run when runs differ.
func formatOutcome(s series) string {
	outcome := func(m measurement) string {
		if m.noChanges {
			return fmt.Sprintf("exit %d, “No changes.”", m.exitCode)
		}
		return fmt.Sprintf("exit %d, changes", m.exitCode)
	}
	outcomes := make([]string, len(s))
	same := true
	for i, m := range s {
		outcomes[i] = outcome(m)
		same = same && outcomes[i] == outcomes[0]
	}
	if same && len(s) > 0 {
		return fmt.Sprintf("%s, in %d of %d runs", outcomes[0], len(s), len(s))
	}
	return "by run: " + strings.Join(outcomes, "; ")
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
