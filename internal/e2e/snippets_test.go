package e2e

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/go-version"

	"github.com/wechat-tf/terraform-provider-wechat/internal/tfcli"
)

// snippet is a code block of a page a reader may copy.
type snippet struct {
	page string
	n    int // its place on the page, from 1
	code string
}

var codeBlock = regexp.MustCompile("(?ms)^```(terraform|hcl)\n(.*?)^```")

// pageSnippets is every terraform and hcl code block of README.md and docs/.
func pageSnippets(t *testing.T) map[string][]snippet {
	t.Helper()
	root := filepath.Join("..", "..")
	pages := []string{"README.md"}
	must(t, filepath.WalkDir(filepath.Join(root, "docs"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".md") {
			rel, relErr := filepath.Rel(root, path)
			pages = append(pages, filepath.ToSlash(rel))
			return relErr
		}
		return err
	}))
	snippets := map[string][]snippet{}
	for _, page := range pages {
		content, err := os.ReadFile(filepath.Join(root, page))
		must(t, err)
		for i, m := range codeBlock.FindAllStringSubmatch(string(content), -1) {
			snippets[page] = append(snippets[page], snippet{page: page, n: i + 1, code: m[2]})
		}
	}
	return snippets
}

var (
	listBlock = regexp.MustCompile(`(?m)^list "`)
	testFile  = regexp.MustCompile(`(?m)^(run "|variables \{)`)
	cliConfig = regexp.MustCompile(`(?m)^provider_installation \{`)
	importTo  = regexp.MustCompile(`(?m)^\s*to\s*=\s*(\w+\.\w+)`)
)

// A reader copies snippets from the pages, not from examples/: every one is validated with
// the provider built from this tree. A configuration must name the provider's source in
// required_providers, or Terraform would look for hashicorp/wechat. Fragments are validated
// where the page puts them: what Terraform generates beside the configuration before it,
// a query file (list blocks, Terraform 1.14) with -query beside
// an empty configuration, a test file with the module before it on the page, import
// blocks whose resources the snippet does not declare with the page's first snippet; a
// CLI configuration is read by the CLI.
func TestDocs_everySnippetValidatesWithTheProvider(t *testing.T) {
	c := terraformCLI(t)
	pages := pageSnippets(t)
	if len(pages["README.md"]) == 0 || len(pages["docs/index.md"]) == 0 {
		t.Fatalf("found no snippet in README.md or docs/index.md: %v", pages)
	}
	for page, snippets := range pages {
		for i, s := range snippets {
			t.Run(fmt.Sprintf("%s#%d", page, s.n), func(t *testing.T) {
				t.Parallel()
				switch {
				case cliConfig.MatchString(s.code):
					checkCLIConfig(t, c, s)
					return
				case testFile.MatchString(s.code):
					if i == 0 {
						t.Fatalf("%s#%d is a test file with no module before it", page, s.n)
					}
					validateSnippet(t, c, s, snippets[i-1].code, ".tftest.hcl")
					return
				case listBlock.MatchString(s.code):
					validateSnippet(t, c, s, tfcli.RequiredProviders, ".tfquery.hcl")
					return
				}
				var with string
				switch {
				case strings.Contains(s.code, "required_providers"):
				case strings.Contains(s.code, "__generated__ by Terraform"):
					// What Terraform writes beside the configuration the page showed last.
					for j := i - 1; j >= 0 && with == ""; j-- {
						if strings.Contains(snippets[j].code, "required_providers") {
							with = snippets[j].code
						}
					}
				case undeclaredImportTarget(s.code) && i > 0:
					with = snippets[0].code
				default:
					t.Errorf("%s#%d has no required_providers: copied alone, it would resolve the provider to hashicorp/wechat", page, s.n)
				}
				validateSnippet(t, c, s, with, ".tf")
			})
		}
	}
}

// undeclaredImportTarget reports whether code imports into a resource it does not declare.
func undeclaredImportTarget(code string) bool {
	for _, m := range importTo.FindAllStringSubmatch(code, -1) {
		kind, name, _ := strings.Cut(m[1], ".")
		if !strings.Contains(code, fmt.Sprintf("resource %q %q", kind, name)) {
			return true
		}
	}
	return false
}

// validateSnippet validates s as a file of the suffix, beside base (a configuration, or
// "").
func validateSnippet(t *testing.T, c tfcli.CLI, s snippet, base, suffix string) {
	t.Helper()
	where := fmt.Sprintf("%s#%d", s.page, s.n)
	for _, code := range []string{s.code, base} {
		if why := unreadableBy(t, c, where+suffix, []byte(code)); why != "" {
			t.Skip(why)
		}
	}
	if suffix == ".tftest.hcl" && c.Version.Core().LessThan(version.Must(version.NewVersion("1.6.0"))) {
		t.Skipf("Terraform CLI version %s is below minimum version 1.6.0: skipping test (%s is a test file)", c.Version, where)
	}
	work := devWorkdir(t, c)
	if base != "" {
		writeFile(t, filepath.Join(work.Dir, "base.tf"), base)
	}
	writeFile(t, filepath.Join(work.Dir, "snippet"+suffix), s.code)
	for _, d := range validate(t, work, suffix == ".tfquery.hcl") {
		t.Errorf("%s: %s %s: %s\n%s\n--- the snippet:\n%s", where, d.where(), d.Severity, d.Summary, d.Detail, s.code)
	}
}

// checkCLIConfig has the CLI read s as its configuration: a CLI configuration it cannot
// read is reported on every command, as a warning.
func checkCLIConfig(t *testing.T, c tfcli.CLI, s snippet) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "cli.tfrc")
	writeFile(t, file, s.code)
	result, err := tfcli.Workdir{CLI: c, Dir: t.TempDir(), CLIConfig: file}.Run(t.Context(), "version")
	must(t, err)
	if out := result.Output(); result.ExitCode != 0 || strings.Contains(out, "problems with the CLI configuration") {
		t.Errorf("%s#%d: the CLI cannot read this configuration:\n%s", s.page, s.n, out)
	}
}
