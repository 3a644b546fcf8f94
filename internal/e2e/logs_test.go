package e2e

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

// apiCallLine is a line of the provider's API call log. Its fields, in hclog's key=value
// form, follow the message.
var apiCallLine = regexp.MustCompile(`WeChat API call(?: failed)?(?:; retrying)?: .*@module=wechat\.wechat`)

var logField = regexp.MustCompile(`\b(endpoint|attempt|duration_ms|errcode|retry_in_ms)=(\S+)`)

// TestLogs_debugShowsEveryAPICall runs an apply and a destroy at TF_LOG=debug and reads the
// log as an operator would: one line per request the mock answered, naming the endpoint,
// the attempt, the duration and the errcode, and no secret anywhere.
func TestLogs_debugShowsEveryAPICall(t *testing.T) {
	followers := mockwechat.GenerateOpenIDs(1, 31)
	logPath := filepath.Join(t.TempDir(), "terraform.log")
	w := newWorkspace(t, mockwechat.Config{Followers: followers}, "TF_LOG=debug", "TF_LOG_PATH="+logPath)
	w.configure(secretsConfig)
	follower := "-var=follower=" + followers[0]

	// One failed call, retried, so that the log shows a non-zero errcode and a retry too.
	must(t, w.mock.FailNext("/cgi-bin/tags/create", -1))
	w.mustRun("apply", "-auto-approve", "-no-color", follower)
	w.mustRun("destroy", "-auto-approve", "-no-color", follower)

	content, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	logged := map[string]int{}
	errcodes := map[string]bool{}
	for _, line := range strings.Split(string(content), "\n") {
		if !apiCallLine.MatchString(line) {
			continue
		}
		fields := map[string]string{}
		for _, m := range logField.FindAllStringSubmatch(line, -1) {
			fields[m[1]] = m[2]
		}
		for _, name := range []string{"endpoint", "attempt", "duration_ms", "errcode"} {
			if _, ok := fields[name]; !ok {
				t.Errorf("an API call line has no %s: %s", name, line)
			}
		}
		if _, err := strconv.Atoi(fields["duration_ms"]); err != nil {
			t.Errorf("duration_ms is not a number of milliseconds: %s", line)
		}
		logged["/cgi-bin/"+fields["endpoint"]]++
		errcodes[fields["errcode"]] = true
	}

	answered := w.mock.Calls()
	if !maps.Equal(logged, answered) {
		t.Errorf("the log has these API calls by endpoint:\n  %v\nthe mock answered:\n  %v", logged, answered)
	}
	if !errcodes["0"] || !errcodes["-1"] {
		t.Errorf("the log shows errcodes %v; want both 0 (successes) and -1 (the injected failure)", errcodes)
	}
	if !strings.Contains(string(content), "WeChat API call failed; retrying") {
		t.Error("the injected failure left no retry line in the log")
	}
	requireNoSecret(t, "the debug log", string(content), append([]string{appSecret}, w.mock.IssuedTokens()...))
	t.Logf("%d API calls logged: %v", sum(logged), logged)

	// TF_LOG_PROVIDER_WECHAT_API=warn silences the successful calls alone.
	quietLog := filepath.Join(t.TempDir(), "quiet.log")
	w.Env = append(w.Env, "TF_LOG_PATH="+quietLog, "TF_LOG_PROVIDER_WECHAT_API=warn")
	w.mustRun("plan", "-no-color", follower)
	quiet, err := os.ReadFile(quietLog)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(apiCallLine.FindAll(quiet, -1)); n != 0 {
		t.Errorf("with TF_LOG_PROVIDER_WECHAT_API=warn the log still has %d API call lines", n)
	}
	if !strings.Contains(string(quiet), "[DEBUG] provider.terraform-provider-wechat") {
		t.Error("the quiet log has no other DEBUG line of the provider: TF_LOG=debug did not apply")
	}
}

func sum(counts map[string]int) int {
	total := 0
	for _, n := range counts {
		total += n
	}
	return total
}
