package provider

import (
	"context"
	"fmt"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var _ datasource.DataSourceWithConfigure = &TagMembersDataSource{}

// TagMembersDataSource is wechat_tag_members: the followers that carry one tag.
type TagMembersDataSource struct {
	client membershipsAPI
}

func NewTagMembersDataSource() datasource.DataSource {
	return &TagMembersDataSource{}
}

type tagMembersDataSourceModel struct {
	TagID         types.Number `tfsdk:"tag_id"`
	OpenIDs       []string     `tfsdk:"openids"`
	FollowerCount types.Int64  `tfsdk:"follower_count"`
}

func (d *TagMembersDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_tag_members"
}

func (d *TagMembersDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The followers that carry one tag, read from `user/tag/get` page after page to the end. " +
			"Each page, of up to 10,000 openids, is one API call, made on every plan that reads the data source.",
		Attributes: map[string]schema.Attribute{
			"tag_id": schema.NumberAttribute{
				MarkdownDescription: "The id of the tag, such as `wechat_tag.vip.id` or `data.wechat_tag.vip.id`; 2 for the starred followers. " +
					"The system tags 0 (untagged) and 1 (blacklist) are refused at plan time.",
				Required:   true,
				Validators: []validator.Number{wholeTagIDValidator{use: listTagFollowers}},
			},
			"openids": schema.ListAttribute{
				MarkdownDescription: "The openid of every follower that carries the tag, sorted, so that the order never changes " +
					"between plans; an empty list when no follower carries it. Use `toset(...)` where a set is needed, such as in `for_each`.",
				ElementType: types.StringType,
				Computed:    true,
			},
			"follower_count": schema.Int64Attribute{
				MarkdownDescription: "How many followers carry the tag: the length of `openids`.",
				Computed:            true,
			},
		},
	}
}

func (d *TagMembersDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.client = clientFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *TagMembersDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var config tagMembersDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	tagID := tagIDOf(config.TagID)
	openids, err := d.client.TagMembers(ctx, tagID)
	if err != nil {
		report(&resp.Diagnostics, subject{
			failure: "Unable to read the followers of the tag", about: fmt.Sprintf("Reading the followers of tag %d failed", tagID),
			tagID: tagID, where: attributes{tag: path.Root("tag_id")},
		}, err)
		return
	}
	// WeChat returns followers in its own order, which may change between reads; a
	// sorted list keeps plans stable. Compact guards against a follower repeated across
	// two pages.
	slices.Sort(openids)
	openids = slices.Compact(openids)
	state := tagMembersDataSourceModel{
		TagID:         config.TagID,
		OpenIDs:       append([]string{}, openids...),
		FollowerCount: types.Int64Value(int64(len(openids))),
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}
