package wechat_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

// A plan that replaces a tag of a full account creates one and deletes one, in whichever
// order Terraform runs them: a create that meets 45056 while a deletion of the same client
// is in flight waits for it and tries again, once.
func TestCreateTag_atTheLimitWaitsForTheDeletionInFlight(t *testing.T) {
	mock := mockwechat.New(mockwechat.Config{AppID: testAppID, AppSecret: testSecret, MaxTags: 2, Tags: []string{"old", "kept"}})
	deleteArrived, release := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == pathDelete {
			close(deleteArrived)
			<-release
		}
		mock.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	client := newClient(t, wechat.Config{BaseURL: srv.URL, Retry: fastRetry}, wechat.StaticToken(mock.IssueAccessToken()))

	deleted := make(chan error, 1)
	go func() { deleted <- client.DeleteTag(t.Context(), firstTagID) }()
	<-deleteArrived
	created := make(chan error, 1)
	go func() {
		_, err := client.CreateTag(t.Context(), "new")
		created <- err
	}()
	// The first create meets the limit while the delete is held.
	for mock.CallCount(pathCreate) == 0 {
		select {
		case err := <-created:
			t.Fatalf("CreateTag ended before the deletion: %v", err)
		case <-time.After(time.Millisecond):
		}
	}
	close(release)
	must(t, <-deleted)
	if err := <-created; err != nil {
		t.Fatalf("CreateTag after the deletion = %v, want the tag created", err)
	}
	requireCallCount(t, mock, pathCreate, 2)
}

// Without a deletion of its own to wait for, a create at the limit fails at once.
func TestCreateTag_atTheLimitWithNoDeletionFails(t *testing.T) {
	f := newFixture(t, mockwechat.Config{MaxTags: 1, Tags: []string{"only"}})
	if _, err := f.client.CreateTag(t.Context(), "new"); !wechat.HasCode(err, wechat.CodeTagLimitReached) {
		t.Fatalf("CreateTag = %v, want 45056", err)
	}
	requireCallCount(t, f.mock, pathCreate, 1)
}
