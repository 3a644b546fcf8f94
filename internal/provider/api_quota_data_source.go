package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

var _ datasource.DataSourceWithConfigure = &APIQuotaDataSource{}

// APIQuotaDataSource is wechat_api_quota: the account's daily quota of one API.
type APIQuotaDataSource struct {
	client quotaAPI
}

func NewAPIQuotaDataSource() datasource.DataSource {
	return &APIQuotaDataSource{}
}

type apiQuotaModel struct {
	CGIPath            types.String `tfsdk:"cgi_path"`
	DailyLimit         types.Int64  `tfsdk:"daily_limit"`
	Used               types.Int64  `tfsdk:"used"`
	Remain             types.Int64  `tfsdk:"remain"`
	RateLimit          types.Object `tfsdk:"rate_limit"`
	ComponentRateLimit types.Object `tfsdk:"component_rate_limit"`
}

var rateLimitType = map[string]attr.Type{"call_count": types.Int64Type, "refresh_seconds": types.Int64Type}

func (d *APIQuotaDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_api_quota"
}

func (d *APIQuotaDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	rateLimit := func(whose string) schema.SingleNestedAttribute {
		return schema.SingleNestedAttribute{
			MarkdownDescription: "The rate limit of " + whose + ", where WeChat reports one; null otherwise.",
			Computed:            true,
			Attributes: map[string]schema.Attribute{
				"call_count":      schema.Int64Attribute{MarkdownDescription: "Calls allowed in each window.", Computed: true},
				"refresh_seconds": schema.Int64Attribute{MarkdownDescription: "The window, in seconds.", Computed: true},
			},
		}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "The account's daily quota of one API, from WeChat's `getApiQuota` (`/cgi-bin/openapi/quota/get`), " +
			"one call each time the data source is read. WeChat publishes no quota for the tag APIs: each account has its own, " +
			"shown in the console's API permissions page (接口权限) and here. The day is China Standard Time's: quotas reset at midnight UTC+8.",
		Attributes: map[string]schema.Attribute{
			"cgi_path": schema.StringAttribute{
				MarkdownDescription: "The path of the API, as in its URL without host or query, such as `/cgi-bin/tags/getidlist` " +
					"(one call per `wechat_user_tags` in each plan), `/cgi-bin/user/tag/get` or `/cgi-bin/tags/get`. " +
					"A path not starting with `/` fails the plan; one WeChat does not know fails the read.",
				Required:   true,
				Validators: []validator.String{validCGIPath},
			},
			"daily_limit":          schema.Int64Attribute{MarkdownDescription: "Calls of the API the account may make each day.", Computed: true},
			"used":                 schema.Int64Attribute{MarkdownDescription: "Calls made today, by every client of the account (its own servers too).", Computed: true},
			"remain":               schema.Int64Attribute{MarkdownDescription: "Calls left today. Past it, WeChat refuses the API with errcode 45009 until midnight China Standard Time.", Computed: true},
			"rate_limit":           rateLimit("the account's own calls"),
			"component_rate_limit": rateLimit("a third-party platform's calls on the account's behalf"),
		},
	}
}

func (d *APIQuotaDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.client = clientFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *APIQuotaDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var config apiQuotaModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	cgiPath := config.CGIPath.ValueString()
	quota, err := d.client.APIQuota(ctx, cgiPath)
	if err != nil {
		report(&resp.Diagnostics, subject{
			failure: "Unable to read the API quota", about: fmt.Sprintf("Reading the daily quota of %s failed", cgiPath),
			cgiPath: cgiPath, where: attributes{cgiPath: path.Root("cgi_path")},
		}, err)
		return
	}
	state := apiQuotaModel{
		CGIPath:            config.CGIPath,
		DailyLimit:         types.Int64Value(quota.DailyLimit),
		Used:               types.Int64Value(quota.Used),
		Remain:             types.Int64Value(quota.Remain),
		RateLimit:          rateLimitObject(quota.RateLimit, &resp.Diagnostics),
		ComponentRateLimit: rateLimitObject(quota.ComponentRateLimit, &resp.Diagnostics),
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

func rateLimitObject(limit *wechat.RateLimit, diags *diag.Diagnostics) types.Object {
	if limit == nil {
		return types.ObjectNull(rateLimitType)
	}
	object, d := types.ObjectValue(rateLimitType, map[string]attr.Value{
		"call_count":      types.Int64Value(limit.CallCount),
		"refresh_seconds": types.Int64Value(limit.RefreshSeconds),
	})
	diags.Append(d...)
	return object
}
