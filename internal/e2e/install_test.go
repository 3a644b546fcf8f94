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
func TestMock_goInstallFromACleanModuleCache(t *testing.T) {
	const module, version = "github.com/wechat-tf/terraform-provider-wechat", "v0.0.0-20261203000000-000000000000"
	root := filepath.Join("..", "..")
	proxy := t.TempDir()
	versions := filepath.Join(proxy, module, "@v")
	must(t, os.MkdirAll(versions, 0o755))
	run := func(dir string, env []string, name string, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), name, args...)
		cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run(root, nil, "git", "archive", "--format=zip", "--prefix="+module+"@"+version+"/", "-o", filepath.Join(versions, version+".zip"), "HEAD")
	goMod := run(root, nil, "git", "show", "HEAD:go.mod")
	writeFile(t, filepath.Join(versions, version+".mod"), goMod)
	writeFile(t, filepath.Join(versions, version+".info"), `{"Version":"`+version+`","Time":"2026-12-03T00:00:00Z"}`)
	writeFile(t, filepath.Join(versions, "list"), version+"\n")

	bin := t.TempDir()
	// The mock needs nothing beyond the standard library and the module itself, so the
	// proxy on disk is the only one.
	run(t.TempDir(), []string{
		"GOMODCACHE=" + t.TempDir(), "GOFLAGS=-modcacherw", "GOPROXY=file://" + filepath.ToSlash(proxy),
		"GONOSUMDB=" + module, "GOBIN=" + bin,
	}, "go", "install", module+"/cmd/wechat-mock@"+version)
	if help := run(bin, nil, filepath.Join(bin, "wechat-mock"), "-h"); !strings.Contains(help, "-daily-quota") {
		t.Errorf("the installed wechat-mock -h does not list its flags:\n%s", help)
	}
}
