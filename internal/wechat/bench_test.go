package wechat

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

// A full page of user/tag/get is 10,000 openids, about 320 KB: what a refresh of a large
// wechat_tag_members reads, and the largest response the client decodes.
const benchPageSize = 10000

func benchTagMembersPage(b *testing.B) (page []byte, openids []string) {
	b.Helper()
	openids = mockwechat.GenerateOpenIDs(benchPageSize, 1)
	page, err := json.Marshal(map[string]any{
		"count":       len(openids),
		"data":        map[string]any{"openid": openids},
		"next_openid": openids[len(openids)-1],
	})
	if err != nil {
		b.Fatal(err)
	}
	return page, openids
}

// BenchmarkTagMembers10000 reads a tag of 10,000 members through the whole client path:
// the request, one full page and the empty page that ends the listing, decoded.
func BenchmarkTagMembers10000(b *testing.B) {
	page, openids := benchTagMembersPage(b)
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var request struct {
			NextOpenID string `json:"next_openid"`
		}
		if err := json.NewDecoder(r.Body).Decode(&request); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if request.NextOpenID == "" {
			w.Write(page)
			return
		}
		w.Write([]byte(`{"count":0}`))
	}))
	b.Cleanup(server.Close)
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		// A client remembers the followers it read of a tag: a new one reads them again.
		client, err := NewClient(Config{BaseURL: server.URL}, StaticToken("bench-token"))
		if err != nil {
			b.Fatal(err)
		}
		members, err := client.TagMembers(b.Context(), 100)
		if err != nil || len(members) != len(openids) {
			b.Fatalf("TagMembers = %d members, %v; want %d", len(members), err, len(openids))
		}
	}
}

// BenchmarkDecodeTagMembersPage10000 is the decoding of one full page alone, as TagMembers
// decodes it: the envelope first, then the page.
func BenchmarkDecodeTagMembersPage10000(b *testing.B) {
	payload, openids := benchTagMembersPage(b)
	redact := strings.NewReplacer()

	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		// The shape of TagMembers' page.
		var page struct {
			Count int `json:"count"`
			Data  struct {
				OpenID []string `json:"openid"`
			} `json:"data"`
			NextOpenID string `json:"next_openid"`
		}
		if err := decodeResponse("user/tag/get", payload, &page, redact); err != nil || len(page.Data.OpenID) != len(openids) {
			b.Fatalf("decodeResponse = %d openids, %v; want %d", len(page.Data.OpenID), err, len(openids))
		}
	}
}

// BenchmarkSnapshotMillionFollowers takes the snapshot of an account whose one tag lists
// 1,000,000 followers (101 pages and the starred tag's), and reports what the snapshot
// keeps in memory per follower once taken: the largest snapshot a command can hold.
func BenchmarkSnapshotMillionFollowers(b *testing.B) {
	const followers, tagID = 1_000_000, 100
	openids := mockwechat.GenerateOpenIDs(followers, 3)
	pages := map[string][]byte{}
	for start, next := 0, ""; start < followers; start += benchPageSize {
		page := openids[start:min(start+benchPageSize, followers)]
		body, err := json.Marshal(map[string]any{"count": len(page), "data": map[string]any{"openid": page}, "next_openid": page[len(page)-1]})
		if err != nil {
			b.Fatal(err)
		}
		pages[next], next = body, page[len(page)-1]
	}
	tags := []byte(`{"tags":[{"id":2,"name":"星标组","count":0},{"id":100,"name":"all","count":1000000}]}`)
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/tags/get") {
			w.Write(tags)
			return
		}
		var request struct {
			TagID      int64  `json:"tagid"`
			NextOpenID string `json:"next_openid"`
		}
		if err := json.NewDecoder(r.Body).Decode(&request); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		page, ok := pages[request.NextOpenID]
		if request.TagID != tagID || !ok {
			page = []byte(`{"count":0}`)
		}
		w.Write(page)
	}))
	b.Cleanup(server.Close)

	var retained uint64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		client, err := NewClient(Config{BaseURL: server.URL, MembershipReads: MembershipReadsPerTag}, StaticToken("bench-token"))
		if err != nil {
			b.Fatal(err)
		}
		ids, err := client.FollowerTags(b.Context(), openids[followers-1])
		if err != nil || len(ids) != 1 || ids[0] != tagID {
			b.Fatalf("FollowerTags = %v, %v; want [%d]", ids, err, tagID)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		retained = after.HeapAlloc - before.HeapAlloc
		runtime.KeepAlive(client)
	}
	b.ReportMetric(float64(retained)/followers, "B/follower")
	b.ReportMetric(float64(retained)/(1<<20), "MiB-retained")
}

// BenchmarkRememberedTagFollowersWrites applies to the client's memory of a tag's
// followers what 2,000 batchtagging calls of 50 do: tagging 100,000 followers, the size
// of a campaign the wechat_tag_followers_add action sends, from an empty tag.
func BenchmarkRememberedTagFollowersWrites(b *testing.B) {
	const followers = 100000
	openids := mockwechat.GenerateOpenIDs(followers, 2)
	b.ReportAllocs()
	for b.Loop() {
		reads, err := newMembershipReads(MembershipReadsAuto, nil)
		if err != nil {
			b.Fatal(err)
		}
		reads.members = map[int64][]string{100: {}}
		for start := 0; start < followers; start += MaxOpenIDsPerBatch {
			reads.membersChanged(100, openids[start:start+MaxOpenIDsPerBatch], true, nil)
		}
		if n := len(reads.members[100]); n != followers {
			b.Fatalf("the memory holds %d followers of the tag, want %d", n, followers)
		}
	}
}
