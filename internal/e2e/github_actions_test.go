package e2e

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// commandsOf is a shell text's commands: its lines without comments, blank lines and
// indentation, so that a workflow's run block and a guide's script compare as commands.
func commandsOf(script string) []string {
	var commands []string
	for line := range strings.Lines(script) {
		line, _, _ = strings.Cut(line, " # ")
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			commands = append(commands, line)
		}
	}
	return commands
}

// The GitHub Actions example runs the CI guide's scripts, which the e2e tests run: its
// jobs' run blocks hold their commands exactly, and the plan job takes its credentials
// from secrets.
func TestGuide_githubActionsRunsTheGuidesScripts(t *testing.T) {
	var workflow struct {
		On   map[string]any `yaml:"on"`
		Jobs map[string]struct {
			Env   map[string]string `yaml:"env"`
			Steps []struct {
				Name string `yaml:"name"`
				Uses string `yaml:"uses"`
				Run  string `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal([]byte(guideExample(t, "ci/github-actions.yml")), &workflow); err != nil {
		t.Fatalf("examples/guides/ci/github-actions.yml: %v", err)
	}
	if _, ok := workflow.On["pull_request"]; !ok {
		t.Error("the workflow does not run on pull requests")
	}
	for job, script := range map[string]string{"module-test": "ci/module-test.sh", "plan": "ci/plan.sh"} {
		want := strings.Join(commandsOf(guideExample(t, script)), "\n")
		found := false
		for _, step := range workflow.Jobs[job].Steps {
			found = found || strings.Join(commandsOf(step.Run), "\n") == want
		}
		if !found {
			t.Errorf("no step of job %q runs the commands of examples/guides/%s:\n%s", job, script, want)
		}
	}
	env := workflow.Jobs["plan"].Env
	if env["WECHAT_APP_ID"] != "${{ secrets.WECHAT_APP_ID }}" || env["WECHAT_APP_SECRET"] != "${{ secrets.WECHAT_APP_SECRET }}" {
		t.Errorf("the plan job's credentials are %v, want them from the repository's secrets", env)
	}
}
