package main

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestGuideCommandsOfTheAdoptionGuide(t *testing.T) {
	script, err := os.ReadFile("../../../examples/guides/query-adopt/adopt.sh")
	if err != nil {
		t.Fatal(err)
	}
	commands, err := guideCommands(string(script))
	if err != nil {
		t.Fatal(err)
	}
	if len(commands) != 3 || !slices.Equal(commands[0], []string{"query", "-generate-config-out=adopted.tf"}) || commands[2][0] != "apply" {
		t.Errorf("the guide's commands read as %q, want query -generate-config-out=adopted.tf, a plan and an apply", commands)
	}
	if _, err := guideCommands("terraform init\nrm -f adopted.tf\n"); err == nil || !strings.Contains(err.Error(), `"rm -f adopted.tf" is not a terraform command`) {
		t.Errorf("a shell command in the guide's script gave %v, want an error naming it", err)
	}
}

func TestAdoptionRows(t *testing.T) {
	quick := measurement{wall: 2 * time.Second, peakRSS: 200 << 20, calls: map[string]int{pathUserTagGet: 40}}
	slow := measurement{wall: 40 * time.Second, peakRSS: 3 << 30, calls: map[string]int{pathBatchTagging: 1}}
	s := adoptionSeries{size: 100000, query: series{quick}, plan: series{slow}, apply: series{quick}, then: series{{exitCode: 0}}}
	verdicts := map[string]string{}
	for _, r := range s.rows() {
		verdicts[r.figure] = r.result
	}
	for figure, want := range map[string]string{
		"terraform query -generate-config-out: API calls":                                  "met",
		"terraform query -generate-config-out: wall time, peak RSS of the largest process": "met",
		"terraform plan -out (the imports): API calls":                                     "not met",
		"terraform plan -out (the imports): wall time, peak RSS of the largest process":    "not met",
		"plan after the apply: outcome":                                                    "met",
	} {
		if verdicts[figure] != want {
			t.Errorf("%s: %q, want %q", figure, verdicts[figure], want)
		}
	}
}
