package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// guideShell runs a shell file of examples/guides with bash, as a reader pastes it into a
// shell that stops at the first failing command, in dir with env; whatever it started in
// the background is stopped at the end.
func guideShell(t *testing.T, name, dir string, env []string) string {
	t.Helper()
	return guideShellThen(t, name, dir, env, nil)
}

// guideShellThen is guideShell, calling inspect, when given, once the script has ended but
// before what it started in the background, such as the mock, is stopped.
func guideShellThen(t *testing.T, name, dir string, env []string, inspect func()) string {
	t.Helper()
	script := guideExample(t, name)
	cmd := exec.CommandContext(t.Context(), "bash", "-e", "-c", script)
	cmd.Dir, cmd.Env = dir, env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// A file, not a pipe: the background process keeps its end of a pipe open, and the
	// wait for the script would last as long as it.
	output, err := os.CreateTemp(t.TempDir(), "output")
	must(t, err)
	cmd.Stdout, cmd.Stderr = output, output
	err = cmd.Run()
	if inspect != nil && err == nil {
		inspect()
	}
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) // what it started, such as the mock
	}
	must(t, output.Close())
	out, readErr := os.ReadFile(output.Name())
	must(t, readErr)
	if err != nil {
		t.Fatalf("examples/guides/%s: %v\n%s", name, err, out)
	}
	return string(out)
}

// cleanEnv is the test's environment without the variables the guide's reader would not
// have set: the CLI configuration of the tests, the credentials, HOME; with home as HOME
// and Go's caches where they were, so that the builds need no download.
func cleanEnv(t *testing.T, home, path string) []string {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name == "HOME" || name == "PATH" || name == "TF_CLI_CONFIG_FILE" || strings.HasPrefix(name, "WECHAT_") || strings.HasPrefix(name, "TF_ACC") {
			continue
		}
		env = append(env, kv)
	}
	names := []string{"GOPATH", "GOMODCACHE", "GOCACHE"}
	values, err := exec.CommandContext(t.Context(), "go", append([]string{"env"}, names...)...).Output()
	must(t, err)
	for i, value := range strings.Split(strings.TrimSpace(string(values)), "\n") {
		env = append(env, names[i]+"="+value)
	}
	return append(env, "HOME="+home, "PATH="+path, "CHECKPOINT_DISABLE=1")
}

// The getting-started guide as printed: `make install` in the checkout, then in a new
// directory the mock, terraform init (from the implied local mirror, offline) and a plan.
func TestGuide_gettingStarted(t *testing.T) {
	cli := terraformCLI(t)
	home, bin, work := t.TempDir(), t.TempDir(), t.TempDir()
	// The reader's PATH: the CLI as `terraform`, the mock, and the system's tools.
	must(t, os.Symlink(cli.Path, filepath.Join(bin, "terraform")))
	build := exec.CommandContext(t.Context(), "go", "build", "-o", filepath.Join(bin, "wechat-mock"), "./cmd/wechat-mock")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/wechat-mock: %v\n%s", err, out)
	}
	env := cleanEnv(t, home, bin+string(os.PathListSeparator)+os.Getenv("PATH"))

	installed := guideShell(t, "getting-started/install.sh", filepath.Join("..", ".."), env)
	mustMatch(t, "make install", installed, `Installed .*/.terraform.d/plugins/registry.terraform.io/wechat-tf/wechat/0.1.0/`)

	writeFile(t, filepath.Join(work, "main.tf"), guideExample(t, "getting-started/main.tf"))
	out := withoutColor(guideShell(t, "getting-started/try.sh", work, env))
	mustMatch(t, "the guide's commands", out,
		`Installing wechat-tf/wechat v0.1.0`,
		`wechat_tag.vip will be created`,
		`Plan: 1 to add, 0 to change, 0 to destroy.`)
}
