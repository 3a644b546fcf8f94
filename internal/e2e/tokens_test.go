package e2e

import (
	"slices"
	"strings"
	"testing"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

// twentyTags is 20 tags, for a plan that refreshes 20 resources at once.
const twentyTags = `
resource "wechat_tag" "segment" {
  count = 20
  name  = format("segment-%02d", count.index)
}
`

// The account's own servers share the AppID: a plan must fetch at most one token, and
// never from /cgi-bin/token, which would invalidate theirs. Its quota is counted per call,
// so the refresh of every tag shares one tags/get too.
func TestTokens_planOfTwentyResourcesFetchesAtMostOneToken(t *testing.T) {
	cases := map[string]struct {
		env                 []string
		stableToken, legacy int
		staticTokenFromMock bool
	}{
		"stable_token by default": {stableToken: 1, legacy: 0},
		"token only when opted in": {
			env:         []string{"WECHAT_TOKEN_ENDPOINT=token"},
			stableToken: 0, legacy: 1,
		},
		"a static token fetches none": {staticTokenFromMock: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newWorkspace(t, mockwechat.Config{}, tc.env...)
			if tc.staticTokenFromMock {
				w.Env = append(w.Env, "WECHAT_APP_ID=", "WECHAT_APP_SECRET=", "WECHAT_ACCESS_TOKEN="+w.mock.IssueAccessToken())
			}
			w.configure(twentyTags)
			w.mustRun("apply", "-auto-approve", "-parallelism=10", "-no-color")
			w.mock.ResetCalls()

			w.mustRun("plan", "-parallelism=10", "-no-color")
			stable, legacy := w.mock.CallCount("/cgi-bin/stable_token"), w.mock.CallCount("/cgi-bin/token")
			if stable != tc.stableToken || legacy != tc.legacy {
				t.Errorf("the plan called stable_token %d and token %d times, want %d and %d", stable, legacy, tc.stableToken, tc.legacy)
			}
			// The refresh of every tag shares one read of the account's tags.
			if reads := w.mock.CallCount("/cgi-bin/tags/get"); reads != 1 {
				t.Errorf("the plan called tags/get %d times, want 1", reads)
			}
			t.Logf("plan of 20 tags: stable_token %d, token %d, tags/get %d", stable, legacy, w.mock.CallCount("/cgi-bin/tags/get"))
			w.mustRun("destroy", "-auto-approve", "-no-color")
		})
	}
}

// Credentials the service refuses are one error of the command, on the provider, not one
// per resource: a plan of 20 tags with a wrong AppSecret says so once, after one token
// call, and names the setting to fix.
func TestTokens_wrongSecretIsOneErrorPerCommand(t *testing.T) {
	t.Parallel()
	w := newWorkspace(t, mockwechat.Config{})
	w.configure(twentyTags)
	w.mustRun("apply", "-auto-approve", "-parallelism=10", "-no-color")
	w.mock.ResetCalls()

	good := slices.Clone(w.Env)
	w.Env = append(w.Env, "WECHAT_APP_SECRET=00000000000000000000000000000000")
	code, out := w.run("plan", "-parallelism=10", "-no-color")
	if code == 0 {
		t.Fatalf("the plan with a wrong secret succeeded:\n%s", out)
	}
	if n := strings.Count(out, "Error: WeChat refused the AppSecret"); n != 1 || !strings.Contains(out, "WECHAT_APP_SECRET") {
		t.Errorf("the plan reported the wrong secret %d times, want once, naming WECHAT_APP_SECRET:\n%s", n, out)
	}
	if n := w.mock.CallCount("/cgi-bin/stable_token"); n != 1 {
		t.Errorf("the plan called stable_token %d times, want 1", n)
	}
	t.Logf("plan of 20 tags with a wrong secret: %d error(s), %d stable_token call(s)", strings.Count(out, "Error: "), w.mock.CallCount("/cgi-bin/stable_token"))

	w.Env = good
	w.mustRun("destroy", "-auto-approve", "-no-color")
}
