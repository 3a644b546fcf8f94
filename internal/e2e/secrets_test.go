package e2e

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

// secretsConfig creates, renames and tags, then fails on a follower that does not exist,
// so that the logs hold successes, retries and errors.
const secretsConfig = `
variable "follower" {
  type = string
}

variable "stranger" {
  type    = string
  default = ""
}

resource "wechat_tag" "vip" {
  name = "VIP"
}

resource "wechat_user_tags" "follower" {
  openid  = var.follower
  tag_ids = [wechat_tag.vip.id]
}

resource "wechat_user_tags" "stranger" {
  count   = var.stranger == "" ? 0 : 1
  openid  = var.stranger
  tag_ids = [wechat_tag.vip.id]
}
`

// TestSecrets_neverInLogsOutputPlanOrState runs the provider at TF_LOG=trace, with each way
// to authenticate, through successes, retries of injected faults, an expired token and a
// failing apply, and finds neither the app secret nor any token the mock issued anywhere
// Terraform wrote: its log, its output, the saved plan or the state.
func TestSecrets_neverInLogsOutputPlanOrState(t *testing.T) {
	t.Run("app id and secret", func(t *testing.T) {
		t.Parallel()
		testNoSecretsLeak(t, nil)
	})
	t.Run("static access token", func(t *testing.T) {
		t.Parallel()
		testNoSecretsLeak(t, func(w *workspace) []string {
			token := w.mock.IssueAccessToken()
			return []string{"WECHAT_APP_ID=", "WECHAT_APP_SECRET=", "WECHAT_ACCESS_TOKEN=" + token}
		})
	})
}

func testNoSecretsLeak(t *testing.T, auth func(*workspace) []string) {
	followers := mockwechat.GenerateOpenIDs(1, 11)
	logPath := filepath.Join(t.TempDir(), "terraform.log")
	w := newWorkspace(t, mockwechat.Config{Followers: followers}, "TF_LOG=trace", "TF_LOG_PATH="+logPath)
	if auth != nil {
		w.Env = append(w.Env, auth(w)...)
	}
	w.configure(secretsConfig)
	follower := "-var=follower=" + followers[0]

	must(t, w.mock.SetFaults(mockwechat.Faults{Seed: 7, ErrcodeRate: 0.2, HTTP500Rate: 0.1, DropRate: 0.05, LostResponseRate: 0.05}))
	w.mustRun("apply", "-auto-approve", "-no-color", follower)
	if auth == nil {
		// A static token cannot be refreshed, so only app credentials see an expiry.
		w.mock.ExpireTokens()
	}
	w.mustRun("plan", "-no-color", "-out=tfplan", follower)
	w.mustRun("show", "-json", "tfplan")
	stranger := mockwechat.GenerateOpenIDs(1, 12)[0]
	if code, _ := w.run("apply", "-auto-approve", "-no-color", follower, "-var=stranger="+stranger); code == 0 {
		t.Error("the apply with an openid that follows no one succeeded")
	}
	if stats := w.mock.FaultStats(); stats.Calls == 0 {
		t.Fatal("no faults were injected")
	}
	must(t, w.mock.SetFaults(mockwechat.Faults{}))
	w.mustRun("destroy", "-auto-approve", "-no-color", follower)

	secrets := []string{appSecret}
	secrets = append(secrets, w.mock.IssuedTokens()...)
	for _, file := range []string{logPath, filepath.Join(w.Dir, "terraform.tfstate"), filepath.Join(w.Dir, "terraform.tfstate.backup"), filepath.Join(w.Dir, "tfplan")} {
		content, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("reading %s: %v", file, err)
		}
		requireNoSecret(t, filepath.Base(file), string(content), secrets)
	}
	requireNoSecret(t, "terraform output", w.output.String(), secrets)

	log, _ := os.ReadFile(logPath)
	if !strings.Contains(string(log), "WeChat API call failed; retrying") {
		t.Error("the log shows no retry: the test did not exercise the retry path")
	}
	t.Logf("checked %d bytes of log and %d of output for %d secrets", len(log), w.output.Len(), len(secrets))
}

func requireNoSecret(t *testing.T, where, text string, secrets []string) {
	t.Helper()
	for _, secret := range secrets {
		for _, form := range []string{secret, url.QueryEscape(secret)} {
			if n := strings.Count(text, form); n > 0 {
				i := strings.Index(text, form)
				t.Errorf("%s holds a secret %d times, first at: …%s…", where, n, text[max(0, i-120):min(len(text), i+len(form)+40)])
			}
		}
	}
}
