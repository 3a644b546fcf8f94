// Command wechat-bench measures what the provider costs in WeChat API calls, wall time
// and memory, next to what Terraform costs with no provider at all, and prints one
// markdown table of every figure with its target, ratio and whether it is met.
// `make bench` builds the binaries it drives and runs it; the performance guide
// (templates/guides/performance.md.tmpl) explains the figures.
//
// Usage:
//
//	wechat-bench -provider BIN/terraform-provider-wechat -mock BIN/wechat-mock
//	             [-terraform terraform] [-runs 5] [-work .build/bench] [-out FILE]
//	             [-go-bench FILE] [-members 10000] [-latency 50ms] [-parallelism 10]
//
// It builds nothing. Each run starts the standalone mock afresh (-addr 127.0.0.1:0),
// reads its calls by endpoint from the admin API (/_mock/calls, reset before every
// command) and drives the Terraform CLI through a dev_overrides CLI configuration, with
// no `terraform init`. In each run, in this order:
//
//   - Config A: 100 wechat_tag and 200 wechat_user_tags (each follower carrying 1 to 3
//     of the tags): apply, then `plan -refresh-only` and `plan`, both with
//     -detailed-exitcode, which must report no changes; the plan again with the plugin
//     libraries' trace logs on (TF_LOG_SDK*=trace), which the provider turns off by
//     default when Terraform discards them; and once more through the provider
//     wrapper of peakrss.go, for the provider's peak memory and CPU time.
//   - The floor: the same graph as terraform_data resources (built into Terraform, no
//     provider): apply, then plan. Run right after config A, so both meet the same load.
//   - Latency: 100 fresh wechat_tag applied with -parallelism, once as is and once with
//     the mock delaying every API call, each against a new mock.
//
// Then, once every other run is done, wechat_tag_members with -members openids, every
// command through the provider wrapper: apply, `plan -refresh-only`, `plan`, and the
// plan with the SDK's trace logs on. It is left out, and the table says so, when the
// provider has no such resource.
//
// Wall times are the Terraform process's, start to exit; CPU times are Terraform's and
// its provider processes'. The table gives medians and ratios of medians; no figure is
// ever a failure, only a command that fails is. -go-bench names the output of
// `go test -bench` (run by make), whose medians join the table. The table is printed
// and written to -out.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

func main() {
	if isProviderWrapper() {
		os.Exit(runProviderWrapper())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "wechat-bench:", err)
		}
		os.Exit(1)
	}
}

// maxAccountTags is how many tags WeChat lets an account create.
const maxAccountTags = 100

// options are the flags.
type options struct {
	terraform, provider, mock string
	work, out, goBench        string
	runs                      int
	tags, followers           int
	members                   int
	latency                   time.Duration
	parallelism, latencyTags  int
	seed                      int64
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("wechat-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.terraform, "terraform", "terraform", "the Terraform CLI to drive")
	fs.StringVar(&o.provider, "provider", "", "the provider binary, named terraform-provider-wechat (required)")
	fs.StringVar(&o.mock, "mock", "", "the wechat-mock binary (required)")
	fs.StringVar(&o.work, "work", ".build/bench", "directory for the working directories, logs and results")
	fs.StringVar(&o.out, "out", "", "file to write the table to (default WORK/results.md)")
	fs.StringVar(&o.goBench, "go-bench", "", "output of `go test -bench` to add to the table")
	fs.IntVar(&o.runs, "runs", 5, "runs of each scenario; the table gives medians")
	fs.IntVar(&o.tags, "tags", 100, "wechat_tag resources of config A (WeChat allows 100 tags an account)")
	fs.IntVar(&o.followers, "followers", 200, "wechat_user_tags resources of config A")
	fs.IntVar(&o.members, "members", 10000, "openids of the wechat_tag_members scenario; 0 leaves it out")
	fs.DurationVar(&o.latency, "latency", 50*time.Millisecond, "latency of every mock call in the latency scenario")
	fs.IntVar(&o.parallelism, "parallelism", 10, "terraform apply -parallelism in the latency scenario")
	fs.IntVar(&o.latencyTags, "latency-tags", 100, "wechat_tag resources of the latency scenario")
	fs.Int64Var(&o.seed, "seed", 1, "seed of the mock's generated followers")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q; see -h", fs.Args())
	case o.provider == "" || o.mock == "":
		return o, errors.New("-provider and -mock are required: `make bench` builds them into .build/bin and passes them")
	case filepath.Base(o.provider) != providerBinaryName:
		return o, fmt.Errorf("-provider %s: the binary must be named %s, the name dev_overrides looks for", o.provider, providerBinaryName)
	case o.runs < 1:
		return o, fmt.Errorf("-runs %d: want 1 or more", o.runs)
	case o.parallelism < 1:
		return o, fmt.Errorf("-parallelism %d: want 1 or more", o.parallelism)
	case o.members < 0:
		return o, fmt.Errorf("-members %d: want 0 or more", o.members)
	case o.tags > maxAccountTags:
		return o, fmt.Errorf("-tags %d: want at most %d, the tags WeChat (and the mock) allow an account", o.tags, maxAccountTags)
	case o.latencyTags < 1 || o.latencyTags > maxAccountTags:
		return o, fmt.Errorf("-latency-tags %d: want 1 to %d, the tags WeChat (and the mock) allow an account", o.latencyTags, maxAccountTags)
	}
	if o.out == "" {
		o.out = filepath.Join(o.work, "results.md")
	}
	var err error
	for _, p := range []*string{&o.provider, &o.mock, &o.work, &o.out} {
		if *p, err = filepath.Abs(*p); err != nil {
			return o, err
		}
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	c, err := findCLI(ctx, o.terraform)
	if err != nil {
		return err
	}
	b := &bench{options: o, cli: c, progress: stderr}
	r := results{
		machine: machine{
			date:      time.Now(),
			platform:  runtime.GOOS + "/" + runtime.GOARCH,
			cpus:      runtime.NumCPU(),
			terraform: c.version,
			goVersion: runtime.Version(),
			loadStart: loadAverage(),
		},
		runs: o.runs, tags: o.tags, followers: o.followers,
		latency: o.latency, parallelism: o.parallelism, latencyTags: o.latencyTags,
		members: o.members,
	}
	if o.goBench != "" {
		if r.goBench, err = readGoBench(o.goBench); err != nil {
			return err
		}
		if len(r.goBench) == 0 {
			r.goBenchNote = "no Benchmark functions in " + o.goBench
		}
	} else {
		r.goBenchNote = "not run: pass -go-bench with the output of `go test -run '^$' -bench . -benchmem`"
	}

	for i := range o.runs {
		b.logf("run %d of %d", i+1, o.runs)
		a, err := b.configA(ctx, i)
		if err != nil {
			return fmt.Errorf("config A, run %d: %w", i+1, err)
		}
		r.apply, r.refresh = append(r.apply, a.apply), append(r.refresh, a.refresh)
		r.plan, r.tracePlan, r.wrappedPlan = append(r.plan, a.plan), append(r.tracePlan, a.tracePlan), append(r.wrappedPlan, a.wrappedPlan)
		floorApply, floorPlan, err := b.floor(ctx, i)
		if err != nil {
			return fmt.Errorf("terraform_data floor, run %d: %w", i+1, err)
		}
		r.floorApply, r.floorPlan = append(r.floorApply, floorApply), append(r.floorPlan, floorPlan)
		baseline, err := b.latencyApply(ctx, i, 0)
		if err != nil {
			return fmt.Errorf("apply without latency, run %d: %w", i+1, err)
		}
		slow, err := b.latencyApply(ctx, i, o.latency)
		if err != nil {
			return fmt.Errorf("apply with %v latency, run %d: %w", o.latency, i+1, err)
		}
		r.latencyBaseline, r.latencyApply = append(r.latencyBaseline, baseline), append(r.latencyApply, slow)
	}

	switch o.members {
	case 0:
		r.membersNotRun = "-members 0"
	default:
		missing, err := b.membersResourceMissing(ctx)
		if err != nil {
			return err
		}
		if missing != "" {
			r.membersNotRun = missing
			b.logf("wechat_tag_members: not run: %s", missing)
			break
		}
		for i := range o.runs {
			b.logf("wechat_tag_members, run %d of %d", i+1, o.runs)
			m, err := b.tagMembers(ctx, i)
			if err != nil {
				return fmt.Errorf("wechat_tag_members, run %d: %w", i+1, err)
			}
			r.membersApply = append(r.membersApply, m.apply)
			r.membersRefresh = append(r.membersRefresh, m.refresh)
			r.membersPlan = append(r.membersPlan, m.plan)
			r.membersTracePlan = append(r.membersTracePlan, m.tracePlan)
		}
	}
	r.machine.loadEnd = loadAverage()

	table := r.markdown()
	fmt.Fprint(stdout, "\n"+table)
	if err := os.MkdirAll(filepath.Dir(o.out), 0o750); err != nil {
		return err
	}
	if err := os.WriteFile(o.out, []byte(table), 0o600); err != nil {
		return err
	}
	b.logf("written to %s", o.out)
	return nil
}

func readGoBench(path string) ([]goBenchmark, error) {
	data, err := os.ReadFile(filepath.Clean(path))
	if err != nil {
		return nil, fmt.Errorf("-go-bench: %w", err)
	}
	return parseGoBench(bytes.NewReader(data))
}

// loadAverage is the first three fields of /proc/loadavg, or empty where there is none.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	fields := strings.Fields(string(data))
	if len(fields) < 3 {
		return ""
	}
	return strings.Join(fields[:3], ", ")
}
