package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

var (
	_ datasource.DataSourceWithConfigure        = &TagDataSource{}
	_ datasource.DataSourceWithConfigValidators = &TagDataSource{}
)

// TagDataSource is wechat_tag: one tag of the account, looked up by id or by name.
type TagDataSource struct {
	client tagsAPI
}

func NewTagDataSource() datasource.DataSource {
	return &TagDataSource{}
}

func (d *TagDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_tag"
}

func (d *TagDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "One tag of the WeChat Official Account, looked up by `id` or by `name` (exactly one of them) " +
			"among the tags `tags/get` lists. A tag that does not exist is an error, naming what was looked up.",
		Attributes: map[string]schema.Attribute{
			"id": schema.NumberAttribute{
				MarkdownDescription: "The id of the tag to look up, or, when looking up by `name`, the id WeChat gave the tag. " +
					"System tags 0 (untagged) and 1 (blacklist) are never listed by WeChat, so they are refused at plan time; " +
					"2 (starred) is found.",
				Optional:   true,
				Computed:   true,
				Validators: []validator.Number{wholeTagIDValidator{use: lookUpTag}},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "The name of the tag to look up, matched exactly; or, when looking up by `id`, the tag's name.",
				Optional:            true,
				Computed:            true,
				Validators:          []validator.String{validTagName},
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
	}
}

func (d *TagDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{
		datasourcevalidator.ExactlyOneOf(path.MatchRoot("id"), path.MatchRoot("name")),
	}
}

func (d *TagDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.client = clientFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *TagDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var config tagDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	tags, err := d.client.CachedTags(ctx)
	if err != nil {
		report(&resp.Diagnostics, subject{failure: "Unable to read the account's tags", about: "tags/get"}, err)
		return
	}
	s := subject{tagID: tagIDOf(config.ID), tagName: config.Name.ValueString(), where: attributes{tag: path.Root("id"), name: path.Root("name")}}
	match, missing := func(t wechat.Tag) bool { return t.ID == s.tagID }, tagNotFound.diagnostic(s, nil, nil)
	if config.ID.IsNull() {
		match, missing = func(t wechat.Tag) bool { return t.Name == s.tagName }, tagNameNotFound.diagnostic(s, none{}, nil)
	}
	tag, found := tagWhere(tags, match)
	if !found {
		resp.Diagnostics.Append(missing)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, tagDataSourceValue(tag))...)
}
