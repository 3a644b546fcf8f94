// Command testacc-matrix runs the acceptance suite under each Terraform CLI it is given,
// one after the other, and closes with a table of each run's CLI, version, result, time
// and skipped tests. `make testacc-matrix` calls it with the supported CLIs.
//
// Usage:
//
//	testacc-matrix -cli-config FILE [-logs DIR] [-ran-by-make-test CLI] CLI... -- GO_TEST_ARGS...
//
// Each run is `go test -json GO_TEST_ARGS` with TF_ACC=1, TF_ACC_TERRAFORM_PATH set to the
// CLI, CHECKPOINT_DISABLE=1 and TF_CLI_CONFIG_FILE set to FILE, which must exist: without
// it the CLI reads the user's own configuration. Under OpenTofu it also sets
// TF_ACC_PROVIDER_NAMESPACE=hashicorp and TF_ACC_PROVIDER_HOST=registry.opentofu.org
// (see tofuEnv).
//
// The console shows what plain `go test` shows (package results, and the output of failed
// and skipped tests); DIR keeps each run's whole JSON stream. A test may skip only through
// a tfversion check, because the CLI is older or newer than the test needs: a test skipped
// for any other reason fails its run, since the matrix exists to prove that every test
// ran. A CLI given with -ran-by-make-test is not run again: its row says so.
//
// The exit status is 1 if any run failed.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wechat-tf/terraform-provider-wechat/internal/tfcli"
)

func main() {
	cliConfig := flag.String("cli-config", "", "the CLI configuration file every run uses (required; it must exist)")
	logDir := flag.String("logs", "", "a directory to keep each run's go test -json stream in (none kept if empty)")
	ranByMakeTest := flag.String("ran-by-make-test", "", "a CLI that make test has just run the suite under: listed, not run again")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: testacc-matrix -cli-config FILE [-logs DIR] [-ran-by-make-test CLI] CLI... -- GO_TEST_ARGS...")
		flag.PrintDefaults()
	}
	flag.Parse()
	clis, goTestArgs, err := splitArgs(flag.Args())
	if err == nil && *cliConfig == "" {
		err = errors.New("-cli-config is required: pass an existing file, empty for no settings")
	}
	if err == nil {
		if _, statErr := os.Stat(*cliConfig); statErr != nil {
			err = fmt.Errorf("-cli-config: %w; pass an existing file, empty for no settings", statErr)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "testacc-matrix:", err)
		flag.Usage()
		os.Exit(2)
	}

	ctx := context.Background()
	var rows []row
	for _, path := range clis {
		cli, err := tfcli.Identify(ctx, path, "TF_CLI_CONFIG_FILE="+*cliConfig)
		if err != nil {
			fmt.Fprintln(os.Stderr, "testacc-matrix:", err)
			os.Exit(1)
		}
		if path == *ranByMakeTest {
			rows = append(rows, row{cli: cli, ranByMakeTest: true})
			continue
		}
		fmt.Printf("\n==> %s (%s)\n", cli, cli.Path)
		result := runSuite(ctx, cli, *cliConfig, *logDir, goTestArgs)
		rows = append(rows, row{cli: cli, result: result})
	}

	fmt.Println()
	if err := writeTable(os.Stdout, rows); err != nil {
		fmt.Fprintln(os.Stderr, "testacc-matrix:", err)
		os.Exit(1)
	}
	total := tally{}
	failed := false
	for _, r := range rows {
		if r.ranByMakeTest {
			continue
		}
		total.add(r.result.tally)
		failed = failed || !r.result.ok()
	}
	// The closing line, in the form CI reads whatever the test runner.
	fmt.Printf("matrix: %d passed, %d failed, %d skipped\n", total.passed, total.failed, len(total.skipped))
	if failed {
		os.Exit(1)
	}
}

// splitArgs separates the CLIs from the arguments of `go test`, dropping repeats: with
// no terraform on PATH the Makefile's default CLI is the oldest supported one.
func splitArgs(args []string) (clis, goTestArgs []string, err error) {
	dash := slices.Index(args, "--")
	if dash < 0 {
		return nil, nil, errors.New("no `--` before the arguments of go test")
	}
	for _, cli := range args[:dash] {
		if !slices.Contains(clis, cli) {
			clis = append(clis, cli)
		}
	}
	if len(clis) == 0 {
		return nil, nil, errors.New("no CLI to run the suite under")
	}
	if dash == len(args)-1 {
		return nil, nil, errors.New("no arguments for go test after `--` (the packages, at least)")
	}
	return clis, args[dash+1:], nil
}

// tofuEnv is what OpenTofu needs beyond what Terraform does. terraform-plugin-testing
// serves the provider under test at registry.terraform.io/{-,hashicorp}/NAME by default,
// and OpenTofu
//   - refuses the legacy namespace "-" on any host but its own ("The legacy provider
//     namespace "-" can be used only with hostname registry.opentofu.org");
//   - reads a provider block with no required_providers, as an import step that starts a
//     test writes its configuration, as registry.opentofu.org/hashicorp/NAME, which it
//     then tries to download when the provider is served under registry.terraform.io.
var tofuEnv = []string{"TF_ACC_PROVIDER_NAMESPACE=hashicorp", "TF_ACC_PROVIDER_HOST=registry.opentofu.org"}

// runSuite runs `go test -json` under one CLI, shows the console what plain `go test`
// would, and keeps the JSON stream in logDir.
func runSuite(ctx context.Context, c tfcli.CLI, cliConfig, logDir string, goTestArgs []string) suiteResult {
	start := time.Now()
	// Running go test with the arguments the Makefile gives is what this command is for.
	cmd := exec.CommandContext(ctx, "go", append([]string{"test", "-json"}, goTestArgs...)...) //nolint:gosec // G204: see above.
	cmd.Env = append(os.Environ(),
		"TF_ACC=1",
		"TF_ACC_TERRAFORM_PATH="+c.Path,
		"CHECKPOINT_DISABLE=1",
		"TF_IN_AUTOMATION=1",
		"TF_CLI_CONFIG_FILE="+cliConfig,
	)
	if c.Product == tfcli.OpenTofu {
		cmd.Env = append(cmd.Env, tofuEnv...)
	}
	cmd.Stderr = os.Stderr

	log := io.Discard
	var logFile *os.File
	var logPath string
	if logDir != "" {
		logPath = filepath.Join(logDir, strings.ToLower(string(c.Product))+"-"+c.Version.String()+".json")
		var err error
		if logFile, err = createLog(logPath); err != nil {
			return suiteResult{err: err}
		}
		log = logFile
	}
	closeLog := func() error {
		if logFile == nil {
			return nil
		}
		return logFile.Close()
	}

	stdout, err := cmd.StdoutPipe()
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		_ = closeLog() // nothing was written to it
		return suiteResult{err: fmt.Errorf("go test: %w", err)}
	}
	rep := newReporter(os.Stdout)
	readErr := rep.read(io.TeeReader(stdout, log))
	waitErr := cmd.Wait()
	closeErr := closeLog()
	result := suiteResult{tally: rep.tally, duration: time.Since(start).Round(time.Second), logPath: logPath}
	switch {
	case readErr != nil:
		result.err = fmt.Errorf("reading go test -json: %w", readErr)
	case waitErr != nil:
		result.err = fmt.Errorf("go test: %w", waitErr)
	case closeErr != nil:
		result.err = fmt.Errorf("writing %s: %w", logPath, closeErr)
	}
	return result
}

func createLog(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, err
	}
	return os.Create(path) //nolint:gosec // G304: a file in the directory given with -logs.
}

// event is a line of `go test -json` (see `go doc test2json`).
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	ImportPath string // of build-output events
}

// skipped is a test that skipped: the message of its skip, and all it printed.
type skipped struct {
	test   string
	reason string
	output string
}

// tfversionSkip is the message of every tfversion check that skips a test, such as
// "Terraform CLI version 1.5.7 is below minimum version 1.7.0: skipping test".
var tfversionSkip = regexp.MustCompile(`^Terraform CLI version .*: skipping test`)

// byVersionCheck judges the skip's own message only: a test may log the phrase, say of a
// file it leaves out, and then skip for another reason.
func (s skipped) byVersionCheck() bool { return tfversionSkip.MatchString(s.reason) }

// logLine is the start of a line that t.Log, t.Skip and the like print: the file and line
// of the call, indented. Further lines of the same message are indented by 8 spaces.
var logLine = regexp.MustCompile(`^ +[^ :]+:\d+: `)

// skipReason is the message of a skipped test's t.Skip, out of what the test printed:
// go test prints it as it prints a t.Log, as the last message before "--- SKIP". A test
// that skipped with t.SkipNow, which has no message, is credited with the one it logged
// last: go test -json gives no way to tell them apart.
func skipReason(output string) string {
	lines := strings.Split(output, "\n")
	for i, line := range lines {
		if strings.HasPrefix(strings.TrimLeft(line, " "), "--- SKIP: ") {
			lines = lines[:i]
		}
	}
	var reason []string
	continues := false
	for _, line := range lines {
		switch loc := logLine.FindStringIndex(line); {
		case loc != nil:
			reason, continues = []string{line[loc[1]:]}, true
		case continues && strings.HasPrefix(line, "        "):
			reason = append(reason, strings.TrimPrefix(line, "        "))
		default:
			continues = false
		}
	}
	return strings.Join(reason, "\n")
}

type tally struct {
	passed, failed int // tests and subtests
	skipped        []skipped
}

func (t *tally) add(o tally) {
	t.passed += o.passed
	t.failed += o.failed
	t.skipped = append(t.skipped, o.skipped...)
}

type suiteResult struct {
	tally
	duration time.Duration
	logPath  string
	err      error // go test failed, or could not run
}

func (r suiteResult) ok() bool {
	return r.err == nil && r.failed == 0 && r.passed > 0 && len(r.skippedOtherwise()) == 0
}

// skippedOtherwise is the tests skipped for a reason other than the CLI's version.
func (r suiteResult) skippedOtherwise() []skipped {
	var out []skipped
	for _, s := range r.skipped {
		if !s.byVersionCheck() {
			out = append(out, s)
		}
	}
	return out
}

// reporter turns a `go test -json` stream back into what plain `go test` prints: a test's
// output is held until it ends and shown only if it failed or skipped.
type reporter struct {
	console io.Writer
	held    map[string][]string // output of each running test, by package and test
	tally
}

func newReporter(console io.Writer) *reporter {
	return &reporter{console: console, held: map[string][]string{}}
}

func (r *reporter) read(stream io.Reader) error {
	lines := bufio.NewReader(stream)
	for {
		line, err := lines.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			r.handle(line)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (r *reporter) handle(line []byte) {
	var e event
	if err := json.Unmarshal(line, &e); err != nil {
		// go test prints some failures (a bad flag, say) as plain text.
		fmt.Fprintf(r.console, "%s", line)
		return
	}
	key := e.Package + "\x00" + e.Test
	switch {
	case e.Action == "build-output":
		fmt.Fprint(r.console, e.Output)
	case e.Test == "" && e.Action == "output":
		if e.Output != "PASS\n" {
			fmt.Fprint(r.console, e.Output)
		}
	case e.Test == "" && e.Action == "fail":
		// A package that panicked or timed out leaves tests that never ended: show what
		// they printed, which is where the panic is.
		for k, out := range r.held {
			if strings.HasPrefix(k, e.Package+"\x00") {
				fmt.Fprint(r.console, strings.Join(out, ""))
				delete(r.held, k)
			}
		}
	case e.Test == "":
	case e.Action == "output":
		// -json implies -v: drop the === RUN, PAUSE, CONT and NAME lines that plain go test omits.
		if !strings.HasPrefix(e.Output, "=== ") {
			r.held[key] = append(r.held[key], e.Output)
		}
	case e.Action == "pass":
		r.passed++
		delete(r.held, key)
	case e.Action == "fail":
		r.failed++
		fmt.Fprint(r.console, strings.Join(r.held[key], ""))
		delete(r.held, key)
	case e.Action == "skip":
		out := strings.Join(r.held[key], "")
		r.skipped = append(r.skipped, skipped{test: e.Test, reason: skipReason(out), output: out})
		fmt.Fprint(r.console, out)
		delete(r.held, key)
	}
}

// row is a line of the closing table.
type row struct {
	cli           tfcli.CLI
	ranByMakeTest bool
	result        suiteResult
}

func writeTable(w io.Writer, rows []row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CLI\tVERSION\tRESULT\tDURATION\tPASSED\tFAILED\tSKIPPED")
	for _, r := range rows {
		name := string(r.cli.Product) + " " + r.cli.Path
		v := r.cli.Version.String()
		if r.ranByMakeTest {
			fmt.Fprintf(tw, "%s\t%s\tby make test\t-\t-\t-\t-\n", name, v)
			continue
		}
		result := "ok"
		if !r.result.ok() {
			result = "FAIL"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\n", name, v, result, r.result.duration,
			r.result.passed, r.result.failed, skippedCell(r.result.skipped))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rows {
		res := r.result
		if res.err != nil {
			fmt.Fprintf(w, "%s %s: %v\n", r.cli.Product, r.cli.Version, res.err)
		}
		if !r.ranByMakeTest && res.err == nil && res.passed == 0 {
			fmt.Fprintf(w, "%s %s: no test passed: were the packages given?\n", r.cli.Product, r.cli.Version)
		}
		for _, s := range res.skippedOtherwise() {
			fmt.Fprintf(w, "%s %s: %s skipped (%q), but not by a tfversion check; only the CLI's version may skip a test:\n%s",
				r.cli.Product, r.cli.Version, s.test, s.reason, s.output)
		}
		if res.logPath != "" {
			fmt.Fprintf(w, "%s %s: go test -json log in %s\n", r.cli.Product, r.cli.Version, res.logPath)
		}
	}
	return nil
}

func skippedCell(skips []skipped) string {
	if len(skips) == 0 {
		return "0"
	}
	names := make([]string, len(skips))
	for i, s := range skips {
		names[i] = s.test
	}
	return fmt.Sprintf("%d: %s", len(skips), strings.Join(names, ", "))
}
