package e2e

import (
	"archive/zip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

// The ephemeral token, used by another provider configuration, is in no plan file and no
// state: the example of its page applied from a saved plan, then every token the mock
// issued looked for in every file Terraform wrote.
func TestEphemeralAccessToken_reachesNoPlanOrState(t *testing.T) {
	w := newWorkspace(t, mockwechat.Config{})
	w.requireTerraform(1, 10, "ephemeral resources")
	example, err := os.ReadFile(filepath.Join(examplesDir, "ephemeral-resources", "wechat_access_token", "ephemeral-resource.tf"))
	must(t, err)
	w.configure(string(example))

	w.mustRun("plan", "-out=tfplan", "-no-color")
	w.mustRun("apply", "-no-color", "tfplan")
	if _, created := w.tagNamed("made-with-the-token"); !created {
		t.Fatal("the provider configured with the ephemeral token did not create its tag")
	}
	plan := withoutColor(w.mustRun("show", "-json", "tfplan"))

	tokens := w.mock.IssuedTokens()
	if len(tokens) == 0 {
		t.Fatal("the mock issued no token")
	}
	written := map[string]string{"terraform show -json tfplan": plan}
	for _, name := range []string{"terraform.tfstate", "tfplan"} {
		content, err := os.ReadFile(filepath.Join(w.Dir, name))
		must(t, err)
		written[name] = string(content)
	}
	// A plan file is a zip archive: its members are compressed, so read them too.
	archive, err := zip.OpenReader(filepath.Join(w.Dir, "tfplan"))
	must(t, err)
	defer func() { must(t, archive.Close()) }()
	for _, member := range archive.File {
		r, err := member.Open()
		must(t, err)
		content, err := io.ReadAll(r)
		must(t, err)
		written["tfplan/"+member.Name] = string(content)
	}
	for name, content := range written {
		for _, token := range tokens {
			if strings.Contains(content, token) {
				t.Errorf("%s holds an access token", name)
			}
		}
	}
}

// tagNamed is the tag of the mock account with the name.
func (w *workspace) tagNamed(name string) (mockwechat.Tag, bool) {
	for _, tag := range w.mock.Tags() {
		if tag.Name == name {
			return tag, true
		}
	}
	return mockwechat.Tag{}, false
}
