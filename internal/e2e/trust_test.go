package e2e

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

// These tests run, as a user would, the ways the state used to be lost or the provider
// blamed: each asserts what the state holds afterwards and what the account's followers
// carry, not only the exit code.

// stateAddresses are the addresses of the resources in the state.
func (w *workspace) stateAddresses() []string {
	var addresses []string
	for _, r := range w.state() {
		addresses = append(addresses, r.Address)
	}
	slices.Sort(addresses)
	return addresses
}

// A token of another account, copied from another pipeline with nothing that names its
// account, refreshes nothing away: every resource recorded its account, and the
// provider, which cannot name the token's, stops before any call.
func TestTrust_anotherAccountsBareTokenKeepsTheState(t *testing.T) {
	t.Parallel()
	followers := mockwechat.GenerateOpenIDs(2, 21)
	w := newWorkspace(t, mockwechat.Config{Tags: []string{"VIP"}, Followers: followers})
	w.configure(fmt.Sprintf(`
resource "wechat_tag" "campaign" {
  name = "campaign"
}

resource "wechat_tag" "spring" {
  name = "spring"
}

resource "wechat_user_tags" "alice" {
  openid  = %q
  tag_ids = [100]
}

resource "wechat_tag_members" "campaign" {
  tag_id  = wechat_tag.campaign.id
  openids = [%q]
}
`, followers[0], followers[1]))
	w.mustRun("apply", "-auto-approve", "-no-color")
	before := w.stateAddresses()

	// Account B: its tag ids are the same small numbers, with other tags and followers.
	other := mockwechat.New(mockwechat.Config{
		AppID: "wx0b0b0b0b0b0b0b0b", AppSecret: "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		Tags: []string{"B-VIP"}, Followers: mockwechat.GenerateOpenIDs(2, 99), ForeignOpenIDs: followers,
	})
	server := httptest.NewServer(other)
	t.Cleanup(server.Close)
	underB := w.WithEnv("WECHAT_APP_ID=", "WECHAT_APP_SECRET=", "WECHAT_BASE_URL="+server.URL, "WECHAT_ACCESS_TOKEN="+other.IssueAccessToken())
	result, err := underB.Run(t.Context(), "apply", "-refresh-only", "-auto-approve", "-no-color")
	if err != nil {
		t.Fatal(err)
	}
	out := strings.Join(strings.Fields(result.Output()), " ")
	if result.ExitCode == 0 || !strings.Contains(out, "Error: Account of the access token unknown") || !strings.Contains(out, "AppID "+appID) {
		t.Fatalf("apply -refresh-only under another account's bare token exited %d; want the refusal naming %s:\n%s", result.ExitCode, appID, out)
	}
	if after := w.stateAddresses(); !slices.Equal(after, before) {
		t.Errorf("state after the refused refresh: %v, want %v", after, before)
	}
	for path, n := range other.Calls() {
		if n != 0 {
			t.Errorf("the other account was called at %s %d times; the guard must stop before any call", path, n)
		}
	}
	// The account itself is as the first apply left it, and under its own credentials
	// the plan is empty.
	if tags, _ := w.mock.UserTags(followers[0]); !slices.Contains(tags, 100) {
		t.Errorf("alice carries %v, want tag 100", tags)
	}
	if code, out := w.run("plan", "-detailed-exitcode", "-no-color"); code != 0 {
		t.Errorf("plan under the account's own credentials exited %d, want 0:\n%s", code, out)
	}
}

// A state pushed back without its private records (a migration tool, or state pull, an
// edit and state push) leaves a file-mode wechat_tag_members unable to tell its
// followers: the destroy fails and changes nothing, where it used to report success and
// leave all 12 followers tagged.
func TestTrust_lostFollowerRecordFailsTheDestroy(t *testing.T) {
	t.Parallel()
	followers := mockwechat.GenerateOpenIDs(12, 22)
	w := newWorkspace(t, mockwechat.Config{Tags: []string{"VIP"}, Followers: followers})
	file := filepath.Join(w.Dir, "vip.txt")
	writeFile(t, file, strings.Join(followers, "\n")+"\n")
	w.configure(`
resource "wechat_tag_members" "vip" {
  tag_id       = 100
  openids_file = "${path.module}/vip.txt"
}
`)
	w.mustRun("apply", "-auto-approve", "-no-color")
	// The file moves on (the next campaign's list), and the state loses its records.
	writeFile(t, file, followers[0]+"\n")
	w.pushStateWithoutPrivate()
	w.mock.ResetCalls()

	code, out := w.run("destroy", "-auto-approve", "-no-color")
	flat := strings.Join(strings.Fields(out), " ")
	if code == 0 || !strings.Contains(flat, "Error: Record of the managed followers lost") || !strings.Contains(flat, "manages 12 followers") {
		t.Fatalf("destroy exited %d; want the lost record named:\n%s", code, out)
	}
	if n := w.mock.CallCount("/cgi-bin/tags/members/batchuntagging"); n != 0 {
		t.Errorf("the refused destroy made %d batchuntagging calls", n)
	}
	if tag, _ := w.mock.TagByID(100); tag.Count != 12 {
		t.Errorf("tag 100 has %d followers after the refused destroy, want 12", tag.Count)
	}
	if addresses := w.stateAddresses(); !slices.Equal(addresses, []string{"wechat_tag_members.vip"}) {
		t.Errorf("state after the refused destroy: %v, want the resource kept", addresses)
	}

	// The file as of the last apply is the proof the record is rebuilt from.
	writeFile(t, file, strings.Join(followers, "\n")+"\n")
	w.mustRun("destroy", "-auto-approve", "-no-color")
	if tag, _ := w.mock.TagByID(100); tag.Count != 0 {
		t.Errorf("tag 100 has %d followers after the destroy, want none", tag.Count)
	}
}

// pushStateWithoutPrivate removes the private records of every resource instance, as a
// state edited outside Terraform can.
func (w *workspace) pushStateWithoutPrivate() {
	w.t.Helper()
	var state map[string]any
	if err := json.Unmarshal([]byte(w.mustRun("state", "pull")), &state); err != nil {
		w.t.Fatal(err)
	}
	resources, _ := state["resources"].([]any)
	for _, r := range resources {
		instances, _ := r.(map[string]any)["instances"].([]any)
		for _, instance := range instances {
			delete(instance.(map[string]any), "private") //nolint:forcetypeassert // a state's instances are objects
		}
	}
	state["serial"] = state["serial"].(float64) + 1 //nolint:forcetypeassert // a state's serial is a number
	edited, err := json.Marshal(state)
	if err != nil {
		w.t.Fatal(err)
	}
	path := filepath.Join(w.Dir, "edited.tfstate")
	if err := os.WriteFile(path, edited, 0o600); err != nil {
		w.t.Fatal(err)
	}
	w.mustRun("state", "push", path)
}

// A file that changes between `plan -out` and the apply of that plan: Terraform re-plans
// each change at apply and compares the result with the saved plan before the provider
// is asked to apply it, so what the user reads is Terraform's own refusal, which blames
// the provider. The resource page says so, word for word; this test holds both to what
// happens, and to the account being left unchanged.
func TestTrust_fileChangedAfterSavedPlanChangesNothing(t *testing.T) {
	t.Parallel()
	followers := mockwechat.GenerateOpenIDs(4, 23)
	w := newWorkspace(t, mockwechat.Config{Tags: []string{"VIP"}, Followers: followers})
	file := filepath.Join(w.Dir, "vip.txt")
	writeFile(t, file, followers[0]+"\n")
	w.configure(`
resource "wechat_tag_members" "vip" {
  tag_id       = 100
  openids_file = "${path.module}/vip.txt"
}
`)
	w.mustRun("apply", "-auto-approve", "-no-color")
	writeFile(t, file, followers[0]+"\n"+followers[1]+"\n")
	w.mustRun("plan", "-out=tfplan", "-no-color")
	writeFile(t, file, followers[0]+"\n"+followers[2]+"\n"+followers[3]+"\n")
	w.mock.ResetCalls()

	code, out := w.run("apply", "-no-color", "tfplan")
	// OpenTofu names the provider by its own registry; the page quotes Terraform.
	flat := strings.ReplaceAll(strings.Join(strings.Fields(out), " "), "registry.opentofu.org", "registry.terraform.io")
	documented := documentedSavedPlanRefusal(t)
	for _, want := range documented {
		if !strings.Contains(flat, want) {
			t.Errorf("the apply does not say %q, which the resource page quotes:\n%s", want, out)
		}
	}
	if code == 0 {
		t.Error("the apply of the stale plan succeeded")
	}
	for _, write := range []string{"/cgi-bin/tags/members/batchtagging", "/cgi-bin/tags/members/batchuntagging"} {
		if n := w.mock.CallCount(write); n != 0 {
			t.Errorf("the refused apply made %d %s calls", n, write)
		}
	}
	for i, openid := range followers {
		if tags, _ := w.mock.UserTags(openid); slices.Contains(tags, 100) != (i == 0) {
			t.Errorf("follower %d carries %v after the refused apply; only follower 0 should carry tag 100", i, tags)
		}
	}
}

// documentedSavedPlanRefusal is what the wechat_tag_members page says the user reads
// when the file changed after a saved plan: the lines of its quoted error, each with
// its white space folded and its placeholders (…) cut away.
func documentedSavedPlanRefusal(t *testing.T) []string {
	t.Helper()
	page, err := os.ReadFile(filepath.Join("..", "..", "templates", "resources", "tag_members.md.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(page)
	start := strings.Index(text, "Error: Provider produced inconsistent final plan")
	if start < 0 {
		t.Fatal("the wechat_tag_members page does not quote the error a stale saved plan meets")
	}
	end := strings.Index(text[start:], "```")
	var parts []string
	for _, part := range strings.Split(text[start:start+end], "…") {
		if folded := strings.Join(strings.Fields(part), " "); len(folded) > 10 {
			parts = append(parts, folded)
		}
	}
	return parts
}
