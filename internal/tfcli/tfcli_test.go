package tfcli

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/hashicorp/go-version"
)

// Outputs of the real CLIs: Terraform 1.11.4, Terraform 1.5.7 when a newer release exists,
// and OpenTofu 1.12.6, which prints the problems of its CLI configuration on standard
// output before anything else.
const (
	terraformText = "Terraform v1.11.4\non linux_amd64\n"
	terraformJSON = `{
  "terraform_version": "1.11.4",
  "platform": "linux_amd64",
  "provider_selections": {},
  "terraform_outdated": false
}
`
	outdatedTerraformText = "Terraform v1.5.7\non linux_amd64\n\nYour version of Terraform is out of date! The latest version\n" +
		"is 1.11.4. You can update by downloading from https://developer.hashicorp.com/terraform/install\n"
	tofuWarnings = "\nWarning: Unable to open CLI configuration file\n\n" +
		"The CLI configuration file at \"/root/.terraformrc\" does not exist.\n"
	tofuText = "OpenTofu v1.12.6\non linux_amd64\n"
	tofuJSON = `{
  "terraform_version": "1.12.6",
  "platform": "linux_amd64",
  "provider_selections": {}
}
`
)

func TestParseVersionText_findsTheProductAndVersionOnAnyLine(t *testing.T) {
	for _, c := range []struct {
		name, out string
		product   Product
		version   string
	}{
		{"Terraform", terraformText, Terraform, "1.11.4"},
		{"Terraform out of date", outdatedTerraformText, Terraform, "1.5.7"},
		{"OpenTofu", tofuText, OpenTofu, "1.12.6"},
		{"OpenTofu after warnings", tofuWarnings + tofuText, OpenTofu, "1.12.6"},
		{"a prerelease", "Terraform v1.12.0-alpha20250319\non linux_amd64\n", Terraform, "1.12.0-alpha20250319"},
	} {
		product, v, err := parseVersionText([]byte(c.out))
		if err != nil || product != c.product || v.String() != c.version {
			t.Errorf("%s: got %q %v (%v), want %q %s", c.name, product, v, err, c.product, c.version)
		}
	}
	for _, out := range []string{"", tofuWarnings, "terraform 1.11.4\n", "Mentions Terraform v1.11.4 in a sentence\n"} {
		if product, v, err := parseVersionText([]byte(out)); err == nil {
			t.Errorf("%q: got %q %v, want an error", out, product, v)
		}
	}
}

func TestParseVersionJSON_readsTheObjectAfterAnyWarnings(t *testing.T) {
	for _, c := range []struct {
		name, out, version string
	}{
		{"Terraform", terraformJSON, "1.11.4"},
		{"OpenTofu", tofuJSON, "1.12.6"},
		{"OpenTofu after warnings", tofuWarnings + tofuJSON, "1.12.6"},
	} {
		v, err := parseVersionJSON([]byte(c.out))
		if err != nil || v.String() != c.version {
			t.Errorf("%s: got %v (%v), want %s", c.name, v, err, c.version)
		}
	}
	for _, out := range []string{"", terraformText, tofuWarnings, `{"platform": "linux_amd64"}`, `{"terraform_version": "latest"}`, "{\n"} {
		if v, err := parseVersionJSON([]byte(out)); err == nil {
			t.Errorf("%q: got %v, want an error", out, v)
		}
	}
}

// fakeCLI writes a shell script that answers `version` with text and `version -json`
// with jsonOut, or fails it when jsonOut is empty, as a CLI without -json would.
func fakeCLI(t *testing.T, text, jsonOut string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fake CLI is a shell script")
	}
	dir := t.TempDir()
	for name, content := range map[string]string{"text": text, "json": jsonOut} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	script := `#!/bin/sh
case "$*" in
  "version") cat "` + dir + `/text" ;;
  "version -json") [ -s "` + dir + `/json" ] || { echo "flag provided but not defined: -json" >&2; exit 1; }; cat "` + dir + `/json" ;;
  *) echo "args: $*"; echo "TF_CLI_CONFIG_FILE=$TF_CLI_CONFIG_FILE CHECKPOINT_DISABLE=$CHECKPOINT_DISABLE TF_IN_AUTOMATION=$TF_IN_AUTOMATION EXTRA=$EXTRA"; echo "to stderr" >&2; exit 3 ;;
esac
`
	path := filepath.Join(dir, "terraform")
	if err := os.WriteFile(path, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestIdentify(t *testing.T) {
	for _, c := range []struct {
		name, text, json string
		want             string
	}{
		{"Terraform", terraformText, terraformJSON, "Terraform v1.11.4"},
		{"OpenTofu printing warnings first", tofuWarnings + tofuText, tofuWarnings + tofuJSON, "OpenTofu v1.12.6"},
		// The JSON, where there is one, is what gives the version.
		{"a version -json that differs", tofuText, `{"terraform_version": "1.12.7"}`, "OpenTofu v1.12.7"},
		{"a CLI without version -json", "Terraform v0.12.31\n", "", "Terraform v0.12.31"},
	} {
		path := fakeCLI(t, c.text, c.json)
		got, err := Identify(t.Context(), path)
		if err != nil || got.String() != c.want || got.Path != path {
			t.Errorf("%s: got %v at %s (%v), want %s", c.name, got, got.Path, err, c.want)
		}
	}
	if got, err := Identify(t.Context(), fakeCLI(t, "Usage: something else\n", terraformJSON)); err == nil {
		t.Errorf("a binary whose version names no product: got %v, want an error", got)
	}
}

func TestWriteDevOverrides_namesEachProviderAsTheCLIResolvesItsSource(t *testing.T) {
	dirs := map[string]string{ProviderSource: "/repo/.build/bin", "bench/bare": "/repo/.build/bare"}
	for product, host := range map[Product]string{Terraform: "registry.terraform.io", OpenTofu: "registry.opentofu.org"} {
		path := filepath.Join(t.TempDir(), "dev.tfrc")
		c := CLI{Product: product, Version: version.Must(version.NewVersion("1.11.4"))}
		if err := c.WriteDevOverrides(path, dirs); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want := `provider_installation {
  dev_overrides {
    "` + host + `/bench/bare" = "/repo/.build/bare"
    "` + host + `/wechat-tf/wechat" = "/repo/.build/bin"
  }
  direct {}
}
`
		if string(got) != want {
			t.Errorf("%s: wrote\n%s\nwant\n%s", product, got, want)
		}
	}
}

func TestWorkdirRun_runsInTheDirectoryWithItsCLIConfigAndEnvironment(t *testing.T) {
	c, err := Identify(t.Context(), fakeCLI(t, terraformText, terraformJSON))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "work")
	w, err := c.NewWorkdir(dir, map[string]string{ProviderSource: "/bin"}, "EXTRA=first")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "dev.tfrc")); err != nil {
		t.Fatalf("no CLI configuration in the working directory: %v", err)
	}
	t.Setenv("CHECKPOINT_DISABLE", "")
	result, err := w.WithEnv("EXTRA=second").Run(t.Context(), "plan", "-no-color")
	if err != nil {
		t.Fatalf("an exit code of 3 is a result, not an error: %v", err)
	}
	want := "args: -chdir=" + dir + " plan -no-color\n" +
		"TF_CLI_CONFIG_FILE=" + filepath.Join(dir, "dev.tfrc") + " CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 EXTRA=second\n"
	if result.ExitCode != 3 || string(result.Stdout) != want || string(result.Stderr) != "to stderr\n" {
		t.Errorf("got exit %d, stdout %q, stderr %q; want exit 3 and stdout %q", result.ExitCode, result.Stdout, result.Stderr, want)
	}
	if result.Wall <= 0 || !strings.HasSuffix(result.Output(), "to stderr\n") {
		t.Errorf("wall time %v, output %q", result.Wall, result.Output())
	}
	if _, err := (Workdir{CLI: CLI{Path: filepath.Join(dir, "missing")}, Dir: dir}).Run(t.Context(), "plan"); err == nil {
		t.Error("a CLI that does not exist ran")
	}
}

// Under `make test` and `make testacc-matrix` (TF_ACC=1), the real CLI: tofu is
// OpenTofu, any other binary Terraform.
func TestFind_identifiesTheCLIOfTheAcceptanceTests(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("runs with TF_ACC=1 (make test sets it), against the CLI the acceptance tests use")
	}
	c, err := Find(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := Terraform
	if filepath.Base(c.Path) == "tofu" {
		want = OpenTofu
	}
	if c.Product != want || c.Version.Core().LessThan(version.Must(version.NewVersion("1.5.0"))) {
		t.Errorf("%s is %v, want %s 1.5 or later", c.Path, c, want)
	}
}
