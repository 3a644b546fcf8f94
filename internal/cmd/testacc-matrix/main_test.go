package main

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-version"

	"github.com/wechat-tf/terraform-provider-wechat/internal/tfcli"
)

func cliAt(path string, product tfcli.Product, v string) tfcli.CLI {
	return tfcli.CLI{Path: path, Product: product, Version: version.Must(version.NewVersion(v))}
}

// stream is `go test -json` output as Go 1.26 writes it for a package with a passing
// test, a test with two subtests of which one fails, a test a tfversion check skips and
// a test skipped by hand; then a package that does not build.
const stream = `{"Action":"start","Package":"example.com/p"}
{"Action":"run","Package":"example.com/p","Test":"TestPasses"}
{"Action":"output","Package":"example.com/p","Test":"TestPasses","Output":"=== RUN   TestPasses\n"}
{"Action":"output","Package":"example.com/p","Test":"TestPasses","Output":"    p_test.go:10: chatter of a passing test\n"}
{"Action":"output","Package":"example.com/p","Test":"TestPasses","Output":"--- PASS: TestPasses (0.00s)\n"}
{"Action":"pass","Package":"example.com/p","Test":"TestPasses","Elapsed":0}
{"Action":"run","Package":"example.com/p","Test":"TestParent"}
{"Action":"output","Package":"example.com/p","Test":"TestParent","Output":"=== RUN   TestParent\n"}
{"Action":"run","Package":"example.com/p","Test":"TestParent/good"}
{"Action":"output","Package":"example.com/p","Test":"TestParent/good","Output":"--- PASS: TestParent/good (0.00s)\n"}
{"Action":"pass","Package":"example.com/p","Test":"TestParent/good","Elapsed":0}
{"Action":"run","Package":"example.com/p","Test":"TestParent/bad"}
{"Action":"output","Package":"example.com/p","Test":"TestParent/bad","Output":"    p_test.go:20: the tag is missing from the account\n"}
{"Action":"output","Package":"example.com/p","Test":"TestParent/bad","Output":"--- FAIL: TestParent/bad (0.00s)\n"}
{"Action":"fail","Package":"example.com/p","Test":"TestParent/bad","Elapsed":0}
{"Action":"output","Package":"example.com/p","Test":"TestParent","Output":"--- FAIL: TestParent (0.00s)\n"}
{"Action":"fail","Package":"example.com/p","Test":"TestParent","Elapsed":0}
{"Action":"run","Package":"example.com/p","Test":"TestNeedsNewerCLI"}
{"Action":"output","Package":"example.com/p","Test":"TestNeedsNewerCLI","Output":"    p_test.go:30: Terraform CLI version 1.5.7 is below minimum version 1.7.0: skipping test\n"}
{"Action":"output","Package":"example.com/p","Test":"TestNeedsNewerCLI","Output":"--- SKIP: TestNeedsNewerCLI (0.00s)\n"}
{"Action":"skip","Package":"example.com/p","Test":"TestNeedsNewerCLI","Elapsed":0}
{"Action":"run","Package":"example.com/p","Test":"TestSkippedByHand"}
{"Action":"output","Package":"example.com/p","Test":"TestSkippedByHand","Output":"    p_test.go:40: flaky on Tuesdays\n"}
{"Action":"output","Package":"example.com/p","Test":"TestSkippedByHand","Output":"--- SKIP: TestSkippedByHand (0.00s)\n"}
{"Action":"skip","Package":"example.com/p","Test":"TestSkippedByHand","Elapsed":0}
{"Action":"output","Package":"example.com/p","Output":"FAIL\n"}
{"Action":"output","Package":"example.com/p","Output":"FAIL\texample.com/p\t0.012s\n"}
{"Action":"fail","Package":"example.com/p","Elapsed":0.012}
{"ImportPath":"example.com/broken","Action":"build-output","Output":"broken/b.go:3:1: syntax error: non-declaration statement outside function body\n"}
{"ImportPath":"example.com/broken","Action":"build-fail"}
{"Action":"output","Package":"example.com/nofiles","Output":"?   \texample.com/nofiles\t[no test files]\n"}
{"Action":"skip","Package":"example.com/nofiles","Elapsed":0}
`

func TestReporter_showsWhatPlainGoTestShowsAndCountsEveryTest(t *testing.T) {
	var console bytes.Buffer
	rep := newReporter(&console)
	if err := rep.read(strings.NewReader(stream)); err != nil {
		t.Fatal(err)
	}
	shown := console.String()
	for _, want := range []string{
		"the tag is missing from the account",
		"--- FAIL: TestParent (0.00s)",
		"below minimum version 1.7.0: skipping test",
		"flaky on Tuesdays",
		"FAIL\texample.com/p\t0.012s",
		"syntax error: non-declaration statement",
		"example.com/nofiles\t[no test files]",
	} {
		if !strings.Contains(shown, want) {
			t.Errorf("the console lacks %q; it shows:\n%s", want, shown)
		}
	}
	if strings.Contains(shown, "=== RUN") {
		t.Errorf("the console shows the === RUN lines that -json implies and plain go test omits:\n%s", shown)
	}
	if strings.Contains(shown, "chatter of a passing test") || strings.Contains(shown, "TestParent/good") {
		t.Errorf("the console shows the output of passing tests, which plain go test hides:\n%s", shown)
	}

	if rep.passed != 2 || rep.failed != 2 {
		t.Errorf("passed %d and failed %d, want 2 (TestPasses, TestParent/good) and 2 (TestParent/bad, TestParent)", rep.passed, rep.failed)
	}
	var names []string
	for _, s := range rep.skipped {
		names = append(names, s.test)
	}
	if !slices.Equal(names, []string{"TestNeedsNewerCLI", "TestSkippedByHand"}) {
		t.Errorf("skipped %v, want the two skipped tests and not the package without tests", names)
	}
	result := suiteResult{tally: rep.tally}
	otherwise := result.skippedOtherwise()
	if len(otherwise) != 1 || otherwise[0].test != "TestSkippedByHand" {
		t.Errorf("skipped otherwise than by a tfversion check: %v, want only TestSkippedByHand", otherwise)
	}
}

// skipStream is go test -json output, as Go 1.26 writes it, of tests that print the
// tfversion phrase and skip: only a test whose t.Skip says it skipped by version.
const skipStream = `{"Action":"run","Package":"example.com/p","Test":"TestLogsThePhraseThenSkipsOtherwise"}
{"Action":"output","Package":"example.com/p","Test":"TestLogsThePhraseThenSkipsOtherwise","Output":"=== RUN   TestLogsThePhraseThenSkipsOtherwise\n"}
{"Action":"output","Package":"example.com/p","Test":"TestLogsThePhraseThenSkipsOtherwise","Output":"    p_test.go:4: Terraform CLI version 1.5.7 is below minimum version 1.7.0: skipping test\n"}
{"Action":"output","Package":"example.com/p","Test":"TestLogsThePhraseThenSkipsOtherwise","Output":"    p_test.go:5: no mock today\n"}
{"Action":"output","Package":"example.com/p","Test":"TestLogsThePhraseThenSkipsOtherwise","Output":"        it is Tuesday\n"}
{"Action":"output","Package":"example.com/p","Test":"TestLogsThePhraseThenSkipsOtherwise","Output":"--- SKIP: TestLogsThePhraseThenSkipsOtherwise (0.00s)\n"}
{"Action":"skip","Package":"example.com/p","Test":"TestLogsThePhraseThenSkipsOtherwise","Elapsed":0}
{"Action":"run","Package":"example.com/p","Test":"TestQuotesThePhraseInItsSkip"}
{"Action":"output","Package":"example.com/p","Test":"TestQuotesThePhraseInItsSkip","Output":"=== RUN   TestQuotesThePhraseInItsSkip\n"}
{"Action":"output","Package":"example.com/p","Test":"TestQuotesThePhraseInItsSkip","Output":"    p_test.go:9: left out: Terraform CLI version 1.5.7 is below minimum version 1.14.0: skipping test (main.tfquery.hcl is a query file)\n"}
{"Action":"output","Package":"example.com/p","Test":"TestQuotesThePhraseInItsSkip","Output":"--- SKIP: TestQuotesThePhraseInItsSkip (0.00s)\n"}
{"Action":"skip","Package":"example.com/p","Test":"TestQuotesThePhraseInItsSkip","Elapsed":0}
{"Action":"run","Package":"example.com/p","Test":"TestParent"}
{"Action":"output","Package":"example.com/p","Test":"TestParent","Output":"=== RUN   TestParent\n"}
{"Action":"run","Package":"example.com/p","Test":"TestParent/byVersion"}
{"Action":"output","Package":"example.com/p","Test":"TestParent/byVersion","Output":"=== RUN   TestParent/byVersion\n"}
{"Action":"output","Package":"example.com/p","Test":"TestParent/byVersion","Output":"    p_test.go:14: reading the example\n"}
{"Action":"output","Package":"example.com/p","Test":"TestParent/byVersion","Output":"    testing.go:27: Terraform CLI version 1.5.7 is below minimum version 1.7.0: skipping test\n"}
{"Action":"output","Package":"example.com/p","Test":"TestParent/byVersion","Output":"--- SKIP: TestParent/byVersion (0.00s)\n"}
{"Action":"skip","Package":"example.com/p","Test":"TestParent/byVersion","Elapsed":0}
{"Action":"output","Package":"example.com/p","Test":"TestParent","Output":"--- PASS: TestParent (0.00s)\n"}
{"Action":"pass","Package":"example.com/p","Test":"TestParent","Elapsed":0}
`

// A test that logs the tfversion phrase and then skips for another reason is a skip the
// matrix must not accept: the verdict reads the skip's own message.
func TestReporter_judgesASkipByItsOwnMessageNotByWhatTheTestLogged(t *testing.T) {
	var console bytes.Buffer
	rep := newReporter(&console)
	if err := rep.read(strings.NewReader(skipStream)); err != nil {
		t.Fatal(err)
	}
	want := []skipped{
		{test: "TestLogsThePhraseThenSkipsOtherwise", reason: "no mock today\nit is Tuesday"},
		{test: "TestQuotesThePhraseInItsSkip", reason: "left out: Terraform CLI version 1.5.7 is below minimum version 1.14.0: skipping test (main.tfquery.hcl is a query file)"},
		{test: "TestParent/byVersion", reason: "Terraform CLI version 1.5.7 is below minimum version 1.7.0: skipping test"},
	}
	if len(rep.skipped) != len(want) {
		t.Fatalf("skipped %+v, want %d tests", rep.skipped, len(want))
	}
	for i, s := range rep.skipped {
		if s.test != want[i].test || s.reason != want[i].reason {
			t.Errorf("skip %d is %s for %q, want %s for %q", i, s.test, s.reason, want[i].test, want[i].reason)
		}
	}
	result := suiteResult{tally: rep.tally}
	var otherwise []string
	for _, s := range result.skippedOtherwise() {
		otherwise = append(otherwise, s.test)
	}
	if !slices.Equal(otherwise, []string{"TestLogsThePhraseThenSkipsOtherwise", "TestQuotesThePhraseInItsSkip"}) {
		t.Errorf("skipped otherwise than by a tfversion check: %v, want the two tests whose skip gives another reason", otherwise)
	}
	if result.ok() {
		t.Error("ok() = true for a run with skips that no tfversion check made")
	}

	// The table still shows everything the test printed, to say what it was doing.
	var table bytes.Buffer
	if err := writeTable(&table, []row{{cli: cliAt("/usr/local/bin/terraform", tfcli.Terraform, "1.5.7"), result: result}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), `TestLogsThePhraseThenSkipsOtherwise skipped ("no mock today\nit is Tuesday")`) ||
		!strings.Contains(table.String(), "p_test.go:4: Terraform CLI version 1.5.7") {
		t.Errorf("the table does not name the skip's reason and the test's output:\n%s", table.String())
	}
}

func TestSkipReason_isTheLastMessageBeforeTheSkipLine(t *testing.T) {
	for output, want := range map[string]string{
		"    a_test.go:1: one\n    a_test.go:2: two\n--- SKIP: TestA (0.00s)\n":                        "two",
		"    a_test.go:1: one\n        more of one\n--- SKIP: TestA (0.00s)\n":                         "one\nmore of one",
		"    a_test.go:1: one\nprinted, not logged\n        indented print\n--- SKIP: TestA (0.00s)\n": "one",
		"    a_test.go:1: \n--- SKIP: TestA (0.00s)\n":                                                 "",
		"--- SKIP: TestA (0.00s)\n": "",
		"    --- SKIP: TestA/b (0.00s)\n    a_test.go:9: after the skip line\n": "",
	} {
		if got := skipReason(output); got != want {
			t.Errorf("skipReason(%q) = %q, want %q", output, got, want)
		}
	}
}

func TestSuiteResult_okOnlyWhenTestsPassedAndOnlyVersionChecksSkipped(t *testing.T) {
	versionSkip := skipped{test: "TestA", reason: "Terraform CLI version 1.12.6 is between 1.0.0 and 1.13.0: skipping test.\n"}
	handSkip := skipped{test: "TestB", reason: "not today\n"}
	cases := map[string]struct {
		result suiteResult
		ok     bool
	}{
		"passed":                        {suiteResult{tally: tally{passed: 3}}, true},
		"passed with a version skip":    {suiteResult{tally: tally{passed: 3, skipped: []skipped{versionSkip}}}, true},
		"a test failed":                 {suiteResult{tally: tally{passed: 3, failed: 1}}, false},
		"a test skipped by hand":        {suiteResult{tally: tally{passed: 3, skipped: []skipped{versionSkip, handSkip}}}, false},
		"no test ran":                   {suiteResult{}, false},
		"go test failed with no failed": {suiteResult{tally: tally{passed: 3}, err: errors.New("exit status 1")}, false},
	}
	for name, tc := range cases {
		if got := tc.result.ok(); got != tc.ok {
			t.Errorf("%s: ok() = %v, want %v", name, got, tc.ok)
		}
	}
}

func TestWriteTable_namesEachCLIAndItsSkippedTests(t *testing.T) {
	var out bytes.Buffer
	err := writeTable(&out, []row{
		{cli: cliAt("/usr/local/bin/terraform", tfcli.Terraform, "1.11.4"), ranByMakeTest: true},
		{cli: cliAt("/cache/terraform-1.5.7/terraform", tfcli.Terraform, "1.5.7"), result: suiteResult{
			tally:    tally{passed: 40, skipped: []skipped{{test: "TestAccTag_removedBlock", reason: "Terraform CLI version 1.5.7 is below minimum version 1.7.0: skipping test\n"}}},
			duration: 3*time.Minute + 12*time.Second,
		}},
		{cli: cliAt("/cache/opentofu-1.12.6/tofu", tfcli.OpenTofu, "1.12.6"), result: suiteResult{
			tally:    tally{passed: 39, failed: 1},
			duration: 4 * time.Minute,
			logPath:  "/build/testacc-matrix/opentofu-1.12.6.json",
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out.String(), "\n")
	for i, want := range [][]string{
		{"CLI", "VERSION", "RESULT", "DURATION", "PASSED", "FAILED", "SKIPPED"},
		{"Terraform /usr/local/bin/terraform", "1.11.4", "by make test"},
		{"Terraform /cache/terraform-1.5.7/terraform", "1.5.7", "ok", "3m12s", "40", "0", "1: TestAccTag_removedBlock"},
		{"OpenTofu /cache/opentofu-1.12.6/tofu", "1.12.6", "FAIL", "4m0s", "39", "1", "0"},
	} {
		for _, cell := range want {
			if !strings.Contains(lines[i], cell) {
				t.Errorf("line %d lacks %q:\n%s", i, cell, out.String())
			}
		}
	}
	if !strings.Contains(out.String(), "OpenTofu 1.12.6: go test -json log in /build/testacc-matrix/opentofu-1.12.6.json") {
		t.Errorf("the table does not say where the failed run's log is:\n%s", out.String())
	}
}

func TestSplitArgs(t *testing.T) {
	clis, goTest, err := splitArgs([]string{"/a/terraform", "/b/terraform", "/a/terraform", "--", "-count=1", "./..."})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(clis, []string{"/a/terraform", "/b/terraform"}) || !slices.Equal(goTest, []string{"-count=1", "./..."}) {
		t.Errorf("splitArgs = %v, %v: want the CLIs once each, in order, and the go test arguments", clis, goTest)
	}
	for _, bad := range [][]string{
		{"/a/terraform", "./..."},
		{"--", "./..."},
		{"/a/terraform", "--"},
	} {
		if _, _, err := splitArgs(bad); err == nil {
			t.Errorf("splitArgs(%q) accepted arguments it cannot run", bad)
		}
	}
}
