package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The mock is installable as the docs say, `go install <module>/cmd/wechat-mock@<version>`,
// from an empty module cache: the committed tree is served as a release of the module by
// a module proxy on the file system, as the Go module proxy would serve a tag.
// moduleVersion is the version under which moduleProxy serves the committed tree.
const moduleVersion = "v0.0.0-20261203000000-000000000000"

// moduleProxy is a Go module proxy on the file system that serves the committed tree as
// the only, and so the latest, version of the module, as the Go module proxy would serve
// a tag. The mock needs nothing beyond the standard library and the module itself, so
// it is the only proxy an install of the mock needs.
func moduleProxy(t *testing.T) string {
	t.Helper()
	root := filepath.Join("..", "..")
	proxy := t.TempDir()
	versions := filepath.Join(proxy, module, "@v")
	must(t, os.MkdirAll(versions, 0o755))
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), "git", args...)
		cmd.Dir = root
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("git %s: %v", strings.Join(args, " "), err)
		}
		return string(out)
	}
	git("archive", "--format=zip", "--prefix="+module+"@"+moduleVersion+"/", "-o", filepath.Join(versions, moduleVersion+".zip"), "HEAD")
	writeFile(t, filepath.Join(versions, moduleVersion+".mod"), git("show", "HEAD:go.mod"))
	writeFile(t, filepath.Join(versions, moduleVersion+".info"), `{"Version":"`+moduleVersion+`","Time":"2026-12-03T00:00:00Z"}`)
	writeFile(t, filepath.Join(versions, "list"), moduleVersion+"\n")
	return proxy
}

// goInstallEnv is what go install needs to install the module from proxy into bin with an
// empty module cache.
func goInstallEnv(t *testing.T, proxy, bin string) []string {
	return []string{
		"GOMODCACHE=" + t.TempDir(), "GOFLAGS=-modcacherw", "GOPROXY=file://" + filepath.ToSlash(proxy),
		"GONOSUMDB=" + module, "GOBIN=" + bin,
	}
}

const module = "github.com/wechat-tf/terraform-provider-wechat"

// The mock is installable as the docs say, `go install <module>/cmd/wechat-mock@<version>`,
// from an empty module cache.
func TestMock_goInstallFromACleanModuleCache(t *testing.T) {
	bin := t.TempDir()
	cmd := exec.CommandContext(t.Context(), "go", "install", module+"/cmd/wechat-mock@"+moduleVersion)
	cmd.Dir, cmd.Env = t.TempDir(), append(os.Environ(), goInstallEnv(t, moduleProxy(t), bin)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go install: %v\n%s", err, out)
	}
	help, _ := exec.CommandContext(t.Context(), filepath.Join(bin, "wechat-mock"), "-h").CombinedOutput()
	if !strings.Contains(string(help), "-daily-quota") {
		t.Errorf("the installed wechat-mock -h does not list its flags:\n%s", help)
	}
}
