package provider

import (
	"errors"
	"io/fs"
	"os"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

// listed is what a List streamed: the results, and the diagnostics of each.
type listed struct {
	names   []string
	results []list.ListResult
}

func (l listed) errors() []string {
	var errs []string
	for _, result := range l.results {
		for _, d := range result.Diagnostics.Errors() {
			errs = append(errs, d.Summary()+": "+d.Detail())
		}
	}
	return errs
}

// runList calls l's List as the framework does for a query of r's type, with config (the
// list block's config attributes, nil for none), and collects every result it streams.
func runList(t *testing.T, l list.ListResource, r resource.Resource, config map[string]tftypes.Value, include bool, limit int64) listed {
	t.Helper()
	ctx := t.Context()
	var schemaResp list.ListResourceSchemaResponse
	l.ListResourceConfigSchema(ctx, list.ListResourceSchemaRequest{}, &schemaResp)
	configType, ok := schemaResp.Schema.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		t.Fatalf("the list config schema is a %T, not an object", schemaResp.Schema.Type().TerraformType(ctx))
	}
	values := map[string]tftypes.Value{}
	for name, typ := range configType.AttributeTypes {
		values[name] = tftypes.NewValue(typ, nil)
	}
	for name, value := range config {
		values[name] = value
	}
	var resourceSchema resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &resourceSchema)
	var identitySchema resource.IdentitySchemaResponse
	withIdentity, ok := r.(resource.ResourceWithIdentity)
	if !ok {
		t.Fatalf("%T has no identity, which a list resource needs", r)
	}
	withIdentity.IdentitySchema(ctx, resource.IdentitySchemaRequest{}, &identitySchema)

	req := list.ListRequest{
		Config:                 tfsdk.Config{Schema: schemaResp.Schema, Raw: tftypes.NewValue(configType, values)},
		IncludeResource:        include,
		Limit:                  limit,
		ResourceSchema:         resourceSchema.Schema,
		ResourceIdentitySchema: identitySchema.IdentitySchema,
	}
	var stream list.ListResultsStream
	l.List(ctx, req, &stream)
	var out listed
	for result := range stream.Results {
		out.names = append(out.names, result.DisplayName)
		out.results = append(out.results, result)
	}
	return out
}

func newFakeTags(t *testing.T, f *fakeWechat, names ...string) {
	t.Helper()
	for _, name := range names {
		if _, err := f.CreateTag(t.Context(), name); err != nil {
			t.Fatal(err)
		}
	}
}

func TestTagList(t *testing.T) {
	f := newFakeWechat()
	newFakeTags(t, f, "老客户", "campaign-a", "campaign-b")
	l := tagList(f)

	all := runList(t, l, NewTagResource(), nil, true, 0)
	if want := []string{"老客户 (id 100)", "campaign-a (id 101)", "campaign-b (id 102)"}; !slices.Equal(all.names, want) {
		t.Errorf("listed %q, want %q: the user tags by id, the starred system tag left out", all.names, want)
	}
	var tag tagModel
	if diags := all.results[1].Resource.Get(t.Context(), &tag); diags.HasError() || tag.ID.ValueInt64() != 101 || tag.Name.ValueString() != "campaign-a" {
		t.Errorf("the resource of campaign-a is %+v (%v), want id 101 and its name", tag, diags)
	}
	var identity tagIdentityModel
	if diags := all.results[2].Identity.Get(t.Context(), &identity); diags.HasError() || identity.ID.ValueInt64() != 102 {
		t.Errorf("the identity of campaign-b is %+v (%v), want id 102", identity, diags)
	}

	prefixed := runList(t, l, NewTagResource(), map[string]tftypes.Value{"name_prefix": tftypes.NewValue(tftypes.String, "campaign-")}, false, 1)
	if want := []string{"campaign-a (id 101)"}; !slices.Equal(prefixed.names, want) {
		t.Errorf("with name_prefix and limit 1, listed %q, want %q", prefixed.names, want)
	}
	if !prefixed.results[0].Resource.Raw.IsNull() {
		t.Errorf("without include_resource, the result holds a resource: %v", prefixed.results[0].Resource.Raw)
	}

	f.script("tags/get", refusal(-1))
	failed := runList(t, l, NewTagResource(), nil, true, 0)
	if len(failed.results) != 1 || len(failed.errors()) != 1 || failed.names[0] != "" {
		t.Fatalf("a failed tags/get streamed %q with errors %q, want one result that is only the error", failed.names, failed.errors())
	}
}

func TestUserTagsList_aFailedReadListsNoFollower(t *testing.T) {
	alice, bob := "oAliceAAAAAAAAAAAAAAAAAAAAAA", "oBobBBBBBBBBBBBBBBBBBBBBBBBB"
	f := newFakeWechat(alice, bob)
	newFakeTags(t, f, "VIP", "北方")
	f.give(alice, 100)
	f.give(bob, 100, 101)
	l := userTagsList(f)
	vip := map[string]tftypes.Value{"tag_id": tftypes.NewValue(tftypes.Number, 100)}

	ok := runList(t, l, NewUserTagsResource(), vip, true, 0)
	if want := []string{alice, bob}; !slices.Equal(ok.names, want) {
		t.Fatalf("listed %q, want %q", ok.names, want)
	}
	var bobsTags userTagsModel
	if diags := ok.results[1].Resource.Get(t.Context(), &bobsTags); diags.HasError() {
		t.Fatal(diags)
	}
	var diags diag.Diagnostics
	if got := tagIDsOf(t.Context(), bobsTags.TagIDs, &diags); !slices.Equal(got, []int64{100, 101}) || bobsTags.Exclusive.ValueBool() {
		t.Errorf("bob's resource holds tags %v, exclusive %v; want every tag he carries, [100 101], and exclusive false", got, bobsTags.Exclusive)
	}

	// The second follower's tags cannot be read: the first is not listed without them.
	f.script("tags/getidlist", fakeFault{}, refusal(-1))
	failed := runList(t, l, NewUserTagsResource(), vip, true, 0)
	if len(failed.results) != 1 || len(failed.errors()) != 1 {
		t.Fatalf("a failed getidlist streamed %q with errors %q, want only the error", failed.names, failed.errors())
	}

	missing := runList(t, l, NewUserTagsResource(), map[string]tftypes.Value{"tag_id": tftypes.NewValue(tftypes.Number, 999)}, false, 0)
	if errs := missing.errors(); len(missing.results) != 1 || len(errs) != 1 {
		t.Fatalf("a tag the account does not have streamed %q with errors %q, want one error", missing.names, errs)
	}
	expectDiagnostic(t, missing.results[0].Diagnostics, "Tag not found", "999")
	// A list block has none of the resource's attributes a path could name.
	if _, onAttribute := missing.results[0].Diagnostics[0].(diag.DiagnosticWithPath); onAttribute {
		t.Errorf("the error names an attribute: %v", missing.results[0].Diagnostics[0])
	}
}

func TestTagMembersList_aFailedReadListsNoTag(t *testing.T) {
	alice, bob := "oAliceAAAAAAAAAAAAAAAAAAAAAA", "oBobBBBBBBBBBBBBBBBBBBBBBBBB"
	f := newFakeWechat(alice, bob)
	newFakeTags(t, f, "VIP", "empty")
	f.give(bob, 100)
	f.give(alice, 100, wechat.TagStarred)
	l := tagMembersList(f)

	ok := runList(t, l, NewTagMembersResource(), nil, true, 0)
	if want := []string{"VIP (id 100)", "empty (id 101)"}; !slices.Equal(ok.names, want) {
		t.Fatalf("listed %q, want %q", ok.names, want)
	}
	var members tagMembersModel
	if diags := ok.results[0].Resource.Get(t.Context(), &members); diags.HasError() {
		t.Fatal(diags)
	}
	if got := openIDsOf(members.OpenIDs); !slices.Equal(got, []string{alice, bob}) || !members.OpenIDsFile.IsNull() || members.Exclusive.ValueBool() {
		t.Errorf("VIP's resource is %+v; want its followers sorted in openids, no openids_file, exclusive false", members)
	}
	if calls := f.callsOf("user/tag/get"); calls != 2 {
		t.Errorf("include_resource read the followers %d times, want once per tag (2)", calls)
	}

	withoutResources := runList(t, l, NewTagMembersResource(), nil, false, 0)
	if calls := f.callsOf("user/tag/get"); len(withoutResources.results) != 2 || calls != 2 {
		t.Errorf("without include_resource: %d results and %d reads of followers in all, want 2 and no more reads", len(withoutResources.results), calls)
	}

	f.script("user/tag/get", fakeFault{}, refusal(-1))
	failed := runList(t, l, NewTagMembersResource(), nil, true, 0)
	if len(failed.results) != 1 || len(failed.errors()) != 1 {
		t.Fatalf("a failed user/tag/get streamed %q with errors %q, want only the error", failed.names, failed.errors())
	}
}

// With openids_file_from, the followers of a tag that has that many go to the file an
// import of the tag adopts, and the result names it; a smaller tag keeps openids. A query
// run again leaves the files it wrote; one that lists other followers stops it.
func TestTagMembersList_writesBigTagsFollowersToFiles(t *testing.T) {
	t.Chdir(t.TempDir())
	followers := mockwechat.GenerateOpenIDs(3, 5)
	f := newFakeWechat(followers...)
	newFakeTags(t, f, "VIP", "small", "empty")
	f.give(followers[2], 100)
	f.give(followers[0], 100)
	f.give(followers[1], 101)
	l := tagMembersList(f)
	fromTwo := map[string]tftypes.Value{"openids_file_from": tftypes.NewValue(tftypes.Number, 2)}

	query := func() []tagMembersModel {
		t.Helper()
		out := runList(t, l, NewTagMembersResource(), fromTwo, true, 0)
		if errs := out.errors(); len(errs) > 0 {
			t.Fatalf("the query failed: %q", errs)
		}
		models := make([]tagMembersModel, len(out.results))
		for i, result := range out.results {
			if diags := result.Resource.Get(t.Context(), &models[i]); diags.HasError() {
				t.Fatal(diags)
			}
		}
		return models
	}
	vip := []string{followers[0], followers[2]}
	slices.Sort(vip)
	for run := 1; run <= 2; run++ {
		models := query()
		big, small := models[0], models[1]
		if big.OpenIDsFile.ValueString() != "openids/100.txt" || !big.OpenIDs.IsNull() ||
			big.OpenIDsSHA256.ValueString() != membersDigest(vip) || big.OpenIDsCount.ValueInt64() != 2 {
			t.Errorf("run %d: VIP's resource is %+v; want openids_file openids/100.txt, no openids, the digest and count of its 2 followers", run, big)
		}
		var diags diag.Diagnostics
		if listed := readOpenIDsFile("openids/100.txt", &diags); diags.HasError() || !slices.Equal(listed, vip) {
			t.Errorf("run %d: openids/100.txt lists %q (%v), want %q", run, listed, diags, vip)
		}
		if got := openIDsOf(small.OpenIDs); !slices.Equal(got, []string{followers[1]}) || !small.OpenIDsFile.IsNull() || !small.OpenIDsSHA256.IsNull() {
			t.Errorf("run %d: the tag of 1 follower is %+v; want it in openids, as without openids_file_from", run, small)
		}
	}
	if _, err := os.Stat("openids/101.txt"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the query wrote a file for the tag of 1 follower (%v)", err)
	}

	// Another follower took the tag since the file was written.
	f.give(followers[1], 100)
	out := runList(t, l, NewTagMembersResource(), fromTwo, true, 0)
	if len(out.results) != 1 || len(out.errors()) != 1 {
		t.Fatalf("a query over a file of other followers streamed %q with errors %q, want only the error", out.names, out.errors())
	}
	expectDiagnostic(t, out.results[0].Diagnostics, "File of followers already there", "openids/100.txt", "lists 2 followers, not the 3", "Remove openids/100.txt")
	var diags diag.Diagnostics
	if listed := readOpenIDsFile("openids/100.txt", &diags); !slices.Equal(listed, vip) {
		t.Errorf("the refused query changed openids/100.txt to %q", listed)
	}
}
