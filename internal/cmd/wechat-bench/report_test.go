package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []time.Duration
		want time.Duration
	}{
		{nil, 0},
		{[]time.Duration{7}, 7},
		{[]time.Duration{9, 1, 5}, 5},
		{[]time.Duration{4, 1, 3, 2}, 2}, // (2+3)/2 in integer nanoseconds
		{[]time.Duration{10, 30, 20, 40}, 25},
	} {
		in := append([]time.Duration(nil), c.in...)
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", in, got, c.want)
		}
		for i := range in {
			if in[i] != c.in[i] {
				t.Fatalf("median reordered its argument: %v, was %v", c.in, in)
			}
		}
	}
	if got := median([]float64{1, 2}); got != 1.5 {
		t.Errorf("median of floats 1, 2 = %v, want 1.5", got)
	}
}

// refreshCalls is what one refresh of config A should cost.
func refreshCalls(followers int) map[string]int {
	return map[string]int{pathStableToken: 1, pathTagsGet: 1, pathGetIDList: followers}
}

// sampleResults are results that meet every target, for the tests to spoil one by one.
func sampleResults() results {
	run := func(wall time.Duration, calls map[string]int) measurement {
		return measurement{wall: wall, cpu: wall, calls: calls}
	}
	return results{
		runs:            3,
		apply:           series{run(8*time.Second, map[string]int{pathTagsCreate: 100})},
		plan:            series{run(1100*time.Millisecond, refreshCalls(200)), run(1200*time.Millisecond, refreshCalls(200)), run(5*time.Second, refreshCalls(200))},
		tracePlan:       series{run(2*time.Second, refreshCalls(200))},
		wrappedPlan:     series{measurement{provider: providerUsage{peakRSS: 40 << 20, cpu: time.Second, processes: 3}}},
		barePlan:        series{run(time.Second, nil), run(900*time.Millisecond, nil), run(1100*time.Millisecond, nil)},
		dataPlan:        series{run(500*time.Millisecond, nil)},
		latencyApply:    series{run(600*time.Millisecond, map[string]int{pathStableToken: 2, pathTagsGet: 1, pathTagsCreate: 100})},
		latencyBaseline: series{run(200*time.Millisecond, nil)},
		membersApply: series{measurement{calls: map[string]int{pathBatchTagging: 200, pathTagsCreate: 1, pathStableToken: 2},
			provider: providerUsage{peakRSS: 80 << 20, processes: 3}}},
		membersPlan: series{measurement{calls: map[string]int{pathUserTagGet: 2, pathTagsGet: 1},
			provider: providerUsage{peakRSS: 60 << 20, processes: 3}}},
	}
}

func findRow(t *testing.T, rows []row, scenarioPrefix, figure string) row {
	t.Helper()
	for _, r := range rows {
		if strings.HasPrefix(r.scenario, scenarioPrefix) && r.figure == figure {
			return r
		}
	}
	t.Fatalf("no row %q / %q", scenarioPrefix, figure)
	return row{}
}

func TestRows_meetEveryTargetOfGoodResults(t *testing.T) {
	rows := sampleResults().rows()
	for _, r := range rows {
		if r.result != "" && r.result != "met" {
			t.Errorf("%s / %s: %s (measured %s, target %s)", r.scenario, r.figure, r.result, r.measured, r.target)
		}
	}
	// The median plan (1.2 s) over the median bare plan (1 s): the 5 s outlier does not count.
	plan := findRow(t, rows, "A:", "plan: wall time")
	if plan.measured != "1.20 s" || plan.ratio != "1.20×" {
		t.Errorf("plan wall time row: measured %q ratio %q, want 1.20 s and 1.20×", plan.measured, plan.ratio)
	}
	if bare := findRow(t, rows, "Floor:", "plan: wall time (ratio over Terraform alone)"); bare.ratio != "2.00×" {
		t.Errorf("bare plan row %+v, want 1 s, 2.00× the 500 ms of terraform_data", bare)
	}
	calls := findRow(t, rows, "A:", "plan: API calls")
	if calls.measured != "stable_token 1 · tags/get 1 · tags/getidlist 200" {
		t.Errorf("refresh calls measured %q", calls.measured)
	}
	latency := findRow(t, rows, "Latency", "apply: wall time")
	if latency.ratio != "1.20×" || !strings.Contains(latency.target, "500 ms") {
		t.Errorf("latency row: ratio %q target %q, want 1.20× of 500 ms", latency.ratio, latency.target)
	}
	serial := findRow(t, rows, "Latency", "floor with the serial calls (2 token + 1 tags/get)")
	if serial.measured != "650 ms" {
		t.Errorf("floor with serial calls = %q, want 500 ms + 3 × 50 ms", serial.measured)
	}
	rss := findRow(t, rows, "wechat_tag_members", "plan: provider peak RSS")
	if rss.measured != "60.0 MiB (largest of 3 provider processes)" {
		t.Errorf("peak RSS row %q", rss.measured)
	}
}

func TestRows_reportEachMissedTarget(t *testing.T) {
	for _, c := range []struct {
		name             string
		spoil            func(*results)
		scenario, figure string
	}{
		{"a second tags/get in a plan", func(r *results) { r.plan[1].calls[pathTagsGet] = 2 },
			"A:", "plan: API calls"},
		{"a token call too many in a plan", func(r *results) { r.plan[0].calls[pathToken] = 1 },
			"A:", "plan: API calls"},
		{"a call to another endpoint in a plan", func(r *results) { r.plan[2].calls[pathBatchTagging] = 1 },
			"A:", "plan: API calls"},
		{"a getidlist missing", func(r *results) { r.plan[2].calls[pathGetIDList] = 199 },
			"A:", "plan: API calls"},
		{"a plan with changes", func(r *results) { r.plan[1].exitCode = 2 },
			"A:", "plan: outcome"},
		{"a plan of 10,000 members with changes", func(r *results) { r.membersPlan[0].exitCode = 2 },
			"wechat_tag_members", "plan: outcome"},
		{"a plan 1.5 times the floor", func(r *results) {
			for i := range r.plan {
				r.plan[i].wall = r.plan[i].wall * 3 / 2
			}
		}, "A:", "plan: wall time"},
		{"199 batchtagging calls", func(r *results) { r.membersApply[0].calls[pathBatchTagging] = 199 },
			"wechat_tag_members", "apply: API calls"},
		{"3 user/tag/get calls", func(r *results) { r.membersPlan[0].calls[pathUserTagGet] = 3 },
			"wechat_tag_members", "plan: API calls"},
		{"an apply 2 times the latency floor", func(r *results) { r.latencyApply[0].wall = time.Second },
			"Latency", "apply: wall time"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := sampleResults()
			c.spoil(&r)
			if got := findRow(t, r.rows(), c.scenario, c.figure); got.result != "not met" {
				t.Errorf("result %q, want not met (measured %s)", got.result, got.measured)
			}
		})
	}
}

func TestFormatCalls_showsTheRangeWhenRunsDiffer(t *testing.T) {
	s := series{
		{calls: map[string]int{pathGetIDList: 200, pathStableToken: 1}},
		{calls: map[string]int{pathGetIDList: 202, pathStableToken: 1, pathTagsGet: 0}},
		{calls: map[string]int{pathGetIDList: 200, pathStableToken: 1}},
	}
	if got, want := formatCalls(s), "stable_token 1 · tags/getidlist 200 (200–202)"; got != want {
		t.Errorf("formatCalls = %q, want %q", got, want)
	}
}

func TestFormatOutcome(t *testing.T) {
	same := series{{exitCode: 2}, {exitCode: 2}}
	if got, want := formatOutcome(same), "exit 2 in 2 of 2 runs"; got != want {
		t.Errorf("formatOutcome = %q, want %q", got, want)
	}
	mixed := series{{exitCode: 0}, {exitCode: 2}}
	if got, want := formatOutcome(mixed), "by run: exit 0; exit 2"; got != want {
		t.Errorf("formatOutcome = %q, want %q", got, want)
	}
}

func TestMarkdown_isOneTableWithTheMachine(t *testing.T) {
	r := sampleResults()
	r.machine = machine{date: time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC), platform: "linux/amd64", cpus: 2,
		terraform: "Terraform v1.11.4", goVersion: "go1.26.8", loadStart: "0.50, 0.40, 0.30", loadEnd: "1.00, 0.80, 0.60"}
	r.goBench = []goBenchmark{{pkg: "example.com/x/internal/wechat", name: "BenchmarkDecode",
		metrics: map[string][]float64{"ns/op": {2e6, 1e6, 3e6}}, units: []string{"ns/op"}}}
	md := r.markdown()
	for _, want := range []string{
		"linux/amd64, 2 CPUs, Terraform v1.11.4, go1.26.8; medians of 3 runs.",
		"0.50, 0.40, 0.30 at the start",
		"| Scenario | Figure | Measured | Target | Ratio | Result |",
		"| Go benchmark: wechat | BenchmarkDecode (median of 3) | 2.00 ms/op |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	table := md[strings.Index(md, "| Scenario"):]
	for i, line := range strings.Split(strings.TrimSpace(table), "\n") {
		if got := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|"); got != 7 {
			t.Errorf("table line %d has %d cell separators, want 7: %s", i, got, line)
		}
	}
}

func TestReadProviderUsage_takesTheLargestPeakAndTheSumOfCPUTimes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "provider-usage")
	if err := os.WriteFile(path, []byte("101 2048 1000\n102 8192 250000000\n103 4096 5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	usage, err := readProviderUsage(path)
	if want := (providerUsage{peakRSS: 8192, cpu: 250001005, processes: 3}); err != nil || usage != want {
		t.Errorf("got %+v (%v), want %+v", usage, err, want)
	}
	for _, malformed := range []string{"101 2048\n", "101 2048 x\n"} {
		if err := os.WriteFile(path, []byte(malformed), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := readProviderUsage(path); err == nil {
			t.Errorf("the line %q was accepted", malformed)
		}
	}
}
