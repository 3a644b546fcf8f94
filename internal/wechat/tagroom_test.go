package wechat_test

import (
	"fmt"
	"testing"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

// The tags a command plans to create add up across resources, each name once, and only
// names no existing tag has; every plan reads the one shared tags/get.
func TestPlanTagCountsTheWholePlan(t *testing.T) {
	names := make([]string, 96)
	for i := range names {
		names[i] = fmt.Sprintf("segment-%02d", i)
	}
	f := newFixture(t, mockwechat.Config{Tags: names})
	steps := []struct {
		name                    string
		wantPlanned             int
		wantExceeded, wantMaybe bool
	}{
		{"new-a", 1, false, false},
		{"new-b", 2, false, true},
		{"new-a", 2, false, true},
		{"segment-00", 2, false, true},
		{"new-c", 3, false, true},
		{"new-d", 4, false, true},
		{"new-e", 5, true, true},
	}
	for _, step := range steps {
		room, err := f.client.PlanTag(t.Context(), step.name)
		if err != nil {
			t.Fatal(err)
		}
		if room.Existing != 96 || room.Planned != step.wantPlanned || room.Exceeded() != step.wantExceeded || room.MayBeExceeded() != step.wantMaybe {
			t.Errorf("PlanTag(%q) = %+v (exceeded %v, may be %v), want 96 existing, %d planned, exceeded %v",
				step.name, room, room.Exceeded(), room.MayBeExceeded(), step.wantPlanned, step.wantExceeded)
		}
	}
	if n := f.mock.CallCount(pathList); n != 1 {
		t.Errorf("%d tags/get calls, want 1", n)
	}
	// A planned tag once created counts among the existing, not twice.
	if _, err := f.client.CreateTag(t.Context(), "new-a"); err != nil {
		t.Fatal(err)
	}
	if room, err := f.client.PlanTag(t.Context(), "new-a"); err != nil || room.Existing != 97 || room.Planned != 4 {
		t.Errorf("after creating new-a: %+v, %v; want 97 existing, 4 planned", room, err)
	}
}

func TestAccountRoomBounds(t *testing.T) {
	if (wechat.AccountRoom{Existing: 97}).MayBeExceeded() || !(wechat.AccountRoom{Existing: 97, Planned: 1}).MayBeExceeded() {
		t.Error("with the 3 system tags counted, 97 user tags fill the account")
	}
	if (wechat.AccountRoom{Existing: 99, Planned: 1}).Exceeded() || !(wechat.AccountRoom{Existing: 99, Planned: 2}).Exceeded() {
		t.Errorf("without them, 100 user tags fill it (limit %d)", wechat.MaxTagsPerAccount)
	}
}
