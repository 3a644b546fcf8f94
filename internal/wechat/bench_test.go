package wechat

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
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
	client, err := NewClient(Config{BaseURL: server.URL}, StaticToken("bench-token"))
	if err != nil {
		b.Fatal(err)
	}

	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
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
