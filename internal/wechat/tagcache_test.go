package wechat_test

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

// A refresh reads every wechat_tag at once: they must share one tags/get.
func TestCachedTags_concurrentReadersShareOneCall(t *testing.T) {
	f := newFixture(t, mockwechat.Config{Tags: []string{"VIP", "广东"}})
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			tags, err := f.client.CachedTags(t.Context())
			if err != nil || len(tags) != 3 {
				t.Errorf("CachedTags = %v, %v; want the starred tag, VIP and 广东", tags, err)
			}
		})
	}
	wg.Wait()
	if _, err := f.client.CachedTags(t.Context()); err != nil {
		t.Fatal(err)
	}
	requireCallCount(t, f.mock, pathList, 1)
}

// The cache follows the client's own writes without reading the service again: what a
// successful create, rename or delete changed is known. A membership change moves a
// tag's count and a failed write has an unknown outcome, so both clear the cache.
func TestCachedTags_followsTheClientsOwnWrites(t *testing.T) {
	f := newFixture(t, mockwechat.Config{Followers: mockwechat.GenerateOpenIDs(1, 3)})
	fan := f.mock.Followers()[0]
	read := func() []wechat.Tag {
		t.Helper()
		tags, err := f.client.CachedTags(t.Context())
		must(t, err)
		if want := f.mock.Tags(); len(tags) != len(want) {
			t.Errorf("CachedTags = %v; the service holds %v", tags, want)
		}
		return tags
	}
	read()
	tag, err := f.client.CreateTag(t.Context(), "VIP")
	must(t, err)
	if got := read(); got[1] != (wechat.Tag{ID: tag.ID, Name: "VIP"}) {
		t.Errorf("after a create, CachedTags = %v, want the new tag", got)
	}
	must(t, f.client.RenameTag(t.Context(), tag.ID, "SVIP"))
	if got := read(); got[1].Name != "SVIP" {
		t.Errorf("after a rename, CachedTags = %v, want SVIP", got)
	}
	requireCallCount(t, f.mock, pathList, 1)

	must(t, f.client.TagFollowers(t.Context(), tag.ID, []string{fan}))
	if got := read(); got[1].Count != 1 {
		t.Errorf("after tagging a follower, CachedTags = %v, want a count of 1", got)
	}
	requireCallCount(t, f.mock, pathList, 2)

	must(t, f.mock.FailNext("/cgi-bin/tags/update", wechat.CodeSystemBusy))
	if err := f.client.RenameTag(t.Context(), tag.ID, "VVIP"); err == nil {
		t.Fatal("the rename succeeded despite the injected error")
	}
	read()
	requireCallCount(t, f.mock, pathList, 3)

	must(t, f.client.DeleteTag(t.Context(), tag.ID))
	if got := read(); len(got) != 1 {
		t.Errorf("after a delete, CachedTags = %v, want only the starred tag", got)
	}
	requireCallCount(t, f.mock, pathList, 3)
}

// A failed read is not kept: the next reader tries again.
func TestCachedTags_anErrorIsNotCached(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	must(t, f.mock.FailNext(pathList, wechat.CodeSystemBusy))
	if _, err := f.client.CachedTags(t.Context()); !wechat.HasCode(err, wechat.CodeSystemBusy) {
		t.Fatalf("got %v, want the busy error", err)
	}
	if _, err := f.client.CachedTags(t.Context()); err != nil {
		t.Fatalf("the second read failed too: %v", err)
	}
	requireCallCount(t, f.mock, pathList, 2)
}

// A reader whose context ends stops waiting, without failing the read others share.
func TestCachedTags_aCancelledReaderStopsWaiting(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := f.client.CachedTags(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if _, err := f.client.CachedTags(t.Context()); err != nil {
		t.Fatalf("a later reader failed: %v", err)
	}
}

// Each caller gets a slice of its own: one that edits its result, as a caller sorting or
// filtering in place would, changes neither the cache nor what other callers get.
func TestCachedTags_aCallerEditingItsResultChangesNothingElse(t *testing.T) {
	f := newFixture(t, mockwechat.Config{Tags: []string{"VIP", "广东"}})
	want := f.mock.Tags()
	check := func(step string, got []wechat.Tag) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: CachedTags = %v, want %v", step, got, want)
		}
		for i := range want {
			if got[i] != (wechat.Tag{ID: want[i].ID, Name: want[i].Name, Count: want[i].Count}) {
				t.Errorf("%s: CachedTags = %v, want %v", step, got, want)
				return
			}
		}
	}
	vandalise := func(tags []wechat.Tag) {
		for i := range tags {
			tags[i].Name = "changed by a caller"
		}
	}

	// The waiters of one tags/get each get their own copy, and so does the cache.
	results := make([][]wechat.Tag, 2)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			var err error
			results[i], err = f.client.CachedTags(t.Context())
			must(t, err)
		})
	}
	wg.Wait()
	vandalise(results[0])
	check("another caller of the same read", results[1])

	cached, err := f.client.CachedTags(t.Context())
	must(t, err)
	check("the cache after a caller edited its result", cached)
	vandalise(cached)
	again, err := f.client.CachedTags(t.Context())
	must(t, err)
	check("the cache after a caller edited what it served", again)
	requireCallCount(t, f.mock, pathList, 1)
}

func TestClient_lookupTagAnswersFromTheSharedSnapshot(t *testing.T) {
	f := newFixture(t, mockwechat.Config{Tags: []string{"VIP"}})
	tag, err := f.client.LookupTag(t.Context(), firstTagID)
	if err != nil || tag != (wechat.Tag{ID: firstTagID, Name: "VIP"}) {
		t.Errorf("LookupTag(%d) = %+v, %v; want VIP", firstTagID, tag, err)
	}
	if tag, err := f.client.LookupTag(t.Context(), 999); !wechat.IsTagNotFound(err) {
		t.Errorf("LookupTag(999) = %+v, %v; want the proof that it is gone", tag, err)
	}
	requireCallCount(t, f.mock, pathList, 1)

	// A failed read proves nothing: it is an error, not "not found".
	f = newFixture(t, mockwechat.Config{Tags: []string{"VIP"}})
	must(t, f.mock.FailNext(pathList, wechat.CodeSystemBusy))
	if _, err := f.client.LookupTag(t.Context(), firstTagID); !wechat.HasCode(err, wechat.CodeSystemBusy) || wechat.IsTagNotFound(err) {
		t.Errorf("LookupTag with tags/get busy = %v; want the busy error, no proof", err)
	}
}

// An apply creates tags while the resources that wait for them read the listing: the
// create's edit applies to the tags/get in flight, which fills the cache, whether or not
// it saw the new tag; no reader pays for another call.
func TestCachedTags_aCreateDuringTheReadInFlightCostsNoOtherRead(t *testing.T) {
	mock := mockwechat.New(mockwechat.Config{AppID: testAppID, AppSecret: testSecret})
	listing, release := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == pathList {
			close(listing)
			<-release // answered as the service saw the account before the create
		}
		mock.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	cfg := wechat.Config{BaseURL: srv.URL}
	tokens, err := wechat.NewTokenSource(cfg, wechat.StableTokenEndpoint, testAppID, testSecret)
	must(t, err)
	client := newClient(t, cfg, tokens)

	read := make(chan []wechat.Tag)
	go func() {
		tags, err := client.CachedTags(t.Context())
		if err != nil {
			t.Error(err)
		}
		read <- tags
	}()
	<-listing
	tag, err := client.CreateTag(t.Context(), "VIP")
	must(t, err)
	close(release)
	for _, tags := range [][]wechat.Tag{<-read, mustValue(client.CachedTags(t.Context()))} {
		if _, found := slices.BinarySearchFunc(tags, tag.ID, func(t wechat.Tag, id int64) int { return cmp.Compare(t.ID, id) }); !found {
			t.Errorf("CachedTags = %v, want the tag created meanwhile", tags)
		}
	}
	requireCallCount(t, mock, pathList, 1)
}

func mustValue[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// Tagging followers changes a tag's follower count, not its id or name: KnownTags, for
// the tag-id checks of each wechat_user_tags an apply changes, reads no tags/get again,
// while CachedTags, for the counts the data sources report, does.
func TestKnownTags_membershipChangesKeepTheIDsAndNames(t *testing.T) {
	f := newFixture(t, mockwechat.Config{Tags: []string{"VIP"}, Followers: mockwechat.GenerateOpenIDs(2, 3)})
	fans := f.mock.Followers()
	_, err := f.client.KnownTags(t.Context())
	must(t, err)
	for _, fan := range fans {
		must(t, f.client.TagFollowers(t.Context(), 100, []string{fan}))
		tags, err := f.client.KnownTags(t.Context())
		must(t, err)
		if len(tags) != 2 || tags[1].Name != "VIP" {
			t.Errorf("KnownTags = %v, want the starred tag and VIP", tags)
		}
	}
	requireCallCount(t, f.mock, pathList, 1)
	tags, err := f.client.CachedTags(t.Context())
	must(t, err)
	if tags[1].Count != 2 {
		t.Errorf("CachedTags = %v, want VIP with its 2 followers", tags)
	}
	requireCallCount(t, f.mock, pathList, 2)
	if _, err := f.client.CachedTags(t.Context()); err != nil {
		t.Fatal(err)
	}
	requireCallCount(t, f.mock, pathList, 2)
}

// After Ctrl-C, when every caller waiting for the shared tags/get has left, the call stops
// instead of running on; a caller that comes later reads the tags anew.
func TestTagCache_aReadEveryCallerLeftStops(t *testing.T) {
	f := newFixture(t, mockwechat.Config{Tags: []string{"广东"}})
	// A direct read, which the cache does not keep, leaves the token fetched.
	_, err := f.client.ListTags(t.Context())
	must(t, err)
	must(t, f.mock.SetFaults(mockwechat.Faults{Latency: time.Second}))

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	began := time.Now()
	if _, err := f.client.CachedTags(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("CachedTags = %v, want the caller's deadline", err)
	}
	deadline := time.Now().Add(500 * time.Millisecond)
	for len(f.log.of("tags/get")) < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	calls := f.log.of("tags/get")
	if len(calls) != 2 || !errors.Is(calls[1].Err, context.Canceled) || time.Since(began) > 900*time.Millisecond {
		t.Fatalf("the abandoned tags/get ended as %+v after %s, want cancelled well before the mock's 1 s", calls, time.Since(began))
	}

	must(t, f.mock.SetFaults(mockwechat.Faults{}))
	tags, err := f.client.CachedTags(t.Context())
	if err != nil || len(tags) != 2 {
		t.Errorf("CachedTags after the abandoned read = %v, %v; want the starred tag and 广东", tags, err)
	}
}
