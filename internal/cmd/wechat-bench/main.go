// Command wechat-bench measures the figures of the performance guide
// (templates/guides/performance.md.tmpl): what the provider costs in WeChat API calls,
// wall time and memory, next to what a provider that does nothing costs, and prints one
// markdown table of every figure with its target, ratio and whether it is met. `make
// bench` builds the binaries it drives and runs it.
//
// Usage:
//
//	wechat-bench -provider BIN/terraform-provider-wechat -bare-provider BIN/terraform-provider-bare
//	             -mock BIN/wechat-mock [-terraform terraform] [-query-terraform terraform-1.14]
//	             [-runs 5] [-work .build/bench]
//	             [-out FILE] [-go-bench FILE]
//
// It builds nothing. Each run starts the standalone mock afresh (-addr 127.0.0.1:0),
// reads its calls by endpoint from the admin API (/_mock/calls, reset before every
// command) and drives the CLI through a dev_overrides CLI configuration, with no
// `terraform init`. In each run, in this order:
//
//   - Config A: 100 wechat_tag and 200 wechat_user_tags (each follower carrying 1 to 3
//     of the tags): apply, then `plan -detailed-exitcode`, which must report no changes;
//     the plan again with the plugin libraries' trace logs on (TF_LOG_SDK*=trace), which
//     the provider turns off when Terraform discards them; and once more through the
//     provider wrapper of peakrss_linux.go, for the provider's peak memory.
//   - The floor: the same graph as bare_echo resources of the bare provider
//     (bareprovider/), on terraform-plugin-go with no framework, which does nothing;
//     then as terraform_data, built into Terraform, which needs no plugin at all. Each is
//     applied, then planned. Run right after config A, so that all three meet the same load.
//   - Latency: 100 fresh wechat_tag applied ten at a time, once as is and once with the
//     mock delaying every API call by 50 ms, each against a new mock.
//
// Then, once every other run is done, wechat_tag_members with 10,000 openids in its
// openids list, every command through the provider wrapper: apply, then plan. Last, at
// each size of -members, wechat_tag_members with openids_file and exclusive = true:
// apply, a plan with no changes, the plan and apply of a change of ten followers in the
// file, and a plan after followers were tagged and untagged outside Terraform, which
// must name them (members_file.go). Then, at each size of -adopt, the adoption guide's
// commands as -guides prints them, on an account of 30 tags, one carried by that many
// followers, and a plan after them, which must report no changes (adoption.go).
//
// Wall times are the CLI process's, start to exit; CPU times are the CLI's and its
// provider processes'. The table gives medians and ratios of medians; no figure is ever a
// failure, only a command that fails is. -go-bench names the output of `go test -bench`
// (run by make), whose medians join the table. The table is printed and written to -out.
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

	"github.com/wechat-tf/terraform-provider-wechat/internal/tfcli"
)

func main() {
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

// The scenarios of the guide.
const (
	benchTags      = 100 // wechat_tag of config A: as many as WeChat lets an account create
	benchFollowers = 200 // wechat_user_tags of config A
	benchMembers   = 10000
	latency        = 50 * time.Millisecond
	latencyTags    = 100
	parallelism    = 10 // terraform apply's default, given explicitly
	seed           = 1  // of the mock's generated followers
)

// The binaries dev_overrides runs, and the bare provider's source.
const (
	providerBinaryName = "terraform-provider-wechat"
	bareBinaryName     = "terraform-provider-bare"
	bareSource         = "bench/bare"
)

// options are the flags.
type options struct {
	terraform, queryTerraform, provider, bareProvider, mock string
	work, out, goBench, guides                              string
	runs                                                    int
	members, followerReads, adopt                           []int
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("wechat-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.terraform, "terraform", "terraform", "the Terraform CLI to drive")
	fs.StringVar(&o.queryTerraform, "query-terraform", "", "the Terraform CLI of the adoption scenario, 1.14 or later for `terraform query` (default -terraform)")
	fs.StringVar(&o.provider, "provider", "", "the provider binary, named terraform-provider-wechat (required)")
	fs.StringVar(&o.bareProvider, "bare-provider", "", "the bare provider of ./bareprovider, named terraform-provider-bare (required)")
	fs.StringVar(&o.mock, "mock", "", "the wechat-mock binary (required)")
	fs.StringVar(&o.work, "work", ".build/bench", "directory for the working directories, logs and results")
	fs.StringVar(&o.out, "out", "", "file to write the table to (default WORK/results.md)")
	fs.StringVar(&o.goBench, "go-bench", "", "output of `go test -bench` to add to the table")
	fs.IntVar(&o.runs, "runs", 5, "runs of each scenario; the table gives medians")
	members := fs.String("members", "10000,50000,100000", "sizes of the openids_file scenario, in followers, separated by commas")
	followerReads := fs.String("follower-reads", followerReadsSizes, "sizes of the follower-reads scenario, in wechat_user_tags, separated by commas")
	adopt := fs.String("adopt", adoptionSizes, "sizes of the adoption scenario, in followers of its big tag, separated by commas")
	fs.StringVar(&o.guides, "guides", "examples/guides", "the guides' examples, whose query-adopt the adoption scenario runs")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var err error
	if o.members, err = parseSizes("members", *members, 2*membersChanged); err != nil {
		return o, err
	}
	if o.followerReads, err = parseSizes("follower-reads", *followerReads, 1); err != nil {
		return o, err
	}
	if o.adopt, err = parseSizes("adopt", *adopt, adoptionSmallTag); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q; see -h", fs.Args())
	case o.provider == "" || o.bareProvider == "" || o.mock == "":
		return o, errors.New("-provider, -bare-provider and -mock are required: `make bench` builds them and passes them")
	case filepath.Base(o.provider) != providerBinaryName:
		return o, fmt.Errorf("-provider %s: the binary must be named %s, the name dev_overrides looks for", o.provider, providerBinaryName)
	case filepath.Base(o.bareProvider) != bareBinaryName:
		return o, fmt.Errorf("-bare-provider %s: the binary must be named %s, the name dev_overrides looks for", o.bareProvider, bareBinaryName)
	case o.runs < 1:
		return o, fmt.Errorf("-runs %d: want 1 or more", o.runs)
	}
	if o.out == "" {
		o.out = filepath.Join(o.work, "results.md")
	}
	for _, p := range []*string{&o.provider, &o.bareProvider, &o.mock, &o.work, &o.out, &o.guides} {
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
	c, err := tfcli.Identify(ctx, o.terraform)
	if err != nil {
		return err
	}
	b := &bench{options: o, cli: c, progress: stderr}
	// The adoption guide's commands need `terraform query`, which Terraform has since 1.14.
	query, queryCLI := b, ""
	if o.queryTerraform != "" && len(o.adopt) > 0 {
		qc, err := tfcli.Identify(ctx, o.queryTerraform)
		if err != nil {
			return err
		}
		query, queryCLI = &bench{options: o, cli: qc, progress: stderr}, qc.String()
	}
	r := results{
		machine: machine{
			date:           time.Now(),
			platform:       runtime.GOOS + "/" + runtime.GOARCH,
			cpus:           runtime.NumCPU(),
			terraform:      c.String(),
			goVersion:      runtime.Version(),
			loadStart:      loadAverage(),
			queryTerraform: queryCLI,
		},
		runs: o.runs,
	}
	if o.goBench != "" {
		if r.goBench, err = readGoBench(o.goBench); err != nil {
			return err
		}
	}

	for i := range o.runs {
		b.logf("run %d of %d", i+1, o.runs)
		a, err := b.configA(ctx, i)
		if err != nil {
			return fmt.Errorf("config A, run %d: %w", i+1, err)
		}
		r.apply, r.plan = append(r.apply, a.apply), append(r.plan, a.plan)
		r.tracePlan, r.wrappedPlan = append(r.tracePlan, a.tracePlan), append(r.wrappedPlan, a.wrappedPlan)
		for _, f := range []struct {
			resource floorResource
			into     *series
		}{{bareFloor, &r.barePlan}, {terraformDataFloor, &r.dataPlan}} {
			plan, err := b.floor(ctx, i, f.resource)
			if err != nil {
				return fmt.Errorf("%s floor, run %d: %w", f.resource.resourceType, i+1, err)
			}
			*f.into = append(*f.into, plan)
		}
		for _, l := range []struct {
			latency time.Duration
			into    *series
		}{{0, &r.latencyBaseline}, {latency, &r.latencyApply}} {
			apply, err := b.latencyApply(ctx, i, l.latency)
			if err != nil {
				return fmt.Errorf("apply with %v latency, run %d: %w", l.latency, i+1, err)
			}
			*l.into = append(*l.into, apply)
		}
	}
	for i := range o.runs {
		b.logf("wechat_tag_members, run %d of %d", i+1, o.runs)
		apply, plan, err := b.tagMembers(ctx, i)
		if err != nil {
			return fmt.Errorf("wechat_tag_members, run %d: %w", i+1, err)
		}
		r.membersApply, r.membersPlan = append(r.membersApply, apply), append(r.membersPlan, plan)
	}
	for _, n := range o.members {
		into := &membersFileSeries{size: n}
		for i := range o.runs {
			b.logf("wechat_tag_members with openids_file, %s openids, run %d of %d", formatCount(n), i+1, o.runs)
			if err := b.tagMembersFile(ctx, i, n, into); err != nil {
				return fmt.Errorf("wechat_tag_members with openids_file, %d openids, run %d: %w", n, i+1, err)
			}
		}
		r.membersFile = append(r.membersFile, into)
	}
	for _, n := range o.followerReads {
		into := newFollowerReadsSeries(n)
		for i := range o.runs {
			b.logf("follower reads, %s wechat_user_tags, run %d of %d", formatCount(n), i+1, o.runs)
			if err := b.followerReads(ctx, i, into); err != nil {
				return fmt.Errorf("follower reads, %d wechat_user_tags, run %d: %w", n, i+1, err)
			}
		}
		r.followerReads = append(r.followerReads, into)
	}
	for _, n := range o.adopt {
		into := &adoptionSeries{size: n}
		for i := range o.runs {
			b.logf("the adoption guide, a tag of %s followers, run %d of %d", formatCount(n), i+1, o.runs)
			if err := query.adoption(ctx, i, n, into); err != nil {
				return fmt.Errorf("the adoption guide, a tag of %d followers, run %d: %w", n, i+1, err)
			}
		}
		r.adoption = append(r.adoption, into)
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
