package main

import (
	"maps"
	"slices"
	"strings"
	"time"
)

// measurement is one terraform command of one run.
type measurement struct {
	wall time.Duration
	// cpu is the user and system time of Terraform and the provider processes.
	cpu      time.Duration
	exitCode int
	// noChanges is whether Terraform printed "No changes.".
	noChanges bool
	calls     map[string]int // API calls by path, e.g. "/cgi-bin/tags/get"
	// provider is what the provider wrapper recorded; zero when it was not used.
	provider providerUsage
}

// series is the same command measured once per run.
type series []measurement

func (s series) walls() []time.Duration {
	walls := make([]time.Duration, len(s))
	for i, m := range s {
		walls[i] = m.wall
	}
	return walls
}

func (s series) medianWall() time.Duration { return median(s.walls()) }

func (s series) medianCPU() time.Duration {
	cpus := make([]time.Duration, len(s))
	for i, m := range s {
		cpus[i] = m.cpu
	}
	return median(cpus)
}

func (s series) medianPeakRSS() int64 {
	peaks := make([]int64, len(s))
	for i, m := range s {
		peaks[i] = m.provider.peakRSS
	}
	return median(peaks)
}

func (s series) medianProviderCPU() time.Duration {
	cpus := make([]time.Duration, len(s))
	for i, m := range s {
		cpus[i] = m.provider.cpu
	}
	return median(cpus)
}

// endpoints are the paths called in any run, sorted.
func (s series) endpoints() []string {
	seen := map[string]bool{}
	for _, m := range s {
		for path, n := range m.calls {
			if n > 0 {
				seen[path] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// callRange is the fewest and most calls to the paths, summed, of any run.
func (s series) callRange(paths ...string) (least, most int) {
	for i, m := range s {
		n := 0
		for _, path := range paths {
			n += m.calls[path]
		}
		if i == 0 {
			least, most = n, n
		}
		least, most = min(least, n), max(most, n)
	}
	return least, most
}

// everyRun reports whether ok holds for every run, and is false for no run at all.
func (s series) everyRun(ok func(measurement) bool) bool {
	return len(s) > 0 && !slices.ContainsFunc(s, func(m measurement) bool { return !ok(m) })
}

// otherCalls sums the calls to paths outside allowed.
func otherCalls(calls map[string]int, allowed ...string) int {
	n := 0
	for path, count := range calls {
		if !slices.Contains(allowed, path) {
			n += count
		}
	}
	return n
}

type number interface {
	~int | ~int64 | ~float64
}

// median of xs, the mean of the two middle values for an even count; 0 for none.
func median[T number](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	mid := len(sorted) / 2
	if len(sorted)%2 == 1 {
		return sorted[mid]
	}
	return (sorted[mid-1] + sorted[mid]) / 2
}

// ratio is a/b, or 0 when b is 0.
func ratio[T number](a, b T) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Endpoint paths the targets name.
const (
	pathToken          = "/cgi-bin/token"
	pathStableToken    = "/cgi-bin/stable_token"
	pathTagsGet        = "/cgi-bin/tags/get"
	pathTagsCreate     = "/cgi-bin/tags/create"
	pathGetIDList      = "/cgi-bin/tags/getidlist"
	pathUserTagGet     = "/cgi-bin/user/tag/get"
	pathBatchTagging   = "/cgi-bin/tags/members/batchtagging"
	pathBatchUntagging = "/cgi-bin/tags/members/batchuntagging"
)

var tokenPaths = []string{pathToken, pathStableToken}

func shortPath(path string) string { return strings.TrimPrefix(path, "/cgi-bin/") }
