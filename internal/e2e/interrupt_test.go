package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

const batchTaggingPath = "/cgi-bin/tags/members/batchtagging"

// batchTagging is one batchtagging request that reached the account.
type batchTagging struct {
	apply   int // 1 or 2: the apply that sent it
	openids []string
	// applied: the account tagged the batch. answered: the provider got the account's
	// answer; a call applied but not answered is the ambiguous one an interrupt leaves.
	applied, answered bool
	// afterStop: the call reached the account after the provider had given up on the
	// held call, that is, after Terraform had told it to stop.
	afterStop bool
}

// heldCallWorkspace is a workspace whose provider calls mock through a tagRecorder that
// holds the batch call of index holdAt, with env besides the credentials.
func heldCallWorkspace(t *testing.T, mock *mockwechat.Server, holdAt int, env ...string) (*workspace, *tagRecorder) {
	t.Helper()
	recorder := &tagRecorder{mock: mock, holdAt: holdAt, held: make(chan struct{})}
	server := httptest.NewServer(recorder)
	t.Cleanup(func() {
		// A provider that never gave up the held call would keep Close waiting for it.
		server.CloseClientConnections()
		server.Close()
	})
	env = append([]string{
		"WECHAT_APP_ID=" + appID, "WECHAT_APP_SECRET=" + appSecret, "WECHAT_BASE_URL=" + server.URL, "WECHAT_ACCESS_TOKEN=",
		// Longer than the minute tfcli gives an interrupted CLI before it kills it, so that
		// only Terraform's stop, never a timeout, can end the held call in time.
		"WECHAT_REQUEST_TIMEOUT=5m",
	}, env...)
	return &workspace{t: t, mock: mock, Workdir: devWorkdir(t, terraformCLI(t), env...)}, recorder
}

// tagRecorder stands between the provider and the mock: it records every batchtagging
// call, and holds one call of the first apply until the provider gives up on it, which
// it does only when Terraform stops it, so that the interrupt lands mid-create however
// fast or slow the machine is, with no clock involved.
type tagRecorder struct {
	mock   *mockwechat.Server
	holdAt int           // the index of the call held
	held   chan struct{} // closed when the held call arrives

	mu      sync.Mutex
	apply   int
	stopped bool // the held call was given up
	calls   []*batchTagging
}

func (r *tagRecorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.URL.Path != batchTaggingPath {
		r.mock.ServeHTTP(w, req)
		return
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return // the provider left before it finished sending: the account never saw it
	}
	var batch struct {
		OpenIDList []string `json:"openid_list"`
	}
	_ = json.Unmarshal(body, &batch) // a malformed body is the mock's to refuse
	r.mu.Lock()
	call := &batchTagging{apply: r.apply, openids: batch.OpenIDList, afterStop: r.stopped}
	hold := r.apply == 1 && len(r.calls) == r.holdAt
	r.calls = append(r.calls, call)
	r.mu.Unlock()

	forward := req.Clone(context.WithoutCancel(req.Context()))
	forward.Body = io.NopCloser(bytes.NewReader(body))
	if hold {
		close(r.held)
		<-req.Context().Done()
		r.mu.Lock()
		r.stopped = true
		r.mu.Unlock()
		// The worst case of a call cut short: WeChat applied it, and its answer went
		// nowhere. Only reading the tag's members tells the provider about these 50.
		answer := httptest.NewRecorder()
		r.mock.ServeHTTP(answer, forward)
		r.mu.Lock()
		call.applied = succeeded(answer.Body.Bytes())
		r.mu.Unlock()
		return
	}
	answer := httptest.NewRecorder()
	r.mock.ServeHTTP(answer, forward)
	maps.Copy(w.Header(), answer.Header())
	w.WriteHeader(answer.Code)
	_, writeErr := w.Write(answer.Body.Bytes())
	r.mu.Lock()
	call.applied = succeeded(answer.Body.Bytes())
	call.answered = writeErr == nil && req.Context().Err() == nil
	r.mu.Unlock()
}

func succeeded(answer []byte) bool {
	var status struct {
		ErrCode *int `json:"errcode"`
	}
	return json.Unmarshal(answer, &status) == nil && status.ErrCode != nil && *status.ErrCode == 0
}

func (r *tagRecorder) startApply(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.apply = n
}

func (r *tagRecorder) batches() []batchTagging {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]batchTagging, len(r.calls))
	for i, c := range r.calls {
		out[i] = *c
	}
	return out
}

const interruptConfig = `
resource "wechat_tag" "campaign" {
  name = "双12活动"
}

resource "wechat_tag_members" "campaign" {
  tag_id       = wechat_tag.campaign.id
  openids_file = "${path.module}/members.txt"
}
`

// Ctrl-C in the middle of tagging 10,000 followers: Terraform asks the provider to stop
// and waits for it. The provider stops without another call, the state claims nothing the
// account lacks, and the next apply finishes the job: it tags only the followers not yet
// tagged, the batch whose answer the interrupt cut off included, and the tag ends with
// exactly the 10,000.
func TestInterrupt_applyOfTenThousandMembersStopsAndTheNextApplyFinishesIt(t *testing.T) {
	t.Parallel()
	const members = 10000
	const heldCall = 60 // 3,000 followers tagged before it, 6,950 after
	followers := mockwechat.GenerateOpenIDs(members, 23)

	mock := mockwechat.New(mockwechat.Config{AppID: appID, AppSecret: appSecret, Followers: followers})
	w, recorder := heldCallWorkspace(t, mock, heldCall)
	w.configure(interruptConfig)
	writeFile(t, filepath.Join(w.Dir, "members.txt"), strings.Join(followers, "\n")+"\n")

	// The first apply, interrupted as Ctrl-C interrupts it. Cancelling the context sends
	// SIGINT to the CLI alone where a terminal sends it to the CLI and its provider both;
	// that is the same, since a provider ignores SIGINT (go-plugin) and stops when
	// Terraform tells it to.
	recorder.startApply(1)
	ctx, interrupt := context.WithCancel(t.Context())
	defer interrupt()
	type outcome struct {
		code   int
		output string
		err    error // the CLI could not run, or was interrupted
	}
	first := make(chan outcome, 1)
	go func() {
		result, err := w.Run(ctx, "apply", "-auto-approve", "-no-color")
		first <- outcome{result.ExitCode, result.Output(), err}
	}()
	var interrupted outcome
	select {
	case <-recorder.held:
		interrupt()
		interrupted = <-first
	case interrupted = <-first:
		t.Fatalf("the apply ended (exit %d, %v) before it sent batchtagging call %d, so it was never interrupted:\n%s",
			interrupted.code, interrupted.err, heldCall+1, lastLines(interrupted.output, 40))
	}
	t.Logf("the interrupted apply exited %d:\n%s", interrupted.code, lastLines(interrupted.output, 30))
	switch interrupted.code {
	case 0:
		t.Errorf("the interrupted apply exited 0: an apply cut short must fail")
	case -1:
		t.Fatalf("the interrupted CLI was killed a minute after the interrupt: the provider never stopped")
	}
	for _, wrong := range []string{"bug in the provider", "inconsistent result", "panic:", "Plugin did not respond"} {
		if strings.Contains(interrupted.output, wrong) {
			t.Errorf("the interrupted apply says %q: the provider did not stop cleanly", wrong)
		}
	}
	said := strings.Join(strings.Fields(interrupted.output), " ")
	for _, want := range []string{"Error: Interrupted", "a resource being created records nothing", "Run terraform apply again", "perhaps those of the call whose answer was lost"} {
		if !strings.Contains(said, want) {
			t.Errorf("the interrupted apply does not say %q", want)
		}
	}

	calls := recorder.batches()
	var taggedFirst []string // what the account carries after the first apply
	sent := 0                // openids sent to batchtagging by both applies
	for i, c := range calls {
		sent += len(c.openids)
		if c.afterStop {
			t.Errorf("batchtagging call %d reached the account after the provider was stopped", i+1)
		}
		if c.applied {
			taggedFirst = append(taggedFirst, c.openids...)
		}
	}
	var inFlight int // calls the interrupt left without an answer
	for _, c := range calls {
		if !c.answered {
			inFlight++
		}
	}
	tagID := campaignTagID(t, mock)
	if held := tagMembersOf(mock, tagID, followers); !slices.Equal(held, sorted(taggedFirst)) {
		t.Fatalf("the account's tag has %d followers, the calls applied %d: the recorder misses calls", len(held), len(taggedFirst))
	}
	checkInterruptedState(t, w, tagID, taggedFirst)
	sentFirst := sent

	// The second apply, uninterrupted.
	recorder.startApply(2)
	w.mustRun("apply", "-auto-approve", "-no-color")
	tagged := map[string]bool{}
	for _, openid := range taggedFirst {
		tagged[openid] = true
	}
	var resent []string
	secondCalls := 0
	for _, c := range recorder.batches() {
		if c.apply != 2 {
			continue
		}
		secondCalls++
		sent += len(c.openids)
		for _, openid := range c.openids {
			if tagged[openid] {
				resent = append(resent, openid)
			}
		}
	}
	if len(resent) > 0 {
		t.Errorf("the second apply sent again %d followers the tag already had, such as %v: it did not read what the first apply and its interrupted call had done",
			len(resent), resent[:min(3, len(resent))])
	}
	// However a provider goes about it, only the batches in flight at the interrupt may
	// be sent twice.
	if limit := members + inFlight*50; sent > limit {
		t.Errorf("the two applies sent %d openids to batchtagging, more than the %d followers and the %d call(s) in flight at the interrupt allow (%d)", sent, members, inFlight, limit)
	}
	// The account's only followers are those of members.txt: all of them, and no one
	// else, carry the tag.
	if held := tagMembersOf(mock, tagID, followers); !slices.Equal(held, sorted(followers)) {
		t.Errorf("the tag has %d followers after the second apply, want the %d of members.txt", len(held), members)
	}
	if code, plan := w.run("plan", "-detailed-exitcode", "-no-color"); code != 0 {
		t.Errorf("the plan after the second apply exited %d, want 0 (no changes):\n%s", code, lastLines(plan, 40))
	}
	if saved := stateOf(t, w, "wechat_tag_members"); saved == nil || saved.Values["openids_count"] != float64(members) || saved.Values["openids_sha256"] != digestOf(followers) {
		t.Errorf("the state after the second apply holds %+v, want the %d followers of members.txt", saved, members)
	}
	t.Logf("first apply: %d batchtagging calls, %d followers tagged, %d call(s) in flight at the interrupt; second apply: %d calls, %d openids; %d openids sent in all",
		len(calls), len(taggedFirst), inFlight, secondCalls, sent-sentFirst, sent)
}

// checkInterruptedState proves that the state after the interrupt says nothing the account
// does not hold: the tag, created before the interrupt, is in it, and wechat_tag_members
// is absent (the provider saves nothing of a create cut short, and the next apply reads
// the members anew) or records only followers the tag has.
func checkInterruptedState(t *testing.T, w *workspace, tagID int64, tagged []string) {
	t.Helper()
	tag := stateOf(t, w, "wechat_tag")
	if tag == nil || tag.Values["id"] != float64(tagID) {
		t.Errorf("after the interrupt the state holds the tag %+v, want the tag %d created before it", tag, tagID)
	}
	members := stateOf(t, w, "wechat_tag_members")
	if members == nil {
		return
	}
	t.Logf("after the interrupt the state holds %s: %d openids, SHA-256 %v", members.Address, members.Values["openids_count"], members.Values["openids_sha256"])
	if members.Values["openids_sha256"] != digestOf(tagged) {
		t.Errorf("after the interrupt the state says %s manages %v followers (SHA-256 %v); the tag has the %d followers the calls applied (SHA-256 %s)",
			members.Address, members.Values["openids_count"], members.Values["openids_sha256"], len(tagged), digestOf(tagged))
	}
}

func stateOf(t *testing.T, w *workspace, resourceType string) *stateResource {
	t.Helper()
	var found *stateResource
	for _, r := range w.state() {
		if r.Type == resourceType {
			if found != nil {
				t.Fatalf("the state holds two %s", resourceType)
			}
			found = &r
		}
	}
	return found
}

func campaignTagID(t *testing.T, mock *mockwechat.Server) int64 {
	t.Helper()
	var ids []int64
	for _, tag := range mock.Tags() {
		if tag.Name == "双12活动" {
			ids = append(ids, tag.ID)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("the account has %d tags named 双12活动, want 1", len(ids))
	}
	return ids[0]
}

// tagMembersOf is the sorted followers among followers that carry tagID.
func tagMembersOf(mock *mockwechat.Server, tagID int64, followers []string) []string {
	var held []string
	for _, openid := range followers {
		if tags, _ := mock.UserTags(openid); slices.Contains(tags, tagID) {
			held = append(held, openid)
		}
	}
	return sorted(held)
}

func sorted(openids []string) []string {
	return slices.Sorted(slices.Values(openids))
}

// digestOf is openids_sha256 as the provider documents it: SHA-256 of the sorted openids,
// each followed by a newline.
func digestOf(openids []string) string {
	h := sha256.New()
	for _, openid := range sorted(openids) {
		fmt.Fprintln(h, openid)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
