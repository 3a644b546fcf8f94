package provider

import (
	"context"
	"fmt"

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
	client *wechat.Client
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
			"id": schema.Int64Attribute{
				MarkdownDescription: "The id of the tag to look up, or, when looking up by `name`, the id WeChat gave the tag. " +
					"System tags 0 (untagged) and 1 (blacklist) are never listed by WeChat, so they are refused at plan time; " +
					"2 (starred) is found.",
				Optional:   true,
				Computed:   true,
				Validators: []validator.Int64{assignableTagIDValidator{}},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "The name of the tag to look up, matched exactly; or, when looking up by `id`, the tag's name.",
				Optional:            true,
				Computed:            true,
				Validators:          []validator.String{tagNameValidator{}},
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
		resp.Diagnostics.AddError("Unable to read the account's tags", err.Error())
		return
	}
	var (
		tag   wechat.Tag
		found bool
	)
	if !config.ID.IsNull() {
		id := config.ID.ValueInt64()
		if tag, found = tagWhere(tags, func(t wechat.Tag) bool { return t.ID == id }); !found {
			resp.Diagnostics.AddAttributeError(path.Root("id"), "Tag not found",
				fmt.Sprintf("The account has no tag with id %d: it may have been deleted outside Terraform. "+
					"Look the tag up by name, or list every tag with data.wechat_tags.", id))
			return
		}
	} else {
		name := config.Name.ValueString()
		if tag, found = tagWhere(tags, func(t wechat.Tag) bool { return t.Name == name }); !found {
			resp.Diagnostics.AddAttributeError(path.Root("name"), "Tag not found",
				fmt.Sprintf("The account has no tag named %q. Names are matched exactly, character for character; "+
					"the tag may have been renamed or deleted outside Terraform. List every tag with data.wechat_tags.", name))
			return
		}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, tagDataSourceValue(tag))...)
}
