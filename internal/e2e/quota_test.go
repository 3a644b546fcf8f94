package e2e

import (
	"strings"
	"testing"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

// The CI guide's check block: with plenty of quota the plan is silent; with fewer calls
// left than five plans need, it warns, and still succeeds.
func TestGuide_quotaCheckWarnsBeforeTheQuotaRunsOut(t *testing.T) {
	w := newWorkspace(t, mockwechat.Config{DailyQuotas: map[string]int{"/cgi-bin/tags/getidlist": 5000}})
	w.configure(guideExample(t, "quota-check/main.tf"))

	out := w.mustRun("plan", "-no-color")
	if strings.Contains(out, "Check block assertion failed") {
		t.Errorf("a plan with 5,000 calls left warned:\n%s", out)
	}

	must(t, w.mock.SetDailyQuota("/cgi-bin/tags/getidlist", 900))
	code, out := w.run("plan", "-detailed-exitcode", "-no-color")
	if code == 1 {
		t.Fatalf("a plan with 900 calls left failed:\n%s", out)
	}
	mustMatch(t, "the plan", out, `Warning: Check block assertion failed`,
		`Only 900 of the 900 tags/getidlist calls of today remain: fewer than 5 plans`)
}
