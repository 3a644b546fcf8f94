package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	listschema "github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/wechat-tf/terraform-provider-wechat/internal/membership"
	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

// List resources (Terraform 1.14 and later) find the objects of an account that
// `terraform query` adopts: each result carries the identity an import block needs and,
// with include_resource, the resource as an import of that identity would read it.
//
// Every List reads all it reports before it reports any of it, so that a failed read ends
// the query with an error and never with a partial list that looks complete.

var _ list.ListResourceWithConfigure = &listResource[tagListConfig]{}

// listResource is one list resource: the resource type it lists, the schema of its list
// block's config, of model C, and find, which reads the objects a request of that config
// lists, cut to the request's limit. find reports a failed read in diags, and what it
// returns then is not streamed.
type listResource[C any] struct {
	typeName string
	schema   listschema.Schema
	find     func(ctx context.Context, client wechatAPI, config C, req list.ListRequest, diags *diag.Diagnostics) []listedObject
	client   wechatAPI
}

func (l *listResource[C]) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + l.typeName
}

func (l *listResource[C]) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = l.schema
}

func (l *listResource[C]) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	l.client = clientFrom(req.ProviderData, &resp.Diagnostics)
}

func (l *listResource[C]) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var config C
	diags := req.Config.Get(ctx, &config)
	var objects []listedObject
	if !diags.HasError() {
		objects = l.find(ctx, l.client, config, req, &diags)
	}
	if diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(withoutAttributePaths(diags))
		return
	}
	stream.Results = func(push func(list.ListResult) bool) {
		for _, object := range objects {
			result := req.NewListResult(ctx)
			result.DisplayName = object.displayName
			result.Diagnostics.Append(result.Identity.Set(ctx, object.identity)...)
			if req.IncludeResource {
				result.Diagnostics.Append(result.Resource.Set(ctx, object.resource)...)
			}
			if !push(result) {
				return
			}
		}
	}
}

// listedObject is one result, ready to stream.
type listedObject struct {
	displayName string
	identity    any
	resource    any
}

// withinLimit is the first of items that a request of limit (0 or less: no limit) takes.
func withinLimit[T any](items []T, limit int64) []T {
	if limit > 0 && int64(len(items)) > limit {
		return items[:limit]
	}
	return items
}

// withoutAttributePaths keeps the summaries and details of diags: their attribute paths
// name a resource's attributes, which a list block does not have.
func withoutAttributePaths(diags diag.Diagnostics) diag.Diagnostics {
	var out diag.Diagnostics
	for _, d := range diags {
		if d.Severity() == diag.SeverityError {
			out.AddError(d.Summary(), d.Detail())
		} else {
			out.AddWarning(d.Summary(), d.Detail())
		}
	}
	return out
}

// userTagsOf is the account's tags that a configuration can manage, by id: the system
// tags left out.
func userTagsOf(tags []wechat.Tag) []wechat.Tag {
	user := slices.DeleteFunc(slices.Clone(tags), func(tag wechat.Tag) bool { return wechat.IsSystemTag(tag.ID) })
	slices.SortFunc(user, func(a, b wechat.Tag) int { return int(a.ID - b.ID) })
	return user
}

func tagDisplayName(tag wechat.Tag) string { return fmt.Sprintf("%s (id %d)", tag.Name, tag.ID) }

var listTagsFailed = subject{failure: "Unable to list the tags", about: "The account's tags"}

// wechat_tag: the account's user tags.

func NewTagListResource() list.ListResource { return tagList(nil) }

type tagListConfig struct {
	NamePrefix types.String `tfsdk:"name_prefix"`
}

func tagList(client wechatAPI) *listResource[tagListConfig] {
	return &listResource[tagListConfig]{typeName: "_tag", client: client, find: findTags, schema: listschema.Schema{
		MarkdownDescription: "Every user tag of the account, as `wechat_tag` resources, in one `tags/get` call. " +
			"The system tags (0 untagged, 1 blacklist, 2 starred) are left out: `wechat_tag` cannot manage them. " +
			"Each result's display name is the tag's name and id, such as `老客户 (id 100)`.",
		Attributes: map[string]listschema.Attribute{
			"name_prefix": listschema.StringAttribute{
				MarkdownDescription: "Only the tags whose name starts with this prefix, such as `campaign-`. All the user tags when unset.",
				Optional:            true,
			},
		},
	}}
}

func findTags(ctx context.Context, client wechatAPI, config tagListConfig, req list.ListRequest, diags *diag.Diagnostics) []listedObject {
	tags, err := client.CachedTags(ctx)
	if err != nil {
		report(diags, listTagsFailed, err)
		return nil
	}
	var objects []listedObject
	for _, tag := range userTagsOf(tags) {
		if strings.HasPrefix(tag.Name, config.NamePrefix.ValueString()) {
			id := types.Int64Value(tag.ID)
			objects = append(objects, listedObject{tagDisplayName(tag), tagIdentityModel{ID: id}, tagModel{ID: id, Name: types.StringValue(tag.Name)}})
		}
	}
	return withinLimit(objects, req.Limit)
}

// wechat_user_tags: the followers that carry a tag.

func NewUserTagsListResource() list.ListResource { return userTagsList(nil) }

type userTagsListConfig struct {
	TagID types.Int64 `tfsdk:"tag_id"`
}

func userTagsList(client wechatAPI) *listResource[userTagsListConfig] {
	return &listResource[userTagsListConfig]{typeName: "_user_tags", client: client, find: findTaggedFollowers, schema: listschema.Schema{
		MarkdownDescription: "The followers that carry a tag, as `wechat_user_tags` resources, each named by its openid. " +
			"Finding them reads the tag's followers, `user/tag/get`, one call per 10,000 and one more; " +
			"with `include_resource = true`, each result also holds all the follower's current tags, as an import would, " +
			"which costs one `tags/getidlist` call per result.",
		Attributes: map[string]listschema.Attribute{
			"tag_id": listschema.Int64Attribute{
				MarkdownDescription: "The id of the tag whose followers to list, such as `wechat_tag.vip.id`, or 2 for the starred tag.",
				Required:            true,
				Validators:          []validator.Int64{systemTagIDValidator{use: listTagFollowers}},
			},
		},
	}}
}

func findTaggedFollowers(ctx context.Context, client wechatAPI, config userTagsListConfig, req list.ListRequest, diags *diag.Diagnostics) []listedObject {
	tagID := config.TagID.ValueInt64()
	openids, err := tagFollowers{client, tagID}.Members(ctx)
	if err != nil {
		report(diags, tagSubject("Unable to list the tag's followers", tagID, ""), err)
		return nil
	}
	openids = withinLimit(openids, req.Limit)
	objects := make([]listedObject, 0, len(openids))
	for _, openid := range openids {
		object := listedObject{displayName: openid, identity: followerIdentityModel{OpenID: types.StringValue(openid)}}
		if req.IncludeResource {
			held, err := followerTags{client, openid}.Members(ctx)
			if err != nil {
				report(diags, followerSubject(openid), err)
				return nil
			}
			object.resource = userTagsModel{
				ID:        types.StringValue(openid),
				OpenID:    types.StringValue(openid),
				TagIDs:    tagIDSet(membership.Observed(nil, held, true), diags),
				Exclusive: types.BoolValue(false),
			}
		}
		objects = append(objects, object)
	}
	return objects
}

// wechat_tag_members: one result per user tag.

func NewTagMembersListResource() list.ListResource { return tagMembersList(nil) }

type tagMembersListConfig struct {
	OpenIDsFileFrom types.Int64 `tfsdk:"openids_file_from"`
}

func tagMembersList(client wechatAPI) *listResource[tagMembersListConfig] {
	return &listResource[tagMembersListConfig]{typeName: "_tag_members", client: client, find: findTagMembers, schema: listschema.Schema{
		MarkdownDescription: "One result per user tag of the account, as `wechat_tag_members` resources, in one `tags/get` call. " +
			"With `include_resource = true`, each result also holds all the tag's current followers, as an import would read them: " +
			"that reads every listed tag's followers, one `user/tag/get` call per 10,000 followers and one more per tag. " +
			"They are in `openids`, and the generated configuration lists every openid, unless the tag has at least " +
			"`openids_file_from` followers: then the query writes them to `openids/<tag id>.txt` and the result names that file " +
			"in `openids_file`, which an import of the tag adopts, so that the plan of the generated import stays fast at 100,000.",
		Attributes: map[string]listschema.Attribute{
			"openids_file_from": listschema.Int64Attribute{
				MarkdownDescription: "With `include_resource = true`: the number of followers from which a tag's followers go to a file, " +
					"such as `1000`, rather than into `openids`, as Terraform's plan of a list of more than about 10,000 openids is slow. " +
					"The query writes them, one openid a line, to `openids/<tag id>.txt`, relative to the directory it runs in, " +
					"which the result names in `openids_file`; an import of the tag adopts its followers into that file whenever it exists. " +
					"A file that is there already is left as it is if it lists the same followers, as when the query runs again, " +
					"and fails the query otherwise. 0 for every tag; unset, no files: `openids` for every tag.",
				Optional:   true,
				Validators: []validator.Int64{int64validator.AtLeast(0)},
			},
		},
	}}
}

func findTagMembers(ctx context.Context, client wechatAPI, config tagMembersListConfig, req list.ListRequest, diags *diag.Diagnostics) []listedObject {
	tags, err := client.KnownTags(ctx)
	if err != nil {
		report(diags, listTagsFailed, err)
		return nil
	}
	tags = withinLimit(userTagsOf(tags), req.Limit)
	objects := make([]listedObject, 0, len(tags))
	for _, tag := range tags {
		object := listedObject{displayName: tagDisplayName(tag), identity: tagMembersIdentityModel{TagID: types.Int64Value(tag.ID)}}
		if req.IncludeResource {
			openids, err := tagFollowers{client, tag.ID}.Members(ctx)
			if err != nil {
				report(diags, tagSubject("Unable to list the tag's followers", tag.ID, tag.Name), err)
				return nil
			}
			// As the import of the result reads it: ImportState, then Read.
			model, adopted := importedTagMembers(tag.ID), membership.Observed(nil, openids, true)
			if from := config.OpenIDsFileFrom; !from.IsNull() && int64(len(adopted)) >= from.ValueInt64() {
				if model.OpenIDsFile = types.StringValue(writeAdoptedOpenIDsFile(tag, adopted, diags)); diags.HasError() {
					return nil
				}
			}
			recordMembers(ctx, &model, adopted, records{}, diags)
			object.resource = model
		}
		objects = append(objects, object)
	}
	return objects
}
