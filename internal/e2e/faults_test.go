package e2e

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

const (
	faultTags      = 50
	faultFollowers = 50
	campaignTag    = "双11活动" // given to followers by the account's own servers
)

// faultConfig is 50 tags and 50 wechat_user_tags: follower i carries segments i and i+1,
// and even followers are exclusive.
const faultConfig = `
variable "followers" {
  type = list(string)
}

locals {
  segments = [for i in range(50) : format("segment-%02d", i)]
}

resource "wechat_tag" "segment" {
  for_each = toset(local.segments)
  name     = each.value
}

resource "wechat_user_tags" "follower" {
  count  = length(var.followers)
  openid = var.followers[count.index]
  tag_ids = [
    wechat_tag.segment[local.segments[count.index]].id,
    wechat_tag.segment[local.segments[(count.index + 1) % 50]].id,
  ]
  exclusive = count.index % 2 == 0
}
`

// faultSeeds are the seeds of the fault suite: FAULT_SEEDS=1,2,3 runs it once per seed.
func faultSeeds(t *testing.T) []int64 {
	raw := os.Getenv("FAULT_SEEDS")
	if raw == "" {
		return []int64{1}
	}
	var seeds []int64
	for _, field := range strings.Split(raw, ",") {
		seed, err := strconv.ParseInt(strings.TrimSpace(field), 10, 64)
		if err != nil {
			t.Fatalf("FAULT_SEEDS: %v", err)
		}
		seeds = append(seeds, seed)
	}
	return seeds
}

// TestFaults_applyConvergesWhenAThirdOfCallsFail proves the promise of Terraform against a
// flaky service: with 30% of calls failing (busy, rate limited, HTTP 500, dropped
// connections, responses lost after the change was applied) and every token expired in
// the middle of the run, one apply converges, the state is never wrong on the way, the
// next plan is empty, and the account holds exactly what is configured: no duplicate, no
// orphan, nothing lost, and the tags the account's servers gave followers untouched.
func TestFaults_applyConvergesWhenAThirdOfCallsFail(t *testing.T) {
	for _, seed := range faultSeeds(t) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			testConvergenceUnderFaults(t, seed)
		})
	}
}

func testConvergenceUnderFaults(t *testing.T, seed int64) {
	followers := mockwechat.GenerateOpenIDs(faultFollowers, seed)
	logPath := filepath.Join(t.TempDir(), "terraform.log")
	w := newWorkspace(t, mockwechat.Config{Followers: followers, Tags: []string{campaignTag}},
		// More retries than the default: a call must fail 13 times in a row to fail the
		// run, about one chance in six million at a 30% fault rate.
		"WECHAT_MAX_RETRIES=12",
		// The provider logs each retry at WARN: the log counts them.
		"TF_LOG=warn", "TF_LOG_PATH="+logPath)
	w.configure(faultConfig)
	vars, _ := json.Marshal(map[string]any{"followers": followers})
	writeFile(t, filepath.Join(w.Dir, "terraform.tfvars.json"), string(vars))
	campaign, _ := w.mock.TagByID(100)
	for _, openid := range followers {
		must(t, w.mock.TagUser(openid, campaign.ID))
	}

	must(t, w.mock.SetFaults(mockwechat.Faults{
		Seed:             seed,
		ErrcodeRate:      0.12,
		HTTP500Rate:      0.06,
		DropRate:         0.06,
		LostResponseRate: 0.06,
	}))
	stopExpiring := expireTokensAfter(w.mock, 150)
	applyOnce(t, w, "apply")
	if !stopExpiring() {
		t.Fatal("the apply made fewer than 150 calls: tokens were never expired mid-run")
	}

	w.mustRun("plan", "-detailed-exitcode", "-parallelism=10", "-no-color")
	stats := w.mock.FaultStats()
	calls := w.mock.Calls()
	log, err := os.ReadFile(logPath)
	must(t, err)
	retries := strings.Count(string(log), "WeChat API call failed; retrying")

	checkAccountHoldsExactly(t, w.mock, followers, campaign.ID)
	checkStateMatchesAccount(t, w)

	applyOnce(t, w, "destroy")
	for _, tag := range w.mock.Tags() {
		if strings.HasPrefix(tag.Name, "segment-") {
			t.Errorf("tag %d %q is left after destroy", tag.ID, tag.Name)
		}
	}
	for i, openid := range followers {
		want := []int64{campaign.ID}
		if i%2 == 0 {
			want = nil // exclusive: the campaign tag went at apply
		}
		checkFollower(t, w.mock, openid, want)
	}

	t.Logf("seed %d: converged in one apply, then an empty plan; %d API calls while faults were set: %d errcodes %v, %d HTTP 500, %d drops, %d lost responses; %d retries",
		seed, stats.Calls, sumCounts(stats.Errcodes), stats.Errcodes, stats.HTTP500, stats.Drops, stats.LostResponses, retries)
	t.Logf("seed %d: calls by endpoint through apply and plan: %v; %d tokens issued", seed, sortedCounts(calls), len(w.mock.IssuedTokens()))
}

// applyOnce runs terraform apply (or destroy) once, and requires it to succeed. A lost
// response is the provider's to resolve within the run (a create looked up by name, a
// membership change read again), and at WECHAT_MAX_RETRIES=12 a transient failure
// outlasts every retry of a call about once in six million calls, once in several
// thousand runs of this test: a second run would only hide an apply that does not
// converge. The state must say nothing the account does not hold, checked before the
// run's failure is reported.
func applyOnce(t *testing.T, w *workspace, command string) {
	t.Helper()
	code, out := w.run(command, "-auto-approve", "-parallelism=10", "-no-color")
	checkStateMatchesAccount(t, w)
	if code != 0 {
		t.Fatalf("terraform %s failed; under these faults one run must converge:\n%s", command, tail(out, 60))
	}
}

// expireTokensAfter expires every token once the mock has served n API calls. stop
// reports whether it did.
func expireTokensAfter(mock *mockwechat.Server, n int) (stop func() (expired bool)) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	var expired bool
	wg.Add(1)
	go func() {
		defer wg.Done()
		ticker := time.NewTicker(5 * time.Millisecond)
		defer ticker.Stop()
		for {
			select {
			case <-done:
				return
			case <-ticker.C:
				if sumCounts(mock.Calls()) >= n {
					mock.ExpireTokens()
					expired = true
					return
				}
			}
		}
	}()
	return func() bool {
		close(done)
		wg.Wait()
		return expired
	}
}

// checkAccountHoldsExactly proves the account holds the configured tags and memberships.
func checkAccountHoldsExactly(t *testing.T, mock *mockwechat.Server, followers []string, campaignID int64) {
	t.Helper()
	segmentIDs := map[string]int64{}
	for _, tag := range mock.Tags() {
		switch {
		case strings.HasPrefix(tag.Name, "segment-"):
			if _, dup := segmentIDs[tag.Name]; dup {
				t.Errorf("tag %q exists twice", tag.Name)
			}
			segmentIDs[tag.Name] = tag.ID
		case tag.ID != campaignID && tag.ID != 2:
			t.Errorf("unexpected tag %d %q: an orphan", tag.ID, tag.Name)
		}
	}
	if len(segmentIDs) != faultTags {
		t.Errorf("the account holds %d segment tags, want %d", len(segmentIDs), faultTags)
	}
	for i, openid := range followers {
		want := []int64{segmentIDs[fmt.Sprintf("segment-%02d", i)], segmentIDs[fmt.Sprintf("segment-%02d", (i+1)%faultTags)]}
		if i%2 == 1 {
			want = append(want, campaignID) // not exclusive: the campaign's tag stays
		}
		checkFollower(t, mock, openid, want)
	}
}

func checkFollower(t *testing.T, mock *mockwechat.Server, openid string, want []int64) {
	t.Helper()
	got, _ := mock.UserTags(openid)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("follower %s carries %v, want %v", openid, got, want)
	}
}

// checkStateMatchesAccount proves that the state claims nothing the account does not
// hold: every tag in state exists under its name, and every follower carries the tags its
// wechat_user_tags lists (exactly those, when exclusive).
func checkStateMatchesAccount(t *testing.T, w *workspace) {
	t.Helper()
	for _, r := range w.state() {
		switch r.Type {
		case "wechat_tag":
			number, ok := r.Values["id"].(float64)
			if !ok {
				t.Errorf("state says %s has the id %v (%T), want a number", r.Address, r.Values["id"], r.Values["id"])
				continue
			}
			id := int64(number)
			tag, ok := w.mock.TagByID(id)
			if !ok || tag.Name != r.Values["name"] {
				t.Errorf("state says %s is tag %d %q; the account has %+v (found: %t)", r.Address, id, r.Values["name"], tag, ok)
			}
		case "wechat_user_tags":
			openid, isString := r.Values["openid"].(string)
			tagIDs, isList := r.Values["tag_ids"].([]any)
			if !isString || !isList {
				t.Errorf("state says %s has the openid %v and the tag_ids %v, want a string and a list", r.Address, r.Values["openid"], r.Values["tag_ids"])
				continue
			}
			held, _ := w.mock.UserTags(openid)
			var listed []int64
			for _, v := range tagIDs {
				number, ok := v.(float64)
				if !ok {
					t.Errorf("state says %s has the tag id %v (%T), want a number", r.Address, v, v)
					continue
				}
				listed = append(listed, int64(number))
			}
			slices.Sort(listed)
			for _, id := range listed {
				if !slices.Contains(held, id) {
					t.Errorf("state says %s carries tag %d; the account says it carries %v", r.Address, id, held)
				}
			}
			if r.Values["exclusive"] == true && !slices.Equal(listed, held) {
				t.Errorf("state says exclusive %s carries exactly %v; the account says %v", r.Address, listed, held)
			}
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func sumCounts[K comparable](counts map[K]int) int {
	total := 0
	for _, n := range counts {
		total += n
	}
	return total
}

func sortedCounts(counts map[string]int) string {
	var parts []string
	for _, key := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%s=%d", strings.TrimPrefix(key, "/cgi-bin/"), counts[key]))
	}
	return strings.Join(parts, " ")
}

func tail(s string, lines int) string {
	all := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(all[max(0, len(all)-lines):], "\n")
}
