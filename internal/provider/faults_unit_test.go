package provider

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

// A wechat_tag_members of 10,000 followers, through the seam with the real client,
// against the mock with 30 % of its calls faulted: errcodes, HTTP 500, dropped requests
// and responses lost after the change was applied. One Create and one Update converge,
// seed after seed, however many of their 200 batch calls fail ambiguously. It logs the
// calls and retries each made.
func TestTagMembersConvergeUnderFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 followers under faults: not with -short")
	}
	const members = 10000
	for _, seed := range []int64{31, 32, 33, 34, 35} {
		followers := mockwechat.GenerateOpenIDs(members*3/2, seed)
		mock := mockwechat.New(mockwechat.Config{AppID: testAppID, AppSecret: testAppSecret, Followers: followers, Tags: []string{"VIP"}})
		server := httptest.NewServer(mock)
		t.Cleanup(server.Close)
		var retries atomic.Int64
		cfg := wechat.Config{
			BaseURL:    server.URL,
			HTTPClient: &http.Client{Timeout: 10 * time.Second},
			Retry:      wechat.RetryPolicy{MaxRetries: 8, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond},
			Observer: func(_ context.Context, call wechat.CallInfo) {
				if call.RetryIn > 0 {
					retries.Add(1)
				}
			},
		}
		tokens, err := wechat.NewTokenSource(cfg, wechat.StableTokenEndpoint, testAppID, testAppSecret)
		must(t, err)
		client, err := wechat.NewClient(cfg, tokens)
		must(t, err)
		must(t, mock.SetFaults(mockwechat.Faults{Seed: seed, ErrcodeRate: 0.12, HTTP500Rate: 0.06, DropRate: 0.06, LostResponseRate: 0.06}))
		r := &TagMembersResource{client: client}

		created := followers[:members]
		start := time.Now()
		resp := create(t, r, tagMembers(100, false, created...))
		expectNoDiagnostics(t, resp.Diagnostics)
		logFaultRun(t, seed, "create", mock, retries.Swap(0), time.Since(start))
		expectTagged(t, mock, followers, created)

		// A third of the members replaced, exclusively: 3,334 to untag, 3,334 to tag.
		updated := followers[members/3+1 : members+members/3+1]
		mock.ResetCalls()
		must(t, mock.SetFaults(mockwechat.Faults{Seed: seed + 100, ErrcodeRate: 0.12, HTTP500Rate: 0.06, DropRate: 0.06, LostResponseRate: 0.06}))
		start = time.Now()
		resp2 := update(t, r, tagMembers(100, false, created...), tagMembers(100, true, updated...))
		expectNoDiagnostics(t, resp2.Diagnostics)
		logFaultRun(t, seed, "update", mock, retries.Swap(0), time.Since(start))
		expectTagged(t, mock, followers, updated)
		if got := openIDsIn(t, resp2.State); !slices.Equal(got, updated) {
			t.Errorf("seed %d: the state holds %d openids, want the %d planned", seed, len(got), len(updated))
		}
	}
}

func logFaultRun(t *testing.T, seed int64, step string, mock *mockwechat.Server, retries int64, took time.Duration) {
	t.Helper()
	calls, faults := mock.Calls(), mock.FaultStats()
	t.Logf("seed %d %s in %v: batchtagging %d, batchuntagging %d, user/tag/get %d; faults: %d errcodes, %d HTTP 500, %d drops, %d lost responses; %d retries",
		seed, step, took.Round(time.Millisecond),
		calls["/cgi-bin/tags/members/batchtagging"], calls["/cgi-bin/tags/members/batchuntagging"], calls["/cgi-bin/user/tag/get"],
		sum(faults.Errcodes), faults.HTTP500, faults.Drops, faults.LostResponses, retries)
}

func sum(counts map[int]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// expectTagged checks, follower by follower, that exactly want carry tag 100.
func expectTagged(t *testing.T, mock *mockwechat.Server, followers, want []string) {
	t.Helper()
	wanted := map[string]bool{}
	for _, openid := range want {
		wanted[openid] = true
	}
	wrong := 0
	for _, openid := range followers {
		tags, _ := mock.UserTags(openid)
		if slices.Contains(tags, 100) != wanted[openid] {
			wrong++
		}
	}
	if wrong > 0 {
		t.Errorf("%d followers differ from the %d wanted members", wrong, len(want))
	}
}
