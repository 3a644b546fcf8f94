package main

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func openIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("oTest%023d", i)
	}
	return ids
}

func TestNewFixture_givesEachFollowerOneToThreeDistinctTagsAndUsesEveryTag(t *testing.T) {
	f, err := newFixture(openIDs(250), 100, 200)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.tags) != 100 || len(f.followers) != 200 {
		t.Fatalf("got %d tags and %d followers, want 100 and 200", len(f.tags), len(f.followers))
	}
	used := map[int]bool{}
	sizes := map[int]int{}
	for i, follower := range f.followers {
		if follower.openid != openIDs(250)[i] {
			t.Errorf("follower %d has openid %q, want the mock's %d-th", i, follower.openid, i)
		}
		sizes[len(follower.tags)]++
		sorted := slices.Clone(follower.tags)
		slices.Sort(sorted)
		if len(slices.Compact(sorted)) != len(follower.tags) {
			t.Errorf("follower %d has a tag twice: %v", i, follower.tags)
		}
		for _, tag := range follower.tags {
			if tag < 0 || tag >= 100 {
				t.Errorf("follower %d has tag index %d, outside the 100 tags", i, tag)
			}
			used[tag] = true
		}
	}
	if len(used) != 100 {
		t.Errorf("%d of the 100 tags are given to a follower, want every one", len(used))
	}
	for n := 1; n <= 3; n++ {
		if sizes[n] == 0 {
			t.Errorf("no follower has %d tags: %v", n, sizes)
		}
	}
	if len(sizes) != 3 {
		t.Errorf("followers have tag counts %v, want only 1, 2 and 3", sizes)
	}
}

func TestNewFixture_refusesTooFewFollowersOrTags(t *testing.T) {
	if _, err := newFixture(openIDs(10), 100, 200); err == nil || !strings.Contains(err.Error(), "start it with more") {
		t.Errorf("10 followers for 200 resources: got %v, want an error saying to start the mock with more", err)
	}
	if _, err := newFixture(openIDs(10), 2, 5); err == nil {
		t.Error("2 tags: got no error, want one: a follower's 3 tags could not be distinct")
	}
}

var resourceBlock = regexp.MustCompile(`(?m)^resource "([a-z_]+)" "([a-z0-9]+)" \{$`)

func blocks(hcl string) map[string]int {
	counts := map[string]int{}
	for _, m := range resourceBlock.FindAllStringSubmatch(hcl, -1) {
		counts[m[1]]++
	}
	return counts
}

func TestWechatConfigAndFloorConfigs_describeTheSameGraph(t *testing.T) {
	f, err := newFixture(openIDs(20), 10, 12)
	if err != nil {
		t.Fatal(err)
	}
	wechat := wechatConfig(f)
	if got := blocks(wechat); got["wechat_tag"] != 10 || got["wechat_user_tags"] != 12 || len(got) != 2 {
		t.Errorf("wechat config has resources %v, want 10 wechat_tag and 12 wechat_user_tags", got)
	}
	// Follower 2 carries 3 tags: indexes 14 % 10, (14+3) % 10 and (14+6) % 10.
	wantWechat := "resource \"wechat_user_tags\" \"u002\" {\n  openid  = \"" + f.followers[2].openid + "\"\n" +
		"  tag_ids = [wechat_tag.t004.id, wechat_tag.t007.id, wechat_tag.t000.id]\n}"
	if !strings.Contains(wechat, wantWechat) || !strings.Contains(wechat, "resource \"wechat_tag\" \"t009\" {\n  name = \"bench-009\"\n}") {
		t.Errorf("wechat config lacks\n%s\nor the tag t009 named bench-009, in\n%s", wantWechat, wechat)
	}

	for _, c := range []struct {
		floor            floorResource
		requires, tagIDs string
	}{
		{bareFloor, `source = "bench/bare"`, "bare_echo.t004.input, bare_echo.t007.input, bare_echo.t000.input"},
		{terraformDataFloor, "", "terraform_data.t004.output, terraform_data.t007.output, terraform_data.t000.output"},
	} {
		floor := floorConfig(f, c.floor)
		typ := c.floor.resourceType
		if got := blocks(floor); got[typ] != 22 || len(got) != 1 {
			t.Errorf("%s floor has resources %v, want 22 %s", typ, got, typ)
		}
		if strings.Contains(floor, "wechat") || c.requires != "" && !strings.Contains(floor, c.requires) || c.requires == "" && strings.Contains(floor, "required_providers") {
			t.Errorf("%s floor requires a provider other than %q:\n%.300s", typ, c.requires, floor)
		}
		wantFloor := "resource \"" + typ + "\" \"u002\" {\n  input = {\n    openid  = \"" + f.followers[2].openid + "\"\n" +
			"    tag_ids = [" + c.tagIDs + "]\n  }\n}"
		if !strings.Contains(floor, wantFloor) || !strings.Contains(floor, "resource \""+typ+"\" \"t009\" {\n  input = \"bench-009\"\n}") {
			t.Errorf("%s floor lacks\n%s\nor the tag t009 named bench-009, in\n%s", typ, wantFloor, floor)
		}
	}
}

func TestMembersConfig_listsEveryOpenIDOnce(t *testing.T) {
	ids := openIDs(1234)
	hcl := membersConfig("bench-members", ids)
	if got := blocks(hcl); got["wechat_tag"] != 1 || got["wechat_tag_members"] != 1 {
		t.Errorf("resources %v, want one wechat_tag and one wechat_tag_members", got)
	}
	for _, want := range []string{"tag_id    = wechat_tag.members.id", "exclusive = false", `name = "bench-members"`} {
		if !strings.Contains(hcl, want) {
			t.Errorf("config lacks %q", want)
		}
	}
	for _, id := range []string{ids[0], ids[617], ids[1233]} {
		if n := strings.Count(hcl, `"`+id+`",`); n != 1 {
			t.Errorf("openid %s is listed %d times, want once", id, n)
		}
	}
	if n := strings.Count(hcl, `"oTest`); n != 1234 {
		t.Errorf("%d openids listed, want 1234", n)
	}
}

func TestTagsConfig_namesEachTag(t *testing.T) {
	hcl := tagsConfig(tagNames("latency", 3))
	if got := blocks(hcl); got["wechat_tag"] != 3 || len(got) != 1 {
		t.Errorf("resources %v, want 3 wechat_tag", got)
	}
	if !strings.Contains(hcl, "resource \"wechat_tag\" \"t002\" {\n  name = \"latency-002\"\n}") {
		t.Errorf("tag t002 is not named latency-002 in\n%s", hcl)
	}
}
