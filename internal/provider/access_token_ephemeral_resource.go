package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

var (
	_ ephemeral.EphemeralResourceWithConfigure = &AccessTokenEphemeralResource{}
	_ ephemeral.EphemeralResourceWithRenew     = &AccessTokenEphemeralResource{}
)

// expiresAtKey is the private key under which Open keeps the token's expiry for Renew.
const expiresAtKey = "expires_at"

// AccessTokenEphemeralResource is wechat_access_token: the provider's own access token,
// for another provider of the same run, never stored.
type AccessTokenEphemeralResource struct {
	client tokenAPI
}

func NewAccessTokenEphemeralResource() ephemeral.EphemeralResource {
	return &AccessTokenEphemeralResource{}
}

type accessTokenModel struct {
	Token     types.String `tfsdk:"token"`
	AppID     types.String `tfsdk:"app_id"`
	ExpiresAt types.String `tfsdk:"expires_at"`
}

func (e *AccessTokenEphemeralResource) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_access_token"
}

func (e *AccessTokenEphemeralResource) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The access token this provider calls WeChat with, for another provider of the same run, such as a " +
			"generic REST provider managing WeChat objects this provider does not cover. Ephemeral (Terraform 1.10 and later, " +
			"OpenTofu 1.11 and later): Terraform never writes it to a plan or a state. It is the token of `stable_token`, " +
			"which the account's other servers hold too, so using it invalidates no one's; with `access_token` in the provider, " +
			"that token. With `token_endpoint = \"token\"` it is refused: every `/cgi-bin/token` call invalidates the token before.",
		Attributes: map[string]schema.Attribute{
			"token": schema.StringAttribute{
				MarkdownDescription: "The access token, to pass as the `access_token` query parameter of WeChat's APIs.",
				Computed:            true,
				Sensitive:           true,
			},
			"app_id": schema.StringAttribute{
				MarkdownDescription: "The AppID of the account the token acts for; null when the provider has a token and no `app_id`.",
				Computed:            true,
			},
			"expires_at": schema.StringAttribute{
				MarkdownDescription: "When the provider stops using the token (RFC 3339, a minute before WeChat's expiry); " +
					"null for a token given as `access_token`, whose expiry the provider does not know.",
				Computed: true,
			},
		},
	}
}

func (e *AccessTokenEphemeralResource) Configure(_ context.Context, req ephemeral.ConfigureRequest, resp *ephemeral.ConfigureResponse) {
	e.client = clientFrom(req.ProviderData, &resp.Diagnostics)
}

func (e *AccessTokenEphemeralResource) Open(ctx context.Context, _ ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	token, until, err := e.client.AccessToken(ctx)
	if errors.Is(err, wechat.ErrLegacyTokenNotShared) {
		resp.Diagnostics.AddError("Access token not handed out",
			"The provider has token_endpoint = \"token\", and "+err.Error()+".")
		return
	}
	if err != nil {
		report(&resp.Diagnostics, subject{failure: "Unable to obtain the access token", about: "Obtaining the provider's access token failed"}, err)
		return
	}
	result := accessTokenModel{Token: types.StringValue(token), AppID: types.StringNull(), ExpiresAt: types.StringNull()}
	if appID := e.client.AppID(); appID != "" {
		result.AppID = types.StringValue(appID)
	}
	if !until.IsZero() {
		result.ExpiresAt = types.StringValue(until.UTC().Format(time.RFC3339))
		// Terraform calls Renew if a consumer still holds the token then.
		resp.RenewAt = until
		recordsOf(resp.Private, resp.Private).set(ctx, expiresAtKey, result.ExpiresAt.ValueString(), &resp.Diagnostics)
	}
	resp.Diagnostics.Append(resp.Result.Set(ctx, result)...)
}

// Renew is called when a consumer of the token still holds it at its expiry. Terraform
// cannot hand a consumer a new value during a run, and WeChat cannot extend a token, so
// the consumer's calls after the expiry fail with 42001: the warning says why, and what
// to do, before they do.
func (e *AccessTokenEphemeralResource) Renew(ctx context.Context, req ephemeral.RenewRequest, resp *ephemeral.RenewResponse) {
	expiresAt := "its expiry"
	if _, err := recordsOf(req.Private, req.Private).get(ctx, expiresAtKey, &expiresAt); err != nil {
		expiresAt = "its expiry"
	}
	resp.Diagnostics.AddWarning("WeChat access token expiring",
		fmt.Sprintf("The token wechat_access_token handed out expires at %s, and a resource of this run still uses it. "+
			"Terraform cannot give it a new token during a run, nor WeChat extend one, so its calls to WeChat after that time fail "+
			"with 42001 (access_token expired). Run terraform apply again: it opens wechat_access_token anew, with a token "+
			"valid for up to two hours; or split a run that lasts longer, for example with -target.", expiresAt))
}
