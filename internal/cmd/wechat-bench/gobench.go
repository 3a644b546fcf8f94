package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// goBenchmark is one Go benchmark's results over the -count runs of `go test -bench`.
type goBenchmark struct {
	pkg  string // import path, from the "pkg:" line before it
	name string // without the -GOMAXPROCS suffix
	// metrics holds each run's value by unit, such as "ns/op", "B/op", "allocs/op".
	metrics map[string][]float64
	units   []string // in the order go test printed them
}

var benchmarkLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)((?:\s+[0-9.e+-]+ \S+)+)\s*$`)

// parseGoBench reads the output of `go test -bench` (not -json), in the order the
// benchmarks first appear.
func parseGoBench(r io.Reader) ([]goBenchmark, error) {
	var (
		benchmarks []goBenchmark
		index      = map[string]int{}
		pkg        string
	)
	scanner := bufio.NewScanner(r)
	for scanner.Scan() {
		line := scanner.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		match := benchmarkLine.FindStringSubmatch(line)
		if match == nil {
			continue
		}
		key := pkg + " " + match[1]
		i, seen := index[key]
		if !seen {
			i = len(benchmarks)
			index[key] = i
			benchmarks = append(benchmarks, goBenchmark{pkg: pkg, name: match[1], metrics: map[string][]float64{}})
		}
		b := &benchmarks[i]
		fields := strings.Fields(match[3])
		for j := 0; j+1 < len(fields); j += 2 {
			value, err := strconv.ParseFloat(fields[j], 64)
			if err != nil {
				return nil, fmt.Errorf("benchmark line %q: %w", line, err)
			}
			unit := fields[j+1]
			if _, known := b.metrics[unit]; !known {
				b.units = append(b.units, unit)
			}
			b.metrics[unit] = append(b.metrics[unit], value)
		}
	}
	return benchmarks, scanner.Err()
}

// summary is each metric's median over the runs, e.g. "1.25 ms/op · 812 KiB/op · 3 allocs/op".
func (b goBenchmark) summary() string {
	parts := make([]string, 0, len(b.units))
	for _, unit := range b.units {
		value := median(b.metrics[unit])
		switch unit {
		case "ns/op":
			parts = append(parts, formatNanoseconds(value)+"/op")
		case "B/op":
			parts = append(parts, formatBytes(int64(value))+"/op")
		default:
			parts = append(parts, formatMetric(value)+" "+unit)
		}
	}
	return strings.Join(parts, " · ")
}

// formatMetric writes a whole number with thousands separators (10,012 allocs/op), any
// other with two decimals (47.24 MB/s).
func formatMetric(value float64) string {
	if value == math.Trunc(value) && math.Abs(value) < 1e15 {
		return formatCount(int(value))
	}
	return strconv.FormatFloat(value, 'f', 2, 64)
}

func (b goBenchmark) runs() int {
	n := 0
	for _, values := range b.metrics {
		n = max(n, len(values))
	}
	return n
}
