package provider

import (
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

// These tests drive the resources through their seam with a fake WeChat: every error path
// of Read, Create, Update and Delete, under plain go test.

const (
	batchTagging   = "tags/members/batchtagging"
	batchUntagging = "tags/members/batchuntagging"
)

func userTags(openid string, exclusive bool, tagIDs ...int64) userTagsModel {
	return userTagsModel{OpenID: types.StringValue(openid), TagIDs: tagIDSet(tagIDs, nil), Exclusive: types.BoolValue(exclusive)}
}

func tagIDsIn(t *testing.T, state tfsdk.State) []int64 {
	t.Helper()
	var model userTagsModel
	if diags := state.Get(t.Context(), &model); diags.HasError() {
		t.Fatal(diags)
	}
	return tagIDsOf(t.Context(), model.TagIDs, nil)
}

func TestUserTagsRead(t *testing.T) {
	const openid = "oFollower000000000000000001"
	t.Run("a state written before id existed gets the openid as id", func(t *testing.T) {
		api := newFakeWechat(openid)
		api.give(openid, 100)
		resp := read(t, &UserTagsResource{client: api}, userTags(openid, false, 100))
		expectNoDiagnostics(t, resp.Diagnostics)
		var model userTagsModel
		if diags := resp.State.Get(t.Context(), &model); diags.HasError() || model.ID.ValueString() != openid {
			t.Errorf("id after the refresh = %v (%v), want the openid", model.ID, diags)
		}
	})
	t.Run("a follower who unfollowed is gone", func(t *testing.T) {
		api := newFakeWechat()
		resp := read(t, &UserTagsResource{client: api}, userTags(openid, false, 100))
		expectNoDiagnostics(t, resp.Diagnostics)
		if !resp.State.Raw.IsNull() {
			t.Error("the resource stays in state; want it removed")
		}
	})
	t.Run("an openid of another AppID is misconfiguration, never proof", func(t *testing.T) {
		api := newFakeWechat(openid)
		api.foreign[openid] = true
		resp := read(t, &UserTagsResource{client: api}, userTags(openid, false, 100))
		expectDiagnostic(t, resp.Diagnostics, "Openid of another account", openid, "credentials of another account", "errcode 49003")
		expectAttribute(t, resp.Diagnostics, "openid")
		if resp.State.Raw.IsNull() {
			t.Error("the resource was removed from state")
		}
	})
	t.Run("a busy service keeps the state", func(t *testing.T) {
		api := newFakeWechat(openid)
		api.script("tags/getidlist", refusal(wechat.CodeSystemBusy))
		resp := read(t, &UserTagsResource{client: api}, userTags(openid, false, 100))
		expectDiagnostic(t, resp.Diagnostics, "Unable to manage the tags of a follower", "Follower "+openid, "errcode -1")
		if got := tagIDsIn(t, resp.State); !slices.Equal(got, []int64{100}) {
			t.Errorf("state tag_ids = %v, want [100] as before", got)
		}
	})
	t.Run("only managed tags unless exclusive", func(t *testing.T) {
		api := newFakeWechat(openid)
		api.tags[100], api.tags[101] = "VIP", "campaign"
		api.give(openid, 101, 2)
		resp := read(t, &UserTagsResource{client: api}, userTags(openid, false, 100, 101))
		if got := tagIDsIn(t, resp.State); !slices.Equal(got, []int64{101}) {
			t.Errorf("non-exclusive: tag_ids = %v, want [101]: 100 was taken, 2 is not managed", got)
		}
		resp = read(t, &UserTagsResource{client: api}, userTags(openid, true, 100))
		if got := tagIDsIn(t, resp.State); !slices.Equal(got, []int64{2, 101}) {
			t.Errorf("exclusive: tag_ids = %v, want [2 101]", got)
		}
	})
}

func TestUserTagsCreate(t *testing.T) {
	const openid = "oFollower000000000000000001"
	t.Run("not a follower", func(t *testing.T) {
		api := newFakeWechat()
		api.tags[100] = "VIP"
		resp := create(t, &UserTagsResource{client: api}, userTags(openid, false, 100))
		expectDiagnostic(t, resp.Diagnostics, "Not a follower of this account", fmt.Sprintf("%q", openid), "errcode 40003")
		expectAttribute(t, resp.Diagnostics, "openid")
	})
	t.Run("a tag the account lacks is refused before any write", func(t *testing.T) {
		api := newFakeWechat(openid)
		api.tags[100] = "VIP"
		resp := create(t, &UserTagsResource{client: api}, userTags(openid, false, 100, 104))
		expectDiagnostic(t, resp.Diagnostics, "Tag not found", "no tag with id 104")
		if n := api.callsOf("tags/members/batchtagging"); n != 0 {
			t.Errorf("%d batchtagging calls before the refusal", n)
		}
		expectAttribute(t, resp.Diagnostics, "tag_ids")
		if !resp.State.Raw.IsNull() {
			t.Error("a create that failed midway saved state")
		}
	})
	t.Run("more than 20 tags is refused before any call", func(t *testing.T) {
		api := newFakeWechat(openid)
		for id := int64(100); id < 119; id++ {
			api.tags[id] = fmt.Sprint(id)
			api.give(openid, id)
		}
		api.tags[200], api.tags[201] = "a", "b"
		resp := create(t, &UserTagsResource{client: api}, userTags(openid, false, 200, 201))
		expectDiagnostic(t, resp.Diagnostics, "Too many tags for one follower", "carries 19 tags and would carry 21")
		if n := api.callsOf(batchTagging); n != 0 {
			t.Errorf("%d batchtagging calls, want none", n)
		}
	})
	t.Run("lost responses are read back, not resent", func(t *testing.T) {
		api := newFakeWechat(openid)
		api.tags[100], api.tags[101], api.tags[102] = "a", "b", "c"
		api.script(batchTagging, lostResponse, lostResponse, lostResponse)
		resp := create(t, &UserTagsResource{client: api}, userTags(openid, false, 100, 101, 102))
		expectNoDiagnostics(t, resp.Diagnostics)
		if n := api.callsOf(batchTagging); n != 3 || !slices.Equal(api.tagsOf(openid), []int64{100, 101, 102}) {
			t.Errorf("%d batchtagging calls, tags %v: want 3 calls, each tag once", n, api.tagsOf(openid))
		}
	})
}

func TestUserTagsUpdatePartialFailureSavesWhatItApplied(t *testing.T) {
	const openid = "oFollower000000000000000001"
	api := newFakeWechat(openid)
	for id := int64(100); id <= 104; id++ {
		api.tags[id] = fmt.Sprint(id)
	}
	api.give(openid, 100, 101, 2)
	// Untag 101, then tag 102, 103, 104: the second tagging meets the daily quota.
	api.script(batchTagging, fakeFault{}, refusal(wechat.CodeDailyQuotaReached))
	resp := update(t, &UserTagsResource{client: api}, userTags(openid, false, 100, 101), userTags(openid, false, 100, 102, 103, 104))
	expectDiagnostic(t, resp.Diagnostics, "Unable to manage the tags of a follower", "tag 103: ", "errcode 45009", "after 2 tags were changed")
	if got := tagIDsIn(t, resp.State); !slices.Equal(got, []int64{100, 102}) {
		t.Errorf("state tag_ids = %v, want [100 102]: what the follower carries of what the resource manages", got)
	}
}

func TestUserTagsDelete(t *testing.T) {
	const openid = "oFollower000000000000000001"
	t.Run("a follower who unfollowed has nothing left to remove", func(t *testing.T) {
		api := newFakeWechat()
		expectNoDiagnostics(t, destroy(t, &UserTagsResource{client: api}, userTags(openid, false, 100)).Diagnostics)
		if n := api.callsOf(batchUntagging); n != 0 {
			t.Errorf("%d batchuntagging calls, want none", n)
		}
	})
	t.Run("a failure midway keeps the tags still carried", func(t *testing.T) {
		api := newFakeWechat(openid)
		api.tags[100], api.tags[101] = "a", "b"
		api.give(openid, 100, 101, 2)
		api.script(batchUntagging, fakeFault{}, refusal(wechat.CodeDailyQuotaReached))
		resp := destroy(t, &UserTagsResource{client: api}, userTags(openid, false, 100, 101))
		expectDiagnostic(t, resp.Diagnostics, "Unable to manage the tags of a follower", "errcode 45009")
		if got := tagIDsIn(t, resp.State); !slices.Equal(got, []int64{101}) {
			t.Errorf("state tag_ids = %v, want [101]", got)
		}
		if !slices.Equal(api.tagsOf(openid), []int64{2, 101}) {
			t.Errorf("the follower carries %v, want [2 101]: tag 2 is not managed", api.tagsOf(openid))
		}
	})
	t.Run("an openid of another AppID is reported", func(t *testing.T) {
		api := newFakeWechat(openid)
		api.foreign[openid] = true
		expectDiagnostic(t, destroy(t, &UserTagsResource{client: api}, userTags(openid, false, 100)).Diagnostics, "Openid of another account")
	})
}

func tagMembers(tagID int64, exclusive bool, openids ...string) tagMembersModel {
	return tagMembersModel{
		TagID:     types.NumberValue(new(big.Float).SetInt64(tagID)),
		OpenIDs:   openIDList(openids, nil),
		Exclusive: types.BoolValue(exclusive),
	}
}

func openIDsIn(t *testing.T, state tfsdk.State) []string {
	t.Helper()
	var model tagMembersModel
	if diags := state.Get(t.Context(), &model); diags.HasError() {
		t.Fatal(diags)
	}
	return openIDsOf(model.OpenIDs)
}

func TestTagMembersRead(t *testing.T) {
	t.Run("a state written before id existed gets the tag id as id", func(t *testing.T) {
		api := newFakeWechat("oFollower000000000000000001")
		newFakeTags(t, api, "VIP")
		resp := read(t, &TagMembersResource{client: api}, tagMembers(100, false))
		expectNoDiagnostics(t, resp.Diagnostics)
		var model tagMembersModel
		if diags := resp.State.Get(t.Context(), &model); diags.HasError() || model.ID.ValueString() != "100" {
			t.Errorf("id after the refresh = %v (%v), want \"100\"", model.ID, diags)
		}
	})

	openids := mockwechat.GenerateOpenIDs(3, 1)
	t.Run("a tag proved gone takes its memberships along", func(t *testing.T) {
		resp := read(t, &TagMembersResource{client: newFakeWechat(openids...)}, tagMembers(100, false, openids...))
		expectNoDiagnostics(t, resp.Diagnostics)
		if !resp.State.Raw.IsNull() {
			t.Error("the resource stays in state; want it removed")
		}
	})
	t.Run("45159 alone is no proof", func(t *testing.T) {
		api := newFakeWechat(openids...)
		api.tags[100] = "VIP"
		api.script("user/tag/get", refusal(wechat.CodeInvalidTagID))
		resp := read(t, &TagMembersResource{client: api}, tagMembers(100, false, openids...))
		expectDiagnostic(t, resp.Diagnostics, "Unable to manage the members of a tag", "Tag 100", "errcode 45159")
		if got := openIDsIn(t, resp.State); !slices.Equal(got, openids) {
			t.Errorf("state openids = %v, want them kept", got)
		}
	})
	t.Run("exclusive keeps the known members' order and adds the others after", func(t *testing.T) {
		api := newFakeWechat(openids...)
		api.tags[100] = "VIP"
		api.give(openids[2], 100)
		api.give(openids[0], 100)
		api.give(openids[1], 100)
		resp := read(t, &TagMembersResource{client: api}, tagMembers(100, true, openids[2], openids[0]))
		if got, want := openIDsIn(t, resp.State), []string{openids[2], openids[0], openids[1]}; !slices.Equal(got, want) {
			t.Errorf("state openids = %v, want %v", got, want)
		}
	})
}

func TestTagMembersCreateNamesRefusedFollowers(t *testing.T) {
	openids := mockwechat.GenerateOpenIDs(60, 2)
	stranger, foreign := "oStrangerNotAFollower00000", "oForeignFollower0000000000"
	tests := []struct {
		name, summary, culprit string
		setup                  func(*fakeWechat)
	}{
		{"not a follower", "Not a follower of this account", stranger, func(*fakeWechat) {}},
		{"another AppID", "Openid of another account", foreign, func(api *fakeWechat) { api.foreign[foreign] = true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeWechat(append(slices.Clone(openids), foreign)...)
			api.tags[100] = "VIP"
			tt.setup(api)
			// The culprit is in the second batch of 50.
			config := slices.Concat(openids[:55], []string{tt.culprit}, openids[55:])
			resp := create(t, &TagMembersResource{client: api}, tagMembers(100, false, config...))
			expectDiagnostic(t, resp.Diagnostics, tt.summary, fmt.Sprintf("%q", tt.culprit), "after 50 openids were changed")
			expectAttribute(t, resp.Diagnostics, "openids")
			for _, other := range openids[50:] {
				if strings.Contains(resp.Diagnostics.Errors()[0].Detail(), other) {
					t.Errorf("the detail names %s, who is not at fault", other)
				}
			}
			// One look-up per follower of the refused batch, and none of the others.
			if n := api.callsOf("tags/getidlist"); n != 11 {
				t.Errorf("%d getidlist look-ups, want 11: the refused batch only", n)
			}
		})
	}
}

func TestTagMembersUpdate(t *testing.T) {
	openids := mockwechat.GenerateOpenIDs(150, 3)
	for position := 1; position <= 3; position++ {
		t.Run(fmt.Sprintf("failure at batch %d saves what was applied", position), func(t *testing.T) {
			api := newFakeWechat(openids...)
			api.tags[100] = "VIP"
			api.give(openids[0], 100)
			faults := make([]fakeFault, position)
			faults[position-1] = refusal(wechat.CodeDailyQuotaReached)
			api.script(batchTagging, faults...)
			resp := update(t, &TagMembersResource{client: api}, tagMembers(100, false, openids[0]), tagMembers(100, false, openids...))
			expectDiagnostic(t, resp.Diagnostics, "Unable to manage the members of a tag", "errcode 45009")
			if got, want := openIDsIn(t, resp.State), openids[:1+(position-1)*50]; !slices.Equal(got, want) {
				t.Errorf("state holds %d openids, want %d in the configuration's order", len(got), len(want))
			}
		})
		t.Run(fmt.Sprintf("lost response at batch %d is read back", position), func(t *testing.T) {
			api := newFakeWechat(openids...)
			api.tags[100] = "VIP"
			faults := make([]fakeFault, position)
			faults[position-1] = lostResponse
			api.script(batchTagging, faults...)
			resp := update(t, &TagMembersResource{client: api}, tagMembers(100, false, openids[0]), tagMembers(100, false, openids...))
			expectNoDiagnostics(t, resp.Diagnostics)
			if n := api.callsOf(batchTagging); n != 3 || len(api.membersOf(100)) != 150 {
				t.Errorf("%d batchtagging calls, %d members: want 3 calls, 150 members", n, len(api.membersOf(100)))
			}
			if n := api.callsOf("user/tag/get"); n != 2 {
				t.Errorf("%d reads, want 2: before the change and after the lost response", n)
			}
		})
		t.Run(fmt.Sprintf("dropped request at batch %d is sent again", position), func(t *testing.T) {
			api := newFakeWechat(openids...)
			api.tags[100] = "VIP"
			faults := make([]fakeFault, position)
			faults[position-1] = droppedRequest
			api.script(batchTagging, faults...)
			resp := update(t, &TagMembersResource{client: api}, tagMembers(100, false, openids[0]), tagMembers(100, false, openids...))
			expectNoDiagnostics(t, resp.Diagnostics)
			if n := api.callsOf(batchTagging); n != 4 || len(api.membersOf(100)) != 150 {
				t.Errorf("%d batchtagging calls, %d members: want 4 calls, 150 members", n, len(api.membersOf(100)))
			}
		})
	}
}

func TestTagMembersDelete(t *testing.T) {
	openids := mockwechat.GenerateOpenIDs(2, 4)
	t.Run("a tag proved gone is done", func(t *testing.T) {
		api := newFakeWechat(openids...)
		expectNoDiagnostics(t, destroy(t, &TagMembersResource{client: api}, tagMembers(100, false, openids...)).Diagnostics)
		if reads, untags := api.callsOf("user/tag/get"), api.callsOf(batchUntagging); reads != 1 || untags != 0 {
			t.Errorf("%d user/tag/get and %d batchuntagging calls, want the one read that proves the tag gone, and no change", reads, untags)
		}
	})
	t.Run("a tag deleted during the destroy is done", func(t *testing.T) {
		api := newFakeWechat(openids...)
		api.tags[100] = "VIP"
		api.give(openids[0], 100)
		api.script(batchUntagging, fakeFault{err: tagGone(100)})
		expectNoDiagnostics(t, destroy(t, &TagMembersResource{client: api}, tagMembers(100, false, openids...)).Diagnostics)
		if n := api.callsOf(batchUntagging); n != 1 {
			t.Errorf("%d batchuntagging calls, want the one that met the tag gone", n)
		}
	})
	t.Run("a busy service keeps the resource", func(t *testing.T) {
		api := newFakeWechat(openids...)
		api.tags[100] = "VIP"
		api.give(openids[0], 100)
		api.script("user/tag/get", refusal(wechat.CodeSystemBusy))
		resp := destroy(t, &TagMembersResource{client: api}, tagMembers(100, false, openids...))
		expectDiagnostic(t, resp.Diagnostics, "Unable to manage the members of a tag", "errcode -1")
		if got := openIDsIn(t, resp.State); !slices.Equal(got, openids) || api.callsOf(batchUntagging) != 0 {
			t.Errorf("state openids %v after %d batchuntagging calls, want %v as before and none", got, api.callsOf(batchUntagging), openids)
		}
	})
}

func TestTagMembersImportByNullIdentity(t *testing.T) {
	r := &TagMembersResource{}
	var identitySchema resource.IdentitySchemaResponse
	r.IdentitySchema(t.Context(), resource.IdentitySchemaRequest{}, &identitySchema)
	identity := &tfsdk.ResourceIdentity{
		Schema: identitySchema.IdentitySchema,
		Raw: tftypes.NewValue(identitySchema.IdentitySchema.Type().TerraformType(t.Context()),
			map[string]tftypes.Value{"tag_id": tftypes.NewValue(tftypes.Number, nil)}),
	}
	resp := resource.ImportStateResponse{State: resourceSchemaOf(t, r), Identity: identity}
	r.ImportState(t.Context(), resource.ImportStateRequest{Identity: identity}, &resp)
	expectDiagnostic(t, resp.Diagnostics, "Missing tag id in identity", "identity = { tag_id = 134 }")
}

func tagModelOf(id int64, name string) tagModel {
	return tagModel{ID: types.Int64Value(id), Name: types.StringValue(name)}
}

func TestTagResource(t *testing.T) {
	t.Run("read: a busy tags/get keeps the state", func(t *testing.T) {
		api := newFakeWechat()
		api.script("tags/get", refusal(wechat.CodeSystemBusy))
		resp := read(t, &TagResource{client: api}, tagModelOf(100, "VIP"))
		expectDiagnostic(t, resp.Diagnostics, "Unable to read the tag", "errcode -1")
		if resp.State.Raw.IsNull() {
			t.Error("the resource was removed from state")
		}
	})
	t.Run("read: a tag tags/get no longer lists is gone", func(t *testing.T) {
		resp := read(t, &TagResource{client: newFakeWechat()}, tagModelOf(100, "VIP"))
		expectNoDiagnostics(t, resp.Diagnostics)
		if !resp.State.Raw.IsNull() {
			t.Error("the resource stays in state")
		}
	})
	t.Run("delete: a tag proved gone is deleted", func(t *testing.T) {
		api := newFakeWechat()
		api.script("tags/delete", fakeFault{err: tagGone(100)})
		expectNoDiagnostics(t, destroy(t, &TagResource{client: api}, tagModelOf(100, "VIP")).Diagnostics)
		if n := api.callsOf("tags/delete"); n != 1 {
			t.Errorf("%d tags/delete calls, want the one that met the tag gone", n)
		}
	})
	t.Run("delete: 45159 alone is no proof", func(t *testing.T) {
		api := newFakeWechat()
		api.script("tags/delete", refusal(wechat.CodeInvalidTagID))
		expectDiagnostic(t, destroy(t, &TagResource{client: api}, tagModelOf(100, "VIP")).Diagnostics, "Unable to delete the tag", "errcode 45159")
	})
	t.Run("delete: more than 100,000 followers", func(t *testing.T) {
		api := newFakeWechat()
		api.script("tags/delete", refusal(wechat.CodeTagHasTooManyFans))
		expectDiagnostic(t, destroy(t, &TagResource{client: api}, tagModelOf(100, "VIP")).Diagnostics,
			"Tag has too many followers to delete", "Untag its followers first")
	})
	t.Run("rename: a tag deleted outside Terraform", func(t *testing.T) {
		api := newFakeWechat()
		api.script("tags/update", fakeFault{err: tagGone(100)})
		resp := update(t, &TagResource{client: api}, tagModelOf(100, "VIP"), tagModelOf(100, "VVIP"))
		expectDiagnostic(t, resp.Diagnostics, "Tag deleted outside Terraform", "Tag 100 no longer exists", "Run terraform apply again")
	})
	t.Run("create: 45157 for a name another tag has names that tag", func(t *testing.T) {
		api := newFakeWechat()
		api.tags[107] = "VIP"
		api.script("tags/create", refusal(wechat.CodeIllegalTagName))
		resp := create(t, &TagResource{client: api}, tagModel{ID: types.Int64Unknown(), Name: types.StringValue("VIP")})
		expectDiagnostic(t, resp.Diagnostics, "Tag name already in use", `named "VIP", with id 107`, "terraform import wechat_tag.<name> 107")
		expectAttribute(t, resp.Diagnostics, "name")
	})
	t.Run("create: 45157 for an illegal name", func(t *testing.T) {
		api := newFakeWechat()
		api.script("tags/create", refusal(wechat.CodeIllegalTagName))
		resp := create(t, &TagResource{client: api}, tagModel{ID: types.Int64Unknown(), Name: types.StringValue("VIP")})
		expectDiagnostic(t, resp.Diagnostics, "Tag name refused", `"VIP"`)
	})
}

// Each token-call error a user can fix says what to fix, whichever resource meets it
// first, and leaves the state as it was.
func TestTokenErrorsNameTheFix(t *testing.T) {
	const openid = "oFollower000000000000000001"
	tests := []struct {
		code            int
		errmsg, summary string
		details         []string
	}{
		{wechat.CodeInvalidAppSecret, "invalid appsecret", "WeChat refused the AppSecret", []string{"app_secret", EnvAppSecret}},
		{wechat.CodeAppSecretMissing, "missing secret", "WeChat refused the AppSecret", []string{"app_secret", EnvAppSecret}},
		{wechat.CodeInvalidAppID, "invalid appid", "WeChat refused the AppID", []string{"app_id", EnvAppID}},
		{wechat.CodeAppIDMissing, "missing appid", "WeChat refused the AppID", []string{"app_id", EnvAppID}},
		{wechat.CodeAppSecretFrozen, "appsecret frozen", "WeChat AppSecret frozen", []string{"unfreeze"}},
		{wechat.CodeIPNotWhitelisted, "invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, not in whitelist", "Caller IP not on the WeChat whitelist",
			[]string{"the IP 203.0.113.7 is not on it", "IP白名单", "fixed egress IP", EnvAccessToken}},
		{89503, "ip needs confirmation", "WeChat wants an administrator to confirm this IP", []string{"IP白名单", "access_token"}},
		{89506, "ip needs confirmation", "WeChat wants an administrator to confirm this IP", []string{"IP白名单"}},
		{wechat.CodeAPIUnauthorized, "api unauthorized", "API not authorized for this account", []string{"verified Official Account"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.code), func(t *testing.T) {
			api := newFakeWechat(openid)
			api.script("tags/getidlist", fakeFault{err: fmt.Errorf("obtaining a WeChat access token: %w",
				&wechat.APIError{Endpoint: "stable_token", ErrCode: tt.code, ErrMsg: tt.errmsg})})
			resp := read(t, &UserTagsResource{client: api}, userTags(openid, false, 100))
			expectDiagnostic(t, resp.Diagnostics, tt.summary, append(tt.details, fmt.Sprintf("errcode %d", tt.code))...)
			if resp.State.Raw.IsNull() {
				t.Error("the resource was removed from state")
			}
		})
	}
}

// modifyPlan calls ModifyPlan as the framework does: state nil for a new resource.
func modifyPlan(t *testing.T, r resource.ResourceWithModifyPlan, state, plan any) resource.ModifyPlanResponse {
	t.Helper()
	prior := resourceSchemaOf(t, r)
	if state != nil {
		prior = stateOf(t, r, state)
	}
	p := planOf(t, r, plan)
	resp := resource.ModifyPlanResponse{Plan: p}
	r.ModifyPlan(t.Context(), resource.ModifyPlanRequest{State: prior, Plan: p}, &resp)
	return resp
}

func TestPlanRefusesTagsTheAccountDoesNotHave(t *testing.T) {
	const openid = "oFollower000000000000000001"
	t.Run("wechat_user_tags, new", func(t *testing.T) {
		api := newFakeWechat(openid)
		api.tags[100] = "VIP"
		resp := modifyPlan(t, &UserTagsResource{client: api}, nil, userTags(openid, false, 2, 100, 999))
		expectDiagnostic(t, resp.Diagnostics, "Tag not found", "no tag with id 999")
		expectAttribute(t, resp.Diagnostics, "tag_ids")
		if n := api.callsOf(batchTagging); n != 0 {
			t.Errorf("%d batchtagging calls at plan time", n)
		}
	})
	t.Run("wechat_user_tags, unchanged: no call", func(t *testing.T) {
		api := newFakeWechat(openid)
		resp := modifyPlan(t, &UserTagsResource{client: api}, userTags(openid, false, 999), userTags(openid, false, 999))
		expectNoDiagnostics(t, resp.Diagnostics)
		if n := api.callsOf("tags/get"); n != 0 {
			t.Errorf("%d tags/get calls for a plan that changes nothing, want none", n)
		}
	})
	t.Run("wechat_user_tags, an id known only at apply", func(t *testing.T) {
		api := newFakeWechat(openid)
		api.tags[100] = "VIP"
		plan := userTags(openid, false)
		plan.TagIDs = types.SetValueMust(types.NumberType, []attr.Value{types.NumberUnknown(), types.NumberValue(big.NewFloat(100))})
		resp := modifyPlan(t, &UserTagsResource{client: api}, nil, plan)
		expectNoDiagnostics(t, resp.Diagnostics)
		// The known id is checked, and the follower read once, for the tag limit the
		// unknown id may pass.
		if tags, follower := api.callsOf("tags/get"), api.callsOf("tags/getidlist"); tags != 1 || follower != 1 {
			t.Errorf("%d tags/get and %d getidlist calls, want the one check of the known id and one read of the follower", tags, follower)
		}
		if !resp.Plan.Raw.Equal(planOf(t, &UserTagsResource{}, plan).Raw) {
			t.Error("the plan was changed")
		}
	})
	t.Run("a failed tags/get warns, and leaves the check to apply", func(t *testing.T) {
		api := newFakeWechat(openid)
		api.script("tags/get", refusal(wechat.CodeSystemBusy))
		resp := modifyPlan(t, &UserTagsResource{client: api}, nil, userTags(openid, false, 999))
		if resp.Diagnostics.HasError() || resp.Diagnostics.WarningsCount() != 1 {
			t.Errorf("diagnostics %v, want one warning", resp.Diagnostics)
		}
	})
	t.Run("wechat_tag_members, new and replaced", func(t *testing.T) {
		api := newFakeWechat()
		api.tags[100] = "VIP"
		resp := modifyPlan(t, &TagMembersResource{client: api}, nil, tagMembers(999, false))
		expectDiagnostic(t, resp.Diagnostics, "Tag not found", "no tag with id 999")
		expectAttribute(t, resp.Diagnostics, "tag_id")
		resp = modifyPlan(t, &TagMembersResource{client: api}, tagMembers(100, false), tagMembers(998, false))
		expectDiagnostic(t, resp.Diagnostics, "Tag not found", "no tag with id 998")
		calls := api.callsOf("tags/get")
		expectNoDiagnostics(t, modifyPlan(t, &TagMembersResource{client: api}, tagMembers(999, false), tagMembers(999, false)).Diagnostics)
		if api.callsOf("tags/get") != calls {
			t.Error("a plan that changes nothing read tags/get")
		}
	})
}

// An import adopts a tag's followers into the file a query wrote for it, as the generated
// configuration names it, so that the import's plan shows no change; without that file,
// into openids.
func TestTagMembersImportAdoptsTheQuerysFile(t *testing.T) {
	t.Chdir(t.TempDir())
	followers := mockwechat.GenerateOpenIDs(2, 6)
	api := newFakeWechat(followers...)
	newFakeTags(t, api, "VIP", "small")
	api.give(followers[0], 100, 101)
	api.give(followers[1], 100)
	imported := func(tagID int64) tagMembersModel {
		return tagMembersModel{
			TagID: types.NumberValue(new(big.Float).SetInt64(tagID)), OpenIDs: types.ListNull(types.StringType),
			OpenIDsFile: types.StringNull(), OpenIDsSHA256: types.StringNull(), OpenIDsCount: types.Int64Null(), Exclusive: types.BoolValue(false),
		}
	}
	var diags diag.Diagnostics
	writeAdoptedOpenIDsFile(wechat.Tag{ID: 100, Name: "VIP"}, followers, &diags)
	expectNoDiagnostics(t, diags)

	r := &TagMembersResource{client: api}
	resp := read(t, r, imported(100))
	expectNoDiagnostics(t, resp.Diagnostics)
	var model tagMembersModel
	if diags := resp.State.Get(t.Context(), &model); diags.HasError() {
		t.Fatal(diags)
	}
	if model.OpenIDsFile.ValueString() != "openids/100.txt" || !model.OpenIDs.IsNull() ||
		model.OpenIDsSHA256.ValueString() != membersDigest(followers) || model.OpenIDsCount.ValueInt64() != 2 {
		t.Errorf("the import of tag 100 read %+v; want openids_file openids/100.txt with the digest and count of its 2 followers", model)
	}

	if got := openIDsIn(t, read(t, r, imported(101)).State); !slices.Equal(got, followers[:1]) {
		t.Errorf("the import of tag 101, which has no file, read openids %q, want %q", got, followers[:1])
	}
}
