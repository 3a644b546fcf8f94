package e2e

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// startsACLI finds, in a package's test files, what starts the Terraform CLI or finds it:
// the acceptance tests of terraform-plugin-testing, the CLI of these tests, or TF_ACC read
// by hand.
var startsACLI = regexp.MustCompile(`resource\.(Test|ParallelTest|UnitTest)\(|terraformCLI\(|tfcli\.Find\(|Getenv\("TF_ACC"\)|TF_ACC_TERRAFORM_PATH`)

// make testacc-matrix reruns only the packages whose tests start a CLI, the others being
// the same under every CLI: a package that starts one and is not listed would never run
// under Terraform 1.5.7, 1.14 or OpenTofu, and nothing else would say so. The tests it
// skips there must exist, or a renamed one would come back to every run of the matrix.
func TestMatrix_rerunsEveryPackageWhoseTestsStartACLI(t *testing.T) {
	makefile, err := os.ReadFile(filepath.Join("..", "..", "GNUmakefile"))
	if err != nil {
		t.Fatal(err)
	}
	variable := func(name string) string {
		m := regexp.MustCompile(`(?m)^` + name + ` := (.+)$`).FindSubmatch(makefile)
		if m == nil {
			t.Fatalf("GNUmakefile sets no %s", name)
		}
		return string(m[1])
	}
	listed := strings.Fields(variable("MATRIX_PACKAGES"))
	// The pattern is ^(A|B)$$ in the Makefile, where $$ is a $.
	skipped := strings.Split(strings.TrimSuffix(strings.TrimPrefix(variable("MATRIX_SKIP"), "^("), ")$$"), "|")

	var starting []string
	tests := map[string]bool{}
	root := filepath.Join("..", "..")
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "dist") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		pkg := "./" + filepath.ToSlash(rel)
		if startsACLI.Match(src) && !slices.Contains(starting, pkg) {
			starting = append(starting, pkg)
		}
		for _, m := range regexp.MustCompile(`(?m)^func (Test\w+)\(`).FindAllSubmatch(src, -1) {
			if slices.Contains(listed, pkg) {
				tests[string(m[1])] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(starting)
	for _, pkg := range starting {
		if !slices.Contains(listed, pkg) {
			t.Errorf("the tests of %s start a CLI, but MATRIX_PACKAGES in GNUmakefile does not list it: the matrix never runs them", pkg)
		}
	}
	for _, pkg := range listed {
		if !slices.Contains(starting, pkg) {
			t.Errorf("MATRIX_PACKAGES lists %s, whose tests start no CLI: the matrix runs them three times for nothing", pkg)
		}
	}
	for _, name := range skipped {
		if !tests[name] {
			t.Errorf("MATRIX_SKIP names %s, which no package of MATRIX_PACKAGES has", name)
		}
	}
	if len(starting) == 0 || len(skipped) == 0 {
		t.Fatalf("found packages %v and skipped tests %v: the search is broken", starting, skipped)
	}
}
