// Package provider is the Terraform provider "wechat". It is thin: resources turn plans
// and state into calls of the wechat client, and its errors into diagnostics that name the
// attribute and the fix.
package provider

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

// Environment variables read when the matching provider attribute is not set.
const (
	EnvAppID           = "WECHAT_APP_ID"
	EnvAppSecret       = "WECHAT_APP_SECRET"
	EnvAccessToken     = "WECHAT_ACCESS_TOKEN"
	EnvBaseURL         = "WECHAT_BASE_URL"
	EnvTokenEndpoint   = "WECHAT_TOKEN_ENDPOINT"
	EnvMaxRetries      = "WECHAT_MAX_RETRIES"
	EnvRequestTimeout  = "WECHAT_REQUEST_TIMEOUT"
	EnvMembershipReads = "WECHAT_MEMBERSHIP_READS"
)

// Defaults of the provider's tuning attributes.
const (
	defaultRequestTimeout = 30 * time.Second
	maxMaxRetries         = 20
)

var (
	_ provider.Provider                       = &WechatProvider{}
	_ provider.ProviderWithListResources      = &WechatProvider{}
	_ provider.ProviderWithEphemeralResources = &WechatProvider{}
	_ provider.ProviderWithActions            = &WechatProvider{}
)

// WechatProvider is the provider "wechat".
type WechatProvider struct {
	version string
}

// New returns a constructor of the provider, as providerserver.Serve expects.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &WechatProvider{version: version}
	}
}

type providerModel struct {
	AppID           types.String `tfsdk:"app_id"`
	AppSecret       types.String `tfsdk:"app_secret"`
	AccessToken     types.String `tfsdk:"access_token"`
	BaseURL         types.String `tfsdk:"base_url"`
	TokenEndpoint   types.String `tfsdk:"token_endpoint"`
	MaxRetries      types.Int64  `tfsdk:"max_retries"`
	RequestTimeout  types.String `tfsdk:"request_timeout"`
	MembershipReads types.String `tfsdk:"membership_reads"`
}

func (p *WechatProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "wechat"
	resp.Version = p.version
}

func (p *WechatProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Manages the user tags of a WeChat Official Account. " +
			"Authenticate with `app_id` and `app_secret`, or with an `access_token` obtained elsewhere, which `app_id` may accompany to name its account.",
		Attributes: map[string]schema.Attribute{
			"app_id": schema.StringAttribute{
				MarkdownDescription: "AppID of the Official Account, such as `wx1234567890abcdef`. " +
					"Used with `app_secret` to obtain access tokens from `/cgi-bin/stable_token`. " +
					"Beside `access_token` it authenticates nothing: it names the account the token belongs to, so that the account guard " +
					"can refuse to touch resources created under another account (see the troubleshooting guide). " +
					"Defaults to the `" + EnvAppID + "` environment variable.",
				Optional: true,
			},
			"app_secret": schema.StringAttribute{
				MarkdownDescription: "AppSecret of the Official Account. " +
					"Defaults to the `" + EnvAppSecret + "` environment variable; prefer the variable to keep the secret out of configuration files.",
				Optional:  true,
				Sensitive: true,
			},
			"access_token": schema.StringAttribute{
				MarkdownDescription: "An access token obtained elsewhere, such as a third-party platform's `authorizer_access_token`. " +
					"It is used as it is and never refreshed; when it expires, give the provider a new one. " +
					"Conflicts with `app_secret`; set here, it wins over `" + EnvAppID + "` and `" + EnvAppSecret + "` in the environment. " +
					"Set `app_id` beside it to name the token's account; without it the provider cannot tell which account the token is for: " +
					"resources recorded under an account are then refused, before any call, and the resources it creates record none. " +
					"Defaults to the `" + EnvAccessToken + "` environment variable.",
				Optional:  true,
				Sensitive: true,
			},
			"base_url": schema.StringAttribute{
				MarkdownDescription: "Base URL of the WeChat API. Defaults to the `" + EnvBaseURL + "` environment variable, then to `" + wechat.DefaultBaseURL + "`. " +
					"It must use `https`, except on a loopback address (such as the mock server the tests use).",
				Optional: true,
			},
			"token_endpoint": schema.StringAttribute{
				MarkdownDescription: "Where the provider obtains access tokens with `app_id` and `app_secret`: `stable_token` (the default) or `token`. " +
					"Use `token` only where `/cgi-bin/stable_token` is unavailable: every `/cgi-bin/token` call invalidates the token the account's own servers hold " +
					"(after about five minutes), and the account may call it only 2,000 times a day. Defaults to the `" + EnvTokenEndpoint + "` environment variable.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.OneOf(string(wechat.StableTokenEndpoint), string(wechat.LegacyTokenEndpoint))},
			},
			"max_retries": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("How many times a call that failed for a passing reason (the service busy or rate limited, "+
					"a gateway error, a broken connection) is retried, with exponential backoff, before the provider gives up. "+
					"0 to %d; defaults to the `%s` environment variable, then to %d.", maxMaxRetries, EnvMaxRetries, wechat.DefaultRetryPolicy().MaxRetries),
				Optional:   true,
				Validators: []validator.Int64{int64validator.Between(0, maxMaxRetries)},
			},
			"request_timeout": schema.StringAttribute{
				MarkdownDescription: "How long one HTTP request to WeChat may take, as a Go duration such as `30s` or `1m`. " +
					"A request that times out is retried like other passing failures. Defaults to the `" + EnvRequestTimeout + "` environment variable, then to `30s`.",
				Optional:   true,
				Validators: []validator.String{validDuration},
			},
			"membership_reads": schema.StringAttribute{
				MarkdownDescription: "How the provider reads the tags of each follower a `wechat_user_tags` refresh, plan check or apply needs. " +
					"`per_follower`: one `tags/getidlist` call per follower, the cheapest for a few followers. " +
					"`per_tag`: at the first such read, one snapshot of every tag's followers (`user/tag/get`, a call per 10,000 followers of each tag " +
					"and one more per tag), which then answers every follower: about 40 calls for an account of 20 tags and 2,000 tagged followers, " +
					"where `per_follower` makes 2,000; but over 100 calls and about 100 MB of memory for an account with a 1,000,000-follower tag. " +
					"`auto` (the default): per follower until the calls made reach what the snapshot costs, priced from the follower counts of `tags/get`, " +
					"then the snapshot; a command then costs at most about twice the cheaper way. " +
					"Defaults to the `" + EnvMembershipReads + "` environment variable, then to `auto`. See the performance guide.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.OneOf(membershipReadsChoices()...)},
			},
		},
	}
}

func membershipReadsChoices() []string {
	choices := make([]string, len(wechat.MembershipReadsChoices))
	for i, c := range wechat.MembershipReadsChoices {
		choices[i] = string(c)
	}
	return choices
}

func (p *WechatProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var config providerModel
	if !get(ctx, req.Config, &config, &resp.Diagnostics) {
		return
	}
	s, diags := readSettings(config)
	resp.Diagnostics.Append(diags...)
	if diags.HasError() {
		return
	}
	s.preferBlockCredentials()
	retry, timeout, diags := s.checkTuning()
	resp.Diagnostics.Append(diags...)
	baseURL := s.checkBaseURL(&resp.Diagnostics)
	resp.Diagnostics.Append(s.checkCredentials()...)
	if resp.Diagnostics.HasError() {
		return
	}
	cfg := wechat.Config{
		BaseURL:         baseURL,
		HTTPClient:      &http.Client{Timeout: timeout, Transport: userAgentTransport{"terraform-provider-wechat/" + p.version}},
		Observer:        callLogger(s.appSecret.value, s.accessToken.value),
		Retry:           retry,
		AppID:           s.appID.value,
		MembershipReads: wechat.MembershipReads(s.membershipReads.value),
		Log:             decisionLogger,
	}
	tokens := s.tokenSource(ctx, cfg, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	client, err := wechat.NewClient(cfg, tokens)
	if err != nil {
		resp.Diagnostics.AddError("Unable to create the WeChat client", err.Error())
		return
	}
	data := &providerData{client: client, tags: &tagTally{quiet: tallyQuiet}}
	resp.ResourceData = data
	resp.DataSourceData = data
	resp.ListResourceData = data
	resp.EphemeralResourceData = data
	resp.ActionData = data
}

func (p *WechatProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewTagResource,
		NewUserTagsResource,
		NewTagMembersResource,
	}
}

func (p *WechatProvider) Actions(context.Context) []func() action.Action {
	return []func() action.Action{
		NewTagFollowersAddAction,
		NewTagFollowersRemoveAction,
	}
}

func (p *WechatProvider) EphemeralResources(context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{NewAccessTokenEphemeralResource}
}

func (p *WechatProvider) ListResources(context.Context) []func() list.ListResource {
	return []func() list.ListResource{
		NewTagListResource,
		NewUserTagsListResource,
		NewTagMembersListResource,
	}
}

func (p *WechatProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewTagsDataSource,
		NewTagDataSource,
		NewTagMembersDataSource,
		NewAPIQuotaDataSource,
	}
}

// userAgentTransport names the provider and its version in every request.
type userAgentTransport struct{ userAgent string }

func (t userAgentTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("User-Agent", t.userAgent)
	return http.DefaultTransport.RoundTrip(req)
}

// callLogger writes one structured line per WeChat API call, under the "wechat" subsystem,
// whose level TF_LOG_PROVIDER_WECHAT_API sets apart from the provider's. CallInfo carries neither the token nor the
// secret; masking the credentials the provider was given is a second guard, should an
// error message ever quote one.
func callLogger(credentials ...string) wechat.Observer {
	credentials = slices.DeleteFunc(slices.Clone(credentials), func(c string) bool { return c == "" })
	return func(ctx context.Context, call wechat.CallInfo) {
		ctx = tflog.NewSubsystem(ctx, logSubsystem, tflog.WithLevelFromEnv(EnvLogLevelAPI))
		if len(credentials) > 0 {
			ctx = tflog.SubsystemMaskMessageStrings(ctx, logSubsystem, credentials...)
			ctx = tflog.SubsystemMaskAllFieldValuesStrings(ctx, logSubsystem, credentials...)
		}
		fields := map[string]any{
			"endpoint":    call.Endpoint,
			"attempt":     call.Attempt,
			"duration_ms": call.Duration.Milliseconds(),
			"errcode":     0,
		}
		if code, ok := wechat.ErrorCode(call.Err); ok {
			fields["errcode"] = code
		} else if call.Err != nil {
			// An HTTP status or a transport failure: no WeChat errcode to report.
			delete(fields, "errcode")
		}
		if call.Err != nil {
			fields["error"] = call.Err.Error()
			if call.RetryIn > 0 {
				fields["retry_in_ms"] = call.RetryIn.Milliseconds()
				tflog.SubsystemWarn(ctx, logSubsystem, "WeChat API call failed; retrying", fields)
				return
			}
			tflog.SubsystemWarn(ctx, logSubsystem, "WeChat API call failed", fields)
			return
		}
		tflog.SubsystemDebug(ctx, logSubsystem, "WeChat API call", fields)
	}
}

// decisionLogger writes the client's decisions that change what a command costs, such as
// how it reads memberships, at debug level: TF_LOG=debug shows which way a plan went and why.
func decisionLogger(ctx context.Context, message string, fields map[string]any) {
	tflog.Debug(ctx, message, fields)
}

const (
	logSubsystem = "wechat"
	// EnvLogLevelAPI sets the level of the API call log alone, such as debug while TF_LOG is warn.
	EnvLogLevelAPI = "TF_LOG_PROVIDER_WECHAT_API"
)
