package main

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// measurement is one terraform command of one run.
type measurement struct {
	wall time.Duration
	// cpu is the user and system time of Terraform and the provider processes.
	cpu      time.Duration
	exitCode int
	calls    map[string]int // API calls by path, e.g. "/cgi-bin/tags/get"
	// provider is what the provider wrapper recorded; zero when it was not used.
	provider providerUsage
	// peakRSS is that of the command's largest process, Terraform or a provider (0 off
	// Linux); stateBytes the size of terraform.tfstate after it, planBytes that of the
	// plan it saved, if it saved one.
	peakRSS, stateBytes, planBytes int64
	output                         string
}

// series is the same command measured once per run.
type series []measurement

// medianOf is the median over the runs of what f reads from each.
func medianOf[T number](s series, f func(measurement) T) T {
	xs := make([]T, len(s))
	for i, m := range s {
		xs[i] = f(m)
	}
	return median(xs)
}

func (s series) medianWall() time.Duration {
	return medianOf(s, func(m measurement) time.Duration { return m.wall })
}

func (s series) medianCPU() time.Duration {
	return medianOf(s, func(m measurement) time.Duration { return m.cpu })
}

func (s series) medianPeakRSS() int64 {
	return medianOf(s, func(m measurement) int64 { return m.provider.peakRSS })
}

// medianLargestPeakRSS is the peak RSS of the largest process of each command, Terraform
// or a provider.
func (s series) medianLargestPeakRSS() int64 {
	return medianOf(s, measurement.largestPeakRSS)
}

// largestPeakRSS is the peak RSS of the command's largest process, Terraform or a provider.
func (m measurement) largestPeakRSS() int64 { return max(m.peakRSS, m.provider.peakRSS) }

func (s series) medianProviderCPU() time.Duration {
	return medianOf(s, func(m measurement) time.Duration { return m.provider.cpu })
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

func shortPath(path string) string { return strings.TrimPrefix(path, "/cgi-bin/") }

// providerUsage is what the provider wrappers recorded for one command.
type providerUsage struct {
	peakRSS   int64         // the largest peak resident set size of a provider process, in bytes
	cpu       time.Duration // user and system time of every provider process
	processes int
}

// readProviderUsage reads the wrappers' lines: pid, peak RSS in bytes, CPU time in
// nanoseconds.
func readProviderUsage(path string) (providerUsage, error) {
	var usage providerUsage
	data, err := os.ReadFile(filepath.Clean(path))
	if err != nil {
		return usage, err
	}
	for line := range strings.Lines(string(data)) {
		fields := strings.Fields(line)
		if len(fields) != 3 {
			return usage, fmt.Errorf("%s: unexpected line %q", path, line)
		}
		var values [2]int64
		for i, field := range fields[1:] {
			if values[i], err = strconv.ParseInt(field, 10, 64); err != nil {
				return usage, fmt.Errorf("%s: %w", path, err)
			}
		}
		usage.peakRSS = max(usage.peakRSS, values[0])
		usage.cpu += time.Duration(values[1])
		usage.processes++
	}
	return usage, nil
}
