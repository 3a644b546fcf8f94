package provider

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

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

var (
	_ list.ListResourceWithConfigure = &TagListResource{}
	_ list.ListResourceWithConfigure = &UserTagsListResource{}
	_ list.ListResourceWithConfigure = &TagMembersListResource{}
)

// listedObject is one result, ready to stream.
type listedObject struct {
	displayName string
	identity    any
	resource    any
}

// streamObjects sends objects, which the caller has cut to the request's limit, or else
// diags' error, as the results of req.
func streamObjects(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream, objects []listedObject, diags diag.Diagnostics) {
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

// withinLimit is how many of n results a request of limit (0 or less: no limit) takes.
func withinLimit(n int, limit int64) int {
	if limit > 0 && int64(n) > limit {
		return int(limit)
	}
	return n
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
	var user []wechat.Tag
	for _, tag := range tags {
		if !wechat.IsSystemTag(tag.ID) {
			user = append(user, tag)
		}
	}
	slices.SortFunc(user, func(a, b wechat.Tag) int { return int(a.ID - b.ID) })
	return user
}

func tagDisplayName(tag wechat.Tag) string { return fmt.Sprintf("%s (id %d)", tag.Name, tag.ID) }

// TagListResource lists the account's user tags, as wechat_tag resources.
type TagListResource struct {
	client tagsAPI
}

func NewTagListResource() list.ListResource { return &TagListResource{} }

type tagListConfig struct {
	NamePrefix types.String `tfsdk:"name_prefix"`
}

func (l *TagListResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_tag"
}

func (l *TagListResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = listschema.Schema{
		MarkdownDescription: "Every user tag of the account, as `wechat_tag` resources, in one `tags/get` call. " +
			"The system tags (0 untagged, 1 blacklist, 2 starred) are left out: `wechat_tag` cannot manage them. " +
			"Each result's display name is the tag's name and id, such as `老客户 (id 100)`.",
		Attributes: map[string]listschema.Attribute{
			"name_prefix": listschema.StringAttribute{
				MarkdownDescription: "Only the tags whose name starts with this prefix, such as `campaign-`. All the user tags when unset.",
				Optional:            true,
			},
		},
	}
}

func (l *TagListResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	l.client = clientFrom(req.ProviderData, &resp.Diagnostics)
}

func (l *TagListResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var config tagListConfig
	diags := req.Config.Get(ctx, &config)
	if diags.HasError() {
		streamObjects(ctx, req, stream, nil, diags)
		return
	}
	tags, err := l.client.CachedTags(ctx)
	if err != nil {
		report(&diags, subject{failure: "Unable to list the tags", about: "The account's tags"}, err)
		streamObjects(ctx, req, stream, nil, diags)
		return
	}
	var objects []listedObject
	for _, tag := range userTagsOf(tags) {
		if !strings.HasPrefix(tag.Name, config.NamePrefix.ValueString()) {
			continue
		}
		id := types.Int64Value(tag.ID)
		objects = append(objects, listedObject{
			displayName: tagDisplayName(tag),
			identity:    tagIdentityModel{ID: id},
			resource:    tagModel{ID: id, Name: types.StringValue(tag.Name)},
		})
	}
	streamObjects(ctx, req, stream, objects[:withinLimit(len(objects), req.Limit)], diags)
}

// UserTagsListResource lists the followers that carry a tag, as wechat_user_tags
// resources.
type UserTagsListResource struct {
	client membershipsAPI
}

func NewUserTagsListResource() list.ListResource { return &UserTagsListResource{} }

type userTagsListConfig struct {
	TagID types.Int64 `tfsdk:"tag_id"`
}

func (l *UserTagsListResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_user_tags"
}

func (l *UserTagsListResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = listschema.Schema{
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
	}
}

func (l *UserTagsListResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	l.client = clientFrom(req.ProviderData, &resp.Diagnostics)
}

func (l *UserTagsListResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var config userTagsListConfig
	diags := req.Config.Get(ctx, &config)
	if diags.HasError() {
		streamObjects(ctx, req, stream, nil, diags)
		return
	}
	tagID := config.TagID.ValueInt64()
	openids, err := tagFollowers{l.client, tagID}.Members(ctx)
	if err != nil {
		report(&diags, tagSubject("Unable to list the tag's followers", tagID, ""), err)
		streamObjects(ctx, req, stream, nil, diags)
		return
	}
	openids = openids[:withinLimit(len(openids), req.Limit)]
	objects := make([]listedObject, 0, len(openids))
	for _, openid := range openids {
		object := listedObject{displayName: openid, identity: followerIdentityModel{OpenID: types.StringValue(openid)}}
		if req.IncludeResource {
			held, err := followerTags{l.client, openid}.Members(ctx)
			if err != nil {
				report(&diags, followerSubject(openid), err)
				break
			}
			object.resource = userTagsModel{
				ID:        types.StringValue(openid),
				OpenID:    types.StringValue(openid),
				TagIDs:    tagIDSet(membership.Observed(nil, held, true), &diags),
				Exclusive: types.BoolValue(false),
			}
		}
		objects = append(objects, object)
	}
	streamObjects(ctx, req, stream, objects, diags)
}

// TagMembersListResource lists the account's user tags, as wechat_tag_members resources.
type TagMembersListResource struct {
	client membershipsAPI
}

func NewTagMembersListResource() list.ListResource { return &TagMembersListResource{} }

func (l *TagMembersListResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_tag_members"
}

func (l *TagMembersListResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = listschema.Schema{
		MarkdownDescription: "One result per user tag of the account, as `wechat_tag_members` resources, in one `tags/get` call. " +
			"With `include_resource = true`, each result also holds all the tag's current followers in `openids`, as an import would: " +
			"that reads every listed tag's followers, one `user/tag/get` call per 10,000 followers and one more per tag, " +
			"and the generated configuration lists every openid.",
	}
}

func (l *TagMembersListResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	l.client = clientFrom(req.ProviderData, &resp.Diagnostics)
}

func (l *TagMembersListResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var diags diag.Diagnostics
	tags, err := l.client.KnownTags(ctx)
	if err != nil {
		report(&diags, subject{failure: "Unable to list the tags", about: "The account's tags"}, err)
		streamObjects(ctx, req, stream, nil, diags)
		return
	}
	tags = userTagsOf(tags)
	tags = tags[:withinLimit(len(tags), req.Limit)]
	objects := make([]listedObject, 0, len(tags))
	for _, tag := range tags {
		object := listedObject{displayName: tagDisplayName(tag), identity: tagMembersIdentityModel{TagID: types.Int64Value(tag.ID)}}
		if req.IncludeResource {
			openids, err := tagFollowers{l.client, tag.ID}.Members(ctx)
			if err != nil {
				report(&diags, tagSubject("Unable to list the tag's followers", tag.ID, tag.Name), err)
				break
			}
			model := tagMembersModel{
				ID:          types.StringValue(strconv.FormatInt(tag.ID, 10)),
				TagID:       types.NumberValue(new(big.Float).SetInt64(tag.ID)),
				OpenIDsFile: types.StringNull(),
				Exclusive:   types.BoolValue(false),
			}
			model.OpenIDs = openIDList(membership.Observed(nil, openids, true), &diags)
			model.OpenIDsSHA256, model.OpenIDsCount = types.StringNull(), types.Int64Null()
			object.resource = model
		}
		objects = append(objects, object)
	}
	streamObjects(ctx, req, stream, objects, diags)
}
