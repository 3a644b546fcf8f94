package e2e

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/go-version"

	"github.com/wechat-tf/terraform-provider-wechat/internal/tfcli"
)

// examplesDir is examples/ from this package's directory, where go test runs.
const examplesDir = "../../examples"

// The examples are what the documentation shows, pasted by tfplugindocs: formatted as
// `terraform fmt` formats them.
func TestExamples_formatted(t *testing.T) {
	c := terraformCLI(t)
	result, err := tfcli.Workdir{CLI: c, Dir: examplesDir}.Run(t.Context(), "fmt", "-check", "-recursive", "-diff", "-no-color")
	if err != nil {
		t.Fatal(err)
	}
	if result.ExitCode != 0 {
		t.Errorf("%s fmt -check -recursive examples: exit %d; run `make fmt` (files, relative to examples/, and diffs below):\n%s",
			c.Path, result.ExitCode, result.Output())
	}
}

// Every example directory is a configuration the provider accepts: `terraform validate`
// with the provider built from this tree, so an attribute renamed in the schema and not
// in the examples fails here. Variables need no values to validate. Its .tftest.hcl
// files go along: CLIs from 1.6 on validate them too.
func TestExamples_validWithTheProvider(t *testing.T) {
	c := terraformCLI(t)
	dirs := exampleDirs(t)
	if len(dirs) == 0 {
		t.Fatalf("no .tf files under %s", examplesDir)
	}
	for _, dir := range dirs {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			work := devWorkdir(t, c)
			declared, written, queries := false, 0, false
			var leftOut []string
			for _, file := range filesEndingIn(t, filepath.Join(examplesDir, dir), ".tf", ".tftest.hcl", ".tfquery.hcl") {
				content, err := os.ReadFile(filepath.Join(examplesDir, dir, file))
				must(t, err)
				if why := unreadableBy(t, c, "examples/"+dir+"/"+file, content); why != "" {
					// The other files of the directory are still validated without it.
					leftOut = append(leftOut, why)
					continue
				}
				declared = declared || strings.Contains(string(content), "required_providers")
				queries = queries || strings.HasSuffix(file, ".tfquery.hcl")
				writeFile(t, filepath.Join(work.Dir, file), string(content))
				written++
			}
			if written == 0 {
				t.Skip(strings.Join(leftOut, "; "))
			}
			for _, why := range leftOut {
				t.Logf("left out: %s", why)
			}
			if !declared {
				writeFile(t, filepath.Join(work.Dir, "zz_required_providers.tf"), tfcli.RequiredProviders)
			}

			for _, d := range validate(t, work, queries) {
				t.Errorf("examples/%s: %s %s: %s\n%s", dir, d.where(), d.Severity, d.Summary, d.Detail)
			}
		})
	}
}

// validate runs `terraform validate` (with -query, for .tfquery.hcl files too) in work and
// returns its problems: every diagnostic but the warning that dev_overrides, which is how
// the tests run the provider, is in effect; a configuration reported invalid without an
// error becomes one.
func validate(t *testing.T, work tfcli.Workdir, queries bool) []diagnostic {
	t.Helper()
	args := []string{"validate", "-json", "-no-color"}
	if queries {
		args = append(args, "-query")
	}
	validated, err := work.Run(t.Context(), args...)
	if err != nil {
		t.Fatal(err)
	}
	var result validateResult
	if err := json.Unmarshal(validated.Stdout, &result); err != nil {
		t.Fatalf("%s validate exited %d, and its output is not JSON (%v):\n%s", work.CLI.Path, validated.ExitCode, err, validated.Output())
	}
	var problems []diagnostic
	for _, d := range result.Diagnostics {
		if d.Severity == "warning" && strings.Contains(d.Summary, "development overrides") {
			continue
		}
		problems = append(problems, d)
	}
	if !result.Valid && len(problems) == 0 {
		problems = append(problems, diagnostic{Severity: "error", Summary: "invalid with no error diagnostic", Detail: string(validated.Stdout)})
	}
	return problems
}

var importByIdentity = regexp.MustCompile(`(?m)^\s*identity\s*=\s*\{`)

var actionBlock = regexp.MustCompile(`(?m)^action "`)

var requiredVersion = regexp.MustCompile(`(?m)^\s*required_version\s*=\s*"([^"]+)"`)

// unreadableBy says why the CLI cannot read the example file, worded as a tfversion check
// words a skip, or "" if it can: a file that declares a required_version the CLI does not
// meet uses something older CLIs lack (import blocks with for_each need 1.7), and says so
// to its readers in the same way; a .tfquery.hcl file needs Terraform 1.14, an action
// block Terraform 1.14 and not OpenTofu, and an import by identity (in what Terraform 1.14
// generates, which declares no version) 1.12.
func unreadableBy(t *testing.T, c tfcli.CLI, file string, content []byte) string {
	t.Helper()
	if strings.HasSuffix(file, ".tfquery.hcl") && c.Version.Core().LessThan(version.Must(version.NewVersion("1.14.0"))) {
		return fmt.Sprintf("Terraform CLI version %s is below minimum version 1.14.0: skipping test (%s is a query file)", c.Version, file)
	}
	if actionBlock.Match(content) {
		if why := withoutActions(c); why != "" {
			return fmt.Sprintf("%s (%s declares an action)", why, file)
		}
	}
	if importByIdentity.Match(content) && c.Version.Core().LessThan(version.Must(version.NewVersion("1.12.0"))) {
		return fmt.Sprintf("Terraform CLI version %s is below minimum version 1.12.0: skipping test (%s imports by identity)", c.Version, file)
	}
	m := requiredVersion.FindSubmatch(content)
	if m == nil {
		return ""
	}
	constraint, err := version.NewConstraint(string(m[1]))
	if err != nil {
		t.Fatalf("%s: required_version %q: %v", file, m[1], err)
	}
	if !constraint.Check(c.Version.Core()) {
		return fmt.Sprintf("Terraform CLI version %s does not meet required_version %q of %s: skipping test", c.Version, m[1], file)
	}
	return ""
}

// withoutActions says why the CLI has no actions, worded as a tfversion check words a
// skip, or "" when it has them: Terraform has them from 1.14, OpenTofu not yet.
func withoutActions(c tfcli.CLI) string {
	if c.Product == tfcli.OpenTofu {
		return fmt.Sprintf("Terraform CLI version %s is OpenTofu's, which has no actions yet (opentofu/opentofu#3309): skipping test", c.Version)
	}
	if c.Version.Core().LessThan(version.Must(version.NewVersion("1.14.0"))) {
		return fmt.Sprintf("Terraform CLI version %s is below minimum version 1.14.0: skipping test (actions)", c.Version)
	}
	return ""
}

// validateResult is the output of `terraform validate -json`.
type validateResult struct {
	Valid       bool         `json:"valid"`
	Diagnostics []diagnostic `json:"diagnostics"`
}

type diagnostic struct {
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
	Detail   string `json:"detail"`
	Range    *struct {
		Filename string `json:"filename"`
		Start    struct {
			Line int `json:"line"`
		} `json:"start"`
	} `json:"range"`
}

// where is the diagnostic's file and line, as an editor takes them.
func (d diagnostic) where() string {
	if d.Range == nil {
		return "(no file)"
	}
	return fmt.Sprintf("%s:%d:", d.Range.Filename, d.Range.Start.Line)
}

// The documentation of each resource and data source is built from its examples, in
// the layout tfplugindocs reads: each one the provider serves has all of its own, and no
// example is left for one it does not serve.
func TestExamples_everyResourceAndDataSourceHasItsOwn(t *testing.T) {
	c := terraformCLI(t)
	resources, dataSources, listResources, actions := servedTypes(t, c)
	if len(resources) == 0 {
		t.Fatal("the provider's schema lists no resource")
	}

	requireFile(t, "provider/provider.tf")
	for _, name := range resources {
		requireFile(t, "resources/"+name+"/resource.tf")
		requireContent(t, "resources/"+name+"/import.sh",
			regexp.MustCompile(`(?m)^terraform import `+regexp.QuoteMeta(name)+`\.\S+ \S+$`),
			"a `terraform import "+name+".NAME ID` command")
		requireContent(t, "resources/"+name+"/import-by-string-id.tf",
			regexp.MustCompile(`(?s)import\s*\{.*\bto\s*=\s*`+regexp.QuoteMeta(name)+`\.`),
			"an import block with to = "+name+".NAME")
		requireContent(t, "resources/"+name+"/import-by-identity.tf",
			regexp.MustCompile(`(?s)import\s*\{.*\bto\s*=\s*`+regexp.QuoteMeta(name)+`\..*\bidentity\s*=`),
			"an import block with to = "+name+".NAME and an identity")
	}
	for _, name := range listResources {
		requireContent(t, "list-resources/"+name+"/list-resource.tfquery.hcl",
			regexp.MustCompile(`(?m)^list "`+regexp.QuoteMeta(name)+`" `),
			"a list \""+name+"\" block")
	}
	for _, name := range dataSources {
		requireFile(t, "data-sources/"+name+"/data-source.tf")
	}
	for _, name := range actions {
		requireContent(t, "actions/"+name+"/action.tf", regexp.MustCompile(`(?m)^action "`+regexp.QuoteMeta(name)+`" `),
			"an action \""+name+"\" block")
	}

	served := map[string][]string{"resources": resources, "data-sources": dataSources}
	if len(listResources) > 0 {
		served["list-resources"] = listResources
	}
	if len(actions) > 0 {
		served["actions"] = actions
	}
	for kind, served := range served {
		entries, err := os.ReadDir(filepath.Join(examplesDir, kind))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, e := range entries {
			if !slices.Contains(served, e.Name()) {
				t.Errorf("examples/%s/%s: the provider serves no %s of that name; remove the examples or fix the name (it serves %s)",
					kind, e.Name(), strings.TrimSuffix(kind, "s"), strings.Join(served, ", "))
			}
		}
	}
}

// servedTypes asks the built provider, through the CLI, which resources and data
// sources it serves.
func servedTypes(t *testing.T, c tfcli.CLI) (resources, dataSources, listResources, actions []string) {
	t.Helper()
	work := devWorkdir(t, c)
	writeFile(t, filepath.Join(work.Dir, "main.tf"), tfcli.RequiredProviders)
	result, err := work.Run(t.Context(), "providers", "schema", "-json")
	if err != nil {
		t.Fatal(err)
	}
	if result.ExitCode != 0 {
		t.Fatalf("%s providers schema -json exited %d:\n%s", c.Path, result.ExitCode, result.Stderr)
	}
	out := result.Stdout
	var schemas struct {
		ProviderSchemas map[string]struct {
			ResourceSchemas     map[string]json.RawMessage `json:"resource_schemas"`
			DataSourceSchemas   map[string]json.RawMessage `json:"data_source_schemas"`
			ListResourceSchemas map[string]json.RawMessage `json:"list_resource_schemas"`
			ActionSchemas       map[string]json.RawMessage `json:"action_schemas"`
		} `json:"provider_schemas"`
	}
	if err := json.Unmarshal(out, &schemas); err != nil {
		t.Fatalf("providers schema -json: %v", err)
	}
	schema, ok := schemas.ProviderSchemas[c.ProviderAddress(tfcli.ProviderSource)]
	if !ok {
		t.Fatalf("providers schema -json has no schema for %s:\n%.500s", c.ProviderAddress(tfcli.ProviderSource), out)
	}
	for name := range schema.ResourceSchemas {
		resources = append(resources, name)
	}
	for name := range schema.DataSourceSchemas {
		dataSources = append(dataSources, name)
	}
	// Terraform 1.14 and later list them and actions; older CLIs leave them out.
	for name := range schema.ListResourceSchemas {
		listResources = append(listResources, name)
	}
	sort.Strings(resources)
	sort.Strings(dataSources)
	for name := range schema.ActionSchemas {
		actions = append(actions, name)
	}
	sort.Strings(listResources)
	sort.Strings(actions)
	return resources, dataSources, listResources, actions
}

func requireFile(t *testing.T, rel string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(examplesDir, rel)); err != nil {
		t.Errorf("examples/%s is missing: tfplugindocs documents the provider from it", rel)
	}
}

func requireContent(t *testing.T, rel string, pattern *regexp.Regexp, what string) {
	t.Helper()
	content, err := os.ReadFile(filepath.Join(examplesDir, rel))
	if err != nil {
		t.Errorf("examples/%s is missing: tfplugindocs documents importing from it", rel)
		return
	}
	if !pattern.Match(content) {
		t.Errorf("examples/%s has no %s:\n%s", rel, what, content)
	}
}

// exampleDirs is every directory under examples/ that holds .tf files, relative to it.
func exampleDirs(t *testing.T) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(examplesDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if d.Name() == ".terraform" {
			return filepath.SkipDir
		}
		if len(filesEndingIn(t, path, ".tf", ".tfquery.hcl")) > 0 {
			rel, err := filepath.Rel(examplesDir, path)
			dirs = append(dirs, filepath.ToSlash(rel))
			return err
		}
		return nil
	})
	must(t, err)
	return dirs
}

// filesEndingIn is the files of dir, not of its subdirectories, with one of the suffixes.
func filesEndingIn(t *testing.T, dir string, suffixes ...string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	must(t, err)
	var files []string
	for _, e := range entries {
		if !e.IsDir() && slices.ContainsFunc(suffixes, func(suffix string) bool { return strings.HasSuffix(e.Name(), suffix) }) {
			files = append(files, e.Name())
		}
	}
	return files
}
