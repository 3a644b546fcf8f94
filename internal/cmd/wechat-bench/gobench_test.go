package main

import (
	"strings"
	"testing"
)

const goTestBenchOutput = `goos: linux
goarch: amd64
pkg: github.com/wechat-tf/terraform-provider-wechat/internal/provider
cpu: Intel(R) Xeon(R) CPU @ 2.20GHz
BenchmarkDiffOpenIDSets-2   	     512	   2304511 ns/op	 1208344 B/op	      27 allocs/op
BenchmarkDiffOpenIDSets-2   	     498	   2104511 ns/op	 1208344 B/op	      27 allocs/op
BenchmarkDiffOpenIDSets-2   	     530	   2504511 ns/op	 1208352 B/op	      28 allocs/op
PASS
ok  	github.com/wechat-tf/terraform-provider-wechat/internal/provider	5.123s
pkg: github.com/wechat-tf/terraform-provider-wechat/internal/wechat
BenchmarkDecodeTagMembersPage   	     300	   3900000 ns/op	   10000 openids/op	  900000 B/op	   10012 allocs/op
BenchmarkDecodeTagMembersPage   	     310	   3700000 ns/op	   10000 openids/op	  900000 B/op	   10012 allocs/op
--- BENCH: BenchmarkSomethingElse
PASS
`

func TestParseGoBench_mediansEachBenchmarkOfEachPackage(t *testing.T) {
	benchmarks, err := parseGoBench(strings.NewReader(goTestBenchOutput))
	if err != nil {
		t.Fatal(err)
	}
	if len(benchmarks) != 2 {
		t.Fatalf("parsed %d benchmarks, want 2: %+v", len(benchmarks), benchmarks)
	}
	diff, decode := benchmarks[0], benchmarks[1]
	if diff.pkg != "github.com/wechat-tf/terraform-provider-wechat/internal/provider" || diff.name != "BenchmarkDiffOpenIDSets" {
		t.Errorf("first benchmark is %s %s", diff.pkg, diff.name)
	}
	if diff.runs() != 3 || decode.runs() != 2 {
		t.Errorf("runs: %d and %d, want 3 and 2", diff.runs(), decode.runs())
	}
	if got, want := diff.summary(), "2.30 ms/op · 1.2 MiB/op · 27 allocs/op"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	if got, want := decode.summary(), "3.80 ms/op · 10,000 openids/op · 878.9 KiB/op · 10,012 allocs/op"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
}

func TestParseGoBench_findsNothingInOutputWithoutBenchmarks(t *testing.T) {
	benchmarks, err := parseGoBench(strings.NewReader("PASS\nok  \texample.com/x\t0.01s\n?   \texample.com/y\t[no test files]\n"))
	if err != nil || len(benchmarks) != 0 {
		t.Errorf("got %v, %v; want no benchmarks and no error", benchmarks, err)
	}
}

func TestFormatMetric(t *testing.T) {
	for value, want := range map[float64]string{
		96: "96", 10012: "10,012", 1234567: "1,234,567", -2500: "-2,500", 47.2431: "47.24", 0.5: "0.50",
	} {
		if got := formatMetric(value); got != want {
			t.Errorf("formatMetric(%v) = %q, want %q", value, got, want)
		}
	}
}
