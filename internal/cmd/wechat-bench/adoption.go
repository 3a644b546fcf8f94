package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The adoption scenario: the adoption guide's commands (examples/guides/query-adopt), run
// as printed, on an account of adoptionTags user tags, one carried by every follower, at
// each size of -adopt, as the issue of the 100,000-follower adoption set its goals. The
// plan of the generated imports must import every tag and membership and change nothing,
// no command may write to WeChat, and a plan after the apply must show no changes.
const (
	adoptionTags = 30
	// adoptionSmallTag is the followers of the second tag, which the guide's query adopts
	// with openids.
	adoptionSmallTag     = 20
	adoptionTimeTarget   = 30 * time.Second
	adoptionMemoryTarget = 1 << 30
)

// adoptionSizes are the followers of the big tag the scenario adopts by default.
const adoptionSizes = "20000,100000"

// writePaths are the API calls that change an account.
var writePaths = []string{pathTagsCreate, "/cgi-bin/tags/update", "/cgi-bin/tags/delete", pathBatchTagging, pathBatchUntagging}

var ansiEscape = regexp.MustCompile("\x1b\\[[0-9;]*m")

// adoptionSeries is what the runs of the adoption scenario measured at one size: each
// command of the guide, then the plan after them.
type adoptionSeries struct {
	size                     int
	query, plan, apply, then series
}

// guideCommands are the terraform commands of a shell file of the guide, each as the
// arguments after "terraform".
func guideCommands(script string) ([][]string, error) {
	var commands [][]string
	for line := range strings.Lines(script) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		words := strings.Fields(line)
		if words[0] != "terraform" {
			return nil, fmt.Errorf("%q is not a terraform command", line)
		}
		commands = append(commands, words[1:])
	}
	return commands, nil
}

// adoption measures one run of the adoption scenario with a tag of n followers, every
// command through the provider wrapper.
func (b *bench) adoption(ctx context.Context, run, n int, into *adoptionSeries) error {
	guide := filepath.Join(b.guides, "query-adopt")
	script, err := os.ReadFile(filepath.Join(guide, "adopt.sh")) //nolint:gosec // the guide the bench was pointed at
	if err != nil {
		return err
	}
	commands, err := guideCommands(string(script))
	if err != nil {
		return fmt.Errorf("%s/adopt.sh: %w", guide, err)
	}
	if len(commands) != 3 {
		return fmt.Errorf("%s/adopt.sh has %d commands, want query, plan and apply", guide, len(commands))
	}

	dir := filepath.Join(b.work, "adopt", strconv.Itoa(n), fmt.Sprintf("run-%d", run+1))
	m, err := startMock(ctx, b.mock, dir, n)
	if err != nil {
		return err
	}
	defer m.stop()
	if err := m.seedAdoption(ctx, n); err != nil {
		return err
	}
	plain, err := b.wechatWorkdir(dir, m)
	if err != nil {
		return err
	}
	defer plain.close()
	w, usageFile, err := b.measuringProvider(plain)
	if err != nil {
		return err
	}
	for _, name := range []string{"main.tf", "adopt.tfquery.hcl"} {
		content, err := os.ReadFile(filepath.Join(guide, name)) //nolint:gosec // the guide the bench was pointed at
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(w.Dir, name), content, 0o600); err != nil { //nolint:gosec // G703: name is one of the two above
			return err
		}
	}
	for i, into := range []*series{&into.query, &into.plan, &into.apply} {
		result, err := measure(ctx, w, m, usageFile, []int{0}, commands[i]...)
		if err != nil {
			return err
		}
		*into = append(*into, result)
	}
	imports := fmt.Sprintf("Plan: %d to import, 0 to add, 0 to change, 0 to destroy.", 2*adoptionTags)
	// The guide's commands print in color, as they would for the reader.
	if plan := into.plan[len(into.plan)-1]; !strings.Contains(ansiEscape.ReplaceAllString(plan.output, ""), imports) {
		return fmt.Errorf("the plan of the generated imports does not say %q:\n%s", imports, tail(plan.output, 30))
	}
	result, err := measure(ctx, w, m, usageFile, planCodes, planArgs...)
	into.then = append(into.then, result)
	if err != nil {
		return err
	}
	last := func(s series) measurement { return s[len(s)-1] }
	b.logf("  %s followers: query %s (%s), plan %s (%s), apply %s (%s); the plan after exited %d",
		formatCount(n), formatDuration(last(into.query).wall), formatBytes(last(into.query).largestPeakRSS()),
		formatDuration(last(into.plan).wall), formatBytes(last(into.plan).largestPeakRSS()),
		formatDuration(last(into.apply).wall), formatBytes(last(into.apply).largestPeakRSS()), result.exitCode)
	return nil
}

// seedAdoption makes the account of the adoption scenario: adoptionTags tags, the first
// carried by all n followers, the second by adoptionSmallTag of them, each of whom also
// carries one of the others.
func (m *mock) seedAdoption(ctx context.Context, n int) error {
	openids, err := m.followers(ctx)
	if err != nil {
		return err
	}
	if len(openids) < n || n < adoptionSmallTag {
		return fmt.Errorf("the mock has %d followers, want at least %d", len(openids), max(n, adoptionSmallTag))
	}
	ids := make([]int64, adoptionTags)
	for i := range ids {
		var tag struct {
			ID int64 `json:"id"`
		}
		if err := m.admin(ctx, http.MethodPost, "/_mock/tags/create", map[string]any{"name": fmt.Sprintf("adopt-%02d", i)}, &tag); err != nil {
			return err
		}
		ids[i] = tag.ID
	}
	tag := func(openid string, id int64) error {
		return m.admin(ctx, http.MethodPost, "/_mock/users/tag", map[string]any{"openid": openid, "tagid": id}, nil)
	}
	for _, openid := range openids[:n] {
		if err := tag(openid, ids[0]); err != nil {
			return err
		}
	}
	for i, openid := range openids[:adoptionSmallTag] {
		if err := errors.Join(tag(openid, ids[1]), tag(openid, ids[2+i%(adoptionTags-2)])); err != nil {
			return err
		}
	}
	return nil
}

func noWrites(m measurement) bool {
	return !slices.ContainsFunc(writePaths, func(path string) bool { return m.calls[path] > 0 })
}

func (s *adoptionSeries) rows() []row {
	scenario := fmt.Sprintf("the adoption guide's commands, %d tags, one of %s followers", adoptionTags, formatCount(s.size))
	within := func(s series) bool {
		return s.medianWall() <= adoptionTimeTarget && s.medianLargestPeakRSS() > 0 && s.medianLargestPeakRSS() <= adoptionMemoryTarget
	}
	var rows []row
	for _, c := range []struct {
		name string
		s    series
	}{{"terraform query -generate-config-out", s.query}, {"terraform plan -out (the imports)", s.plan}, {"terraform apply of that plan", s.apply}} {
		rows = append(rows,
			row{scenario, c.name + ": API calls", formatCalls(c.s), "no write", "", verdict(c.s.everyRun(noWrites))},
			row{scenario, c.name + ": wall time, peak RSS of the largest process",
				formatDuration(c.s.medianWall()) + ", " + formatBytes(c.s.medianLargestPeakRSS()), "≤ 30 s, ≤ 1 GiB", "",
				verdict(within(c.s))})
	}
	return append(rows,
		row{scenario, "plan after the apply: outcome", formatOutcome(s.then), noChangesTarget, "", verdict(s.then.everyRun(exitedZero))},
		row{scenario, "plan after the apply: wall time", formatDuration(s.then.medianWall()), "", "", ""})
}
