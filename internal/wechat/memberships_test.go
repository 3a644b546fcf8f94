package wechat_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

// membershipAccount is an account of three user tags (100, 101, 102) and 30 followers,
// each carrying two of them, and the empty starred tag: a snapshot of it costs two
// user/tag/get calls for each user tag (a page and the empty page after it) and one for
// the starred tag, 7 in all.
const membershipSnapshotCost = 7

func newMembershipFixture(t *testing.T, reads wechat.MembershipReads) (*fixture, []string) {
	t.Helper()
	fans := mockwechat.GenerateOpenIDs(30, 11)
	f := newFixtureWith(t, mockwechat.Config{Followers: fans, Tags: []string{"a", "b", "c"}}, wechat.Config{MembershipReads: reads, Retry: fastRetry})
	for i, fan := range fans {
		must(t, f.mock.TagUser(fan, firstTagID+int64(i%3)))
		must(t, f.mock.TagUser(fan, firstTagID+int64((i+1)%3)))
	}
	f.mock.ResetCalls()
	return f, fans
}

// requireTruth reads each follower's tags through the client and compares them with what
// the mock holds.
func requireTruth(t *testing.T, f *fixture, openids ...string) {
	t.Helper()
	for _, openid := range openids {
		got, err := f.client.FollowerTags(t.Context(), openid)
		if err != nil {
			t.Fatalf("FollowerTags(%s): %v", openid, err)
		}
		want, _ := f.mock.UserTags(openid)
		slices.Sort(got)
		want = slices.Sorted(slices.Values(want))
		if !slices.Equal(got, want) {
			t.Errorf("FollowerTags(%s) = %v, the account holds %v", openid, got, want)
		}
	}
}

func TestSnapshotCost_pagesOfTenThousandAndTheEmptyLastPage(t *testing.T) {
	tests := []struct {
		name string
		tags []wechat.Tag
		want int
	}{
		{"the starred tag alone, empty", []wechat.Tag{{ID: 2}}, 1},
		{"one follower", []wechat.Tag{{ID: 100, Count: 1}}, 2},
		{"exactly one page", []wechat.Tag{{ID: 100, Count: 10_000}}, 2},
		{"one more than a page", []wechat.Tag{{ID: 100, Count: 10_001}}, 3},
		{"a million followers", []wechat.Tag{{ID: 2}, {ID: 100, Count: 1_000_000}}, 102},
		{"system tags 0 and 1 are not listed", []wechat.Tag{{ID: 0, Count: 5}, {ID: 1, Count: 5}}, 0},
		{"20 tags of 200 followers", slices.Repeat([]wechat.Tag{{ID: 100, Count: 200}}, 20), 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := wechat.SnapshotCost(tt.tags); got != tt.want {
				t.Errorf("SnapshotCost = %d, want %d", got, tt.want)
			}
		})
	}
}

// Auto reads follower by follower until the reads made reach the snapshot's cost, then
// takes the snapshot and answers every later read from it.
func TestMembershipReads_autoSwitchesWhenTheReadsReachTheSnapshotsCost(t *testing.T) {
	f, fans := newMembershipFixture(t, wechat.MembershipReadsAuto)
	// A plan's wechat_tag refreshes read tags/get before any follower.
	_, err := f.client.CachedTags(t.Context())
	must(t, err)

	requireTruth(t, f, fans[:membershipSnapshotCost]...)
	requireCallCount(t, f.mock, pathIDList, membershipSnapshotCost)
	requireCallCount(t, f.mock, pathMembers, 0)

	requireTruth(t, f, fans[membershipSnapshotCost:]...)
	requireCallCount(t, f.mock, pathIDList, membershipSnapshotCost)
	requireCallCount(t, f.mock, pathMembers, membershipSnapshotCost)
	requireCallCount(t, f.mock, pathList, 1)
}

// Without a tags/get of the command to price it with, the first reads go one by one
// unpriced; then one tags/get prices the snapshot.
func TestMembershipReads_autoPricesTheSnapshotOnlyAfterAFewReads(t *testing.T) {
	f, fans := newMembershipFixture(t, wechat.MembershipReadsAuto)

	requireTruth(t, f, fans[:3]...)
	requireCallCount(t, f.mock, pathIDList, 3)
	requireCallCount(t, f.mock, pathList, 0)

	requireTruth(t, f, fans[3:]...)
	requireCallCount(t, f.mock, pathList, 1)
	requireCallCount(t, f.mock, pathMembers, membershipSnapshotCost)
	if n := f.mock.CallCount(pathIDList); n < membershipSnapshotCost || n > membershipSnapshotCost+8 {
		t.Errorf("%d getidlist calls before the snapshot, want between %d and %d", n, membershipSnapshotCost, membershipSnapshotCost+8)
	}
}

func TestMembershipReads_perFollowerNeverTakesASnapshot(t *testing.T) {
	f, fans := newMembershipFixture(t, wechat.MembershipReadsPerFollower)
	_, err := f.client.CachedTags(t.Context())
	must(t, err)

	requireTruth(t, f, fans...)
	requireCallCount(t, f.mock, pathIDList, len(fans))
	requireCallCount(t, f.mock, pathMembers, 0)
}

func TestMembershipReads_perTagTakesTheSnapshotAtTheFirstRead(t *testing.T) {
	f, fans := newMembershipFixture(t, wechat.MembershipReadsPerTag)

	requireTruth(t, f, fans...)
	requireCallCount(t, f.mock, pathIDList, 0)
	requireCallCount(t, f.mock, pathMembers, membershipSnapshotCost)
	requireCallCount(t, f.mock, pathList, 1)
}

func TestMembershipReads_anUnknownValueIsRefused(t *testing.T) {
	_, err := wechat.NewClient(wechat.Config{MembershipReads: "sometimes"}, wechat.StaticToken("t"))
	if err == nil || !strings.Contains(err.Error(), `"sometimes"`) {
		t.Errorf("NewClient = %v, want an error naming the value", err)
	}
}

// A snapshot cannot tell a follower without tags from an openid that left the account or
// belongs to another: those are read one by one, so that 40003 and 49003 mean what they
// mean today.
func TestMembershipReads_aFollowerNoTagListsIsReadOneByOne(t *testing.T) {
	fans := mockwechat.GenerateOpenIDs(3, 11)
	foreign := mockwechat.GenerateOpenIDs(1, 99)
	f := newFixtureWith(t, mockwechat.Config{Followers: fans, ForeignOpenIDs: foreign, Tags: []string{"a"}},
		wechat.Config{MembershipReads: wechat.MembershipReadsPerTag})
	must(t, f.mock.TagUser(fans[0], firstTagID))

	requireTruth(t, f, fans[0])
	requireCallCount(t, f.mock, pathIDList, 0)

	tags, err := f.client.FollowerTags(t.Context(), fans[1])
	if err != nil || len(tags) != 0 {
		t.Errorf("a follower without tags: %v, %v; want no tags", tags, err)
	}
	if _, err := f.client.FollowerTags(t.Context(), stranger); !wechat.IsUnknownFollower(err) {
		t.Errorf("a stranger: %v, want 40003", err)
	}
	if _, err := f.client.FollowerTags(t.Context(), foreign[0]); !wechat.IsOpenIDOfAnotherApp(err) {
		t.Errorf("an openid of another AppID: %v, want 49003", err)
	}
	requireCallCount(t, f.mock, pathIDList, 3)
}

// Each write of the client keeps the snapshot true: every later read matches the
// account, and none needs a getidlist.
func TestMembershipReads_writesKeepTheSnapshotTrue(t *testing.T) {
	f, fans := newMembershipFixture(t, wechat.MembershipReadsPerTag)
	requireTruth(t, f, fans[0])

	must(t, f.client.TagFollowers(t.Context(), firstTagID+2, fans[:10]))
	must(t, f.client.UntagFollowers(t.Context(), firstTagID, fans[10:20]))
	must(t, f.client.DeleteTag(t.Context(), firstTagID+1))
	created, err := f.client.CreateTag(t.Context(), "new")
	must(t, err)
	// A tag this client created has no followers but those it gives it.
	must(t, f.client.TagFollowers(t.Context(), created.ID, fans[25:]))
	must(t, f.client.RenameTag(t.Context(), created.ID, "newer"))

	requireTruth(t, f, fans...)
	requireCallCount(t, f.mock, pathIDList, 0)
	requireCallCount(t, f.mock, pathMembers, membershipSnapshotCost)
}

// A write the service refused changed nothing, and the snapshot still answers for the
// followers it named.
func TestMembershipReads_aRefusedWriteLeavesTheSnapshotAsItWas(t *testing.T) {
	f, fans := newMembershipFixture(t, wechat.MembershipReadsPerTag)
	requireTruth(t, f, fans[0])

	err := f.client.TagFollowers(t.Context(), firstTagID+2, []string{fans[0], stranger})
	if !wechat.IsUnknownFollower(err) {
		t.Fatalf("tagging a stranger: %v, want 40003", err)
	}
	requireTruth(t, f, fans...)
	requireCallCount(t, f.mock, pathIDList, 0)
}

// A write whose answer was lost may or may not have been applied: the followers it named
// are read again one by one, the others still come from the snapshot.
func TestMembershipReads_anAmbiguousWriteSendsItsFollowersBackToGetidlist(t *testing.T) {
	f, fans := newMembershipFixture(t, wechat.MembershipReadsPerTag)
	requireTruth(t, f, fans[0])

	must(t, f.mock.SetFaults(mockwechat.Faults{LostResponseRate: 1, Paths: []string{pathTag}}))
	err := f.client.TagFollowers(t.Context(), firstTagID+2, fans[:2])
	if !wechat.IsAmbiguous(err) {
		t.Fatalf("TagFollowers = %v, want an ambiguous failure", err)
	}
	must(t, f.mock.SetFaults(mockwechat.Faults{}))

	requireTruth(t, f, fans...)
	requireCallCount(t, f.mock, pathIDList, 2)
	requireCallCount(t, f.mock, pathMembers, membershipSnapshotCost)
}

// A delete whose answer was lost leaves unsure the followers that carried the tag only.
func TestMembershipReads_anAmbiguousDeleteSendsTheTagsFollowersBackToGetidlist(t *testing.T) {
	f, fans := newMembershipFixture(t, wechat.MembershipReadsPerTag)
	requireTruth(t, f, fans[0])

	// Every attempt of the delete is applied and its answer lost; the resends meet 45159,
	// which a tags/get that no longer lists the tag confirms.
	must(t, f.mock.SetFaults(mockwechat.Faults{LostResponseRate: 1, Paths: []string{pathDelete}}))
	err := f.client.DeleteTag(t.Context(), firstTagID)
	must(t, f.mock.SetFaults(mockwechat.Faults{}))
	if err == nil {
		t.Log("the delete was confirmed; the snapshot dropped the tag")
	}

	requireTruth(t, f, fans...)
	// Followers 0, 2, 3, 5, ... carried tag 100: at most those are read again.
	if n := f.mock.CallCount(pathIDList); n > 20 {
		t.Errorf("%d getidlist calls, want at most the 20 followers of the deleted tag", n)
	}
}

// An error reading a page fails the reads that waited for the snapshot: never "no tags".
func TestMembershipReads_aPageThatFailsFailsTheReadsThatNeedIt(t *testing.T) {
	for _, reads := range []wechat.MembershipReads{wechat.MembershipReadsPerTag, wechat.MembershipReadsAuto} {
		t.Run(string(reads), func(t *testing.T) {
			f, fans := newMembershipFixture(t, reads)
			if reads == wechat.MembershipReadsAuto {
				_, err := f.client.CachedTags(t.Context())
				must(t, err)
				requireTruth(t, f, fans[:membershipSnapshotCost]...)
			}
			must(t, f.mock.FailNext(pathMembers, wechat.CodeAPIUnauthorized))

			_, err := f.client.FollowerTags(t.Context(), fans[len(fans)-1])
			if !wechat.HasCode(err, wechat.CodeAPIUnauthorized) || !strings.Contains(err.Error(), "every tag") {
				t.Fatalf("FollowerTags = %v, want the page's 48001, said to come from reading every tag", err)
			}

			// Forced, the next read tries the snapshot again; auto reads one by one.
			before := f.mock.CallCount(pathIDList)
			requireTruth(t, f, fans[len(fans)-1])
			if reads == wechat.MembershipReadsPerTag {
				requireCallCount(t, f.mock, pathIDList, before)
			} else {
				requireCallCount(t, f.mock, pathIDList, before+1)
			}
		})
	}
}

// Terraform refreshes ten resources at a time: every reader waits for one snapshot.
func TestMembershipReads_concurrentReadersShareOneSnapshot(t *testing.T) {
	f, fans := newMembershipFixture(t, wechat.MembershipReadsPerTag)
	must(t, f.mock.SetFaults(mockwechat.Faults{Latency: 5 * time.Millisecond}))

	var wg sync.WaitGroup
	errs := make(chan error, len(fans))
	for _, fan := range fans {
		wg.Go(func() {
			if _, err := f.client.FollowerTags(t.Context(), fan); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	requireCallCount(t, f.mock, pathMembers, membershipSnapshotCost)
	requireCallCount(t, f.mock, pathList, 1)
	requireCallCount(t, f.mock, pathIDList, 0)
}

// When every read waiting for the snapshot gives up (Ctrl-C), the snapshot stops reading,
// and a later read is still answered.
func TestMembershipReads_aSnapshotEveryReaderLeftStops(t *testing.T) {
	f, fans := newMembershipFixture(t, wechat.MembershipReadsPerTag)
	must(t, f.mock.SetFaults(mockwechat.Faults{Latency: 30 * time.Millisecond}))

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	if _, err := f.client.FollowerTags(ctx, fans[0]); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("FollowerTags = %v, want the caller's deadline", err)
	}
	time.Sleep(100 * time.Millisecond)
	if n := f.mock.CallCount(pathMembers); n >= membershipSnapshotCost {
		t.Errorf("the abandoned snapshot made %d user/tag/get calls, want it stopped before the %d it needed", n, membershipSnapshotCost)
	}
	must(t, f.mock.SetFaults(mockwechat.Faults{}))
	requireTruth(t, f, fans...)
}

// A tag of a million followers makes the snapshot dearer than a few reads: a plan of
// three followers reads them one by one and never lists the tag.
func TestMembershipReads_aMillionFollowerTagKeepsAFewReadsPerFollower(t *testing.T) {
	fans := mockwechat.GenerateOpenIDs(3, 11)
	mock := mockwechat.New(mockwechat.Config{AppID: testAppID, AppSecret: testSecret, Followers: fans, Tags: []string{"everyone"}})
	for _, fan := range fans {
		must(t, mock.TagUser(fan, firstTagID))
	}
	// tags/get says what a million-follower tag says: only its count is priced.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != pathList {
			mock.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		mock.ServeHTTP(rec, r)
		var body struct {
			Tags []wechat.Tag `json:"tags"`
		}
		must(t, json.Unmarshal(rec.Body.Bytes(), &body))
		for i := range body.Tags {
			if body.Tags[i].ID == firstTagID {
				body.Tags[i].Count = 1_000_000
			}
		}
		must(t, json.NewEncoder(w).Encode(body))
	}))
	t.Cleanup(srv.Close)
	cfg := wechat.Config{BaseURL: srv.URL}
	tokens, err := wechat.NewTokenSource(cfg, wechat.StableTokenEndpoint, testAppID, testSecret)
	must(t, err)
	client := newClient(t, cfg, tokens)

	_, err = client.CachedTags(t.Context())
	must(t, err)
	for _, fan := range fans {
		tags, err := client.FollowerTags(t.Context(), fan)
		if err != nil || !slices.Equal(tags, []int64{firstTagID}) {
			t.Errorf("FollowerTags(%s) = %v, %v", fan, tags, err)
		}
	}
	if n := mock.CallCount(pathIDList); n != 3 {
		t.Errorf("%d getidlist calls, want 3", n)
	}
	if n := mock.CallCount(pathMembers); n != 0 {
		t.Errorf("%d user/tag/get calls, want none: the snapshot costs %d", n, wechat.SnapshotCost([]wechat.Tag{{ID: 2}, {ID: firstTagID, Count: 1_000_000}}))
	}
}

// The log says which way the reads go and why, with the figures.
func TestMembershipReads_theLogSaysTheStrategyAndWhy(t *testing.T) {
	var mu sync.Mutex
	var messages []string
	var switchFields map[string]any
	fans := mockwechat.GenerateOpenIDs(30, 11)
	f := newFixtureWith(t, mockwechat.Config{Followers: fans, Tags: []string{"a", "b", "c"}}, wechat.Config{
		Log: func(_ context.Context, message string, fields map[string]any) {
			mu.Lock()
			defer mu.Unlock()
			messages = append(messages, message)
			if fields["strategy"] == "per_tag" {
				switchFields = fields
			}
		},
	})
	for i, fan := range fans {
		must(t, f.mock.TagUser(fan, firstTagID+int64(i%3)))
		must(t, f.mock.TagUser(fan, firstTagID+int64((i+1)%3)))
	}
	_, err := f.client.CachedTags(t.Context())
	must(t, err)
	requireTruth(t, f, fans...)

	mu.Lock()
	defer mu.Unlock()
	if len(messages) != 3 || !strings.Contains(messages[0], "per follower") || !strings.Contains(messages[2], "every tag's followers read") {
		t.Errorf("logged %q, want the per-follower start, the switch and the snapshot", messages)
	}
	if switchFields["follower_reads"] != membershipSnapshotCost || switchFields["snapshot_calls"] != membershipSnapshotCost {
		t.Errorf("the switch logged %v, want the reads made and the snapshot's cost", switchFields)
	}
}

// The plan-time check and the change of one apply read a follower once: an answer is
// kept, kept true by the writes since, and forgotten for a write of uncertain outcome.
func TestMembershipReads_aFollowerIsReadOncePerProcess(t *testing.T) {
	f, fans := newMembershipFixture(t, wechat.MembershipReadsPerFollower)
	requireTruth(t, f, fans[0], fans[0])
	requireCallCount(t, f.mock, pathIDList, 1)

	must(t, f.client.TagFollowers(t.Context(), firstTagID+2, fans[:1]))
	must(t, f.client.UntagFollowers(t.Context(), firstTagID, fans[:1]))
	requireTruth(t, f, fans[0])
	requireCallCount(t, f.mock, pathIDList, 1)

	must(t, f.mock.SetFaults(mockwechat.Faults{LostResponseRate: 1, Paths: []string{pathTag}}))
	if err := f.client.TagFollowers(t.Context(), firstTagID, fans[:1]); !wechat.IsAmbiguous(err) {
		t.Fatalf("TagFollowers = %v, want an ambiguous failure", err)
	}
	must(t, f.mock.SetFaults(mockwechat.Faults{}))
	requireTruth(t, f, fans[0])
	requireCallCount(t, f.mock, pathIDList, 2)

	must(t, f.client.DeleteTag(t.Context(), firstTagID+1))
	requireTruth(t, f, fans[0])
	requireCallCount(t, f.mock, pathIDList, 2)
}

// requireMembers reads a tag's followers through the client and compares them with what
// the mock holds.
func requireMembers(t *testing.T, f *fixture, tagID int64) {
	t.Helper()
	got, err := f.client.TagMembers(t.Context(), tagID)
	if err != nil {
		t.Fatalf("TagMembers(%d): %v", tagID, err)
	}
	var want []string
	for _, openid := range f.mock.Followers() {
		if tags, _ := f.mock.UserTags(openid); slices.Contains(tags, tagID) {
			want = append(want, openid)
		}
	}
	if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
		t.Errorf("TagMembers(%d) = %d followers, the account has %d carry it", tagID, len(got), len(want))
	}
}

// The plan-time check of a tag switched to exclusive and the change of one apply read the
// tag's followers once: kept true by the writes since, forgotten for a write of uncertain
// outcome and for the tag's deletion.
func TestMembershipReads_aTagsFollowersAreReadOncePerProcess(t *testing.T) {
	f, fans := newMembershipFixture(t, wechat.MembershipReadsPerFollower)
	requireMembers(t, f, firstTagID)
	requireCallCount(t, f.mock, pathMembers, 2) // the page and the empty one

	must(t, f.client.UntagFollowers(t.Context(), firstTagID, fans[:2]))
	must(t, f.client.TagFollowers(t.Context(), firstTagID, fans[1:2]))
	must(t, f.client.TagFollowers(t.Context(), firstTagID+1, fans[2:3])) // another tag's
	requireMembers(t, f, firstTagID)
	requireCallCount(t, f.mock, pathMembers, 2)

	must(t, f.mock.SetFaults(mockwechat.Faults{LostResponseRate: 1, Paths: []string{pathTag}}))
	if err := f.client.TagFollowers(t.Context(), firstTagID, fans[:1]); !wechat.IsAmbiguous(err) {
		t.Fatalf("TagFollowers = %v, want an ambiguous failure", err)
	}
	must(t, f.mock.SetFaults(mockwechat.Faults{}))
	requireMembers(t, f, firstTagID)
	requireCallCount(t, f.mock, pathMembers, 4)

	must(t, f.client.DeleteTag(t.Context(), firstTagID))
	if _, err := f.client.TagMembers(t.Context(), firstTagID); !wechat.IsTagNotFound(err) {
		t.Errorf("TagMembers of the deleted tag = %v, want the proof that it is gone", err)
	}
}
