package provider

import (
	"cmp"
	"context"
	"math/big"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

var _ datasource.DataSourceWithConfigure = &TagsDataSource{}

// TagsDataSource is wechat_tags: every tag tags/get lists, system tag 2 included.
type TagsDataSource struct {
	client tagsAPI
}

func NewTagsDataSource() datasource.DataSource {
	return &TagsDataSource{}
}

type tagsDataSourceModel struct {
	Tags []tagDataSourceModel `tfsdk:"tags"`
}

// tagDataSourceModel is one tag as the data sources show it: an element of
// wechat_tags.tags, and the whole of wechat_tag. The id is a Number because wechat_tag's
// is typed by users: the framework refuses a fraction or a number beyond int64 in an
// Int64 before any validator can name the value and the fix.
type tagDataSourceModel struct {
	ID            types.Number `tfsdk:"id"`
	Name          types.String `tfsdk:"name"`
	FollowerCount types.Int64  `tfsdk:"follower_count"`
	System        types.Bool   `tfsdk:"system"`
}

func tagDataSourceValue(tag wechat.Tag) tagDataSourceModel {
	return tagDataSourceModel{
		ID:            types.NumberValue(new(big.Float).SetInt64(tag.ID)),
		Name:          types.StringValue(tag.Name),
		FollowerCount: types.Int64Value(int64(tag.Count)),
		System:        types.BoolValue(wechat.IsSystemTag(tag.ID)),
	}
}

// Descriptions shared by wechat_tags.tags and wechat_tag.
const (
	followerCountDescription = "How many followers carry the tag, as `tags/get` reports it (its `count`). " +
		"`data.wechat_tag_members` lists the followers themselves."
	systemDescription = "`true` for a tag WeChat itself defines, which cannot be renamed, deleted or imported as a `wechat_tag`. " +
		"`tags/get` lists one: 2 (星标组, starred); 0 (untagged) and 1 (blacklist) are never listed."
)

func (d *TagsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_tags"
}

func (d *TagsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Every tag of the WeChat Official Account, as `tags/get` lists them: the tags created on the account " +
			"and the system tag 2 (starred), marked `system = true`. Filter with `if !t.system` to keep only the tags a " +
			"`wechat_tag` can manage, such as for a bulk import.",
		Attributes: map[string]schema.Attribute{
			"tags": schema.ListNestedAttribute{
				MarkdownDescription: "The tags, sorted by id.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"id": schema.NumberAttribute{
							MarkdownDescription: "The id WeChat gave the tag: the import id of a `wechat_tag`, and what `wechat_user_tags.tag_ids` takes.",
							Computed:            true,
						},
						"name": schema.StringAttribute{
							MarkdownDescription: "Name of the tag, unique within the account.",
							Computed:            true,
						},
						"follower_count": schema.Int64Attribute{
							MarkdownDescription: followerCountDescription,
							Computed:            true,
						},
						"system": schema.BoolAttribute{
							MarkdownDescription: systemDescription,
							Computed:            true,
						},
					},
				},
			},
		},
	}
}

func (d *TagsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.client = clientFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *TagsDataSource) Read(ctx context.Context, _ datasource.ReadRequest, resp *datasource.ReadResponse) {
	// The snapshot every tag read of this provider process shares: a plan with
	// wechat_tag resources and tag data sources makes one tags/get.
	tags, err := d.client.CachedTags(ctx)
	if err != nil {
		report(&resp.Diagnostics, subject{failure: "Unable to read the account's tags", about: "tags/get"}, err)
		return
	}
	sorted := slices.SortedFunc(slices.Values(tags), func(a, b wechat.Tag) int { return cmp.Compare(a.ID, b.ID) })
	state := tagsDataSourceModel{Tags: make([]tagDataSourceModel, 0, len(sorted))}
	for _, tag := range sorted {
		state.Tags = append(state.Tags, tagDataSourceValue(tag))
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}
