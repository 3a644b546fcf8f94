package provider

import (
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

// readAPIQuota reads wechat_api_quota for cgiPath as the framework does.
func readAPIQuota(t *testing.T, api quotaAPI, cgiPath string) datasource.ReadResponse {
	t.Helper()
	d := &APIQuotaDataSource{client: api}
	var schemaResp datasource.SchemaResponse
	d.Schema(t.Context(), datasource.SchemaRequest{}, &schemaResp)
	configType := schemaResp.Schema.Type().TerraformType(t.Context())
	// The configuration is built as a state would be: tfsdk.Config cannot be set.
	built := tfsdk.State{Schema: schemaResp.Schema, Raw: tftypes.NewValue(configType, nil)}
	if diags := built.Set(t.Context(), apiQuotaModel{
		CGIPath:            types.StringValue(cgiPath),
		RateLimit:          types.ObjectNull(rateLimitType),
		ComponentRateLimit: types.ObjectNull(rateLimitType),
	}); diags.HasError() {
		t.Fatal(diags)
	}
	config := tfsdk.Config{Schema: schemaResp.Schema, Raw: built.Raw}
	resp := datasource.ReadResponse{State: tfsdk.State{Schema: schemaResp.Schema, Raw: tftypes.NewValue(configType, nil)}}
	d.Read(t.Context(), datasource.ReadRequest{Config: config}, &resp)
	return resp
}

func TestAPIQuotaRead(t *testing.T) {
	t.Run("the quota of the path", func(t *testing.T) {
		api := newFakeWechat()
		resp := readAPIQuota(t, api, "/cgi-bin/tags/getidlist")
		expectNoDiagnostics(t, resp.Diagnostics)
		var state apiQuotaModel
		if diags := resp.State.Get(t.Context(), &state); diags.HasError() || state.DailyLimit.ValueInt64() != 1000 || !state.RateLimit.IsNull() {
			t.Errorf("state = %+v (%v), want the fake's daily limit of 1,000 and no rate limit", state, diags)
		}
	})
	for name, tc := range map[string]struct {
		fault            fakeFault
		summary, details string
	}{
		"an unknown path":   {refusal(wechat.CodeCGIPathNotFound), "Unknown API path", `WeChat knows no API at "/cgi-bin/tags/getidlist"`},
		"a malformed path":  {refusal(wechat.CodeMalformedCGIPath), "Unknown API path", "errcode 76003"},
		"a user-token path": {refusal(wechat.CodeCGIPathNotForToken), "API not reported for this account's token", "errcode 76022"},
		"a busy service":    {refusal(-1), "Unable to read the API quota", "Reading the daily quota of /cgi-bin/tags/getidlist failed"},
		"a lost response":   {droppedRequest, "Unable to read the API quota", "/cgi-bin/tags/getidlist"},
		"the daily quota":   {refusal(wechat.CodeDailyQuotaReached), "Unable to read the API quota", "45009"},
	} {
		t.Run(name, func(t *testing.T) {
			api := newFakeWechat()
			api.script("openapi/quota/get", tc.fault)
			resp := readAPIQuota(t, api, "/cgi-bin/tags/getidlist")
			expectDiagnostic(t, resp.Diagnostics, tc.summary, tc.details)
			// A failed read sets no state: it never reads as a quota of zero.
			if !resp.State.Raw.IsNull() {
				t.Errorf("a failed read set the state: %v", resp.State.Raw)
			}
		})
	}
	t.Run("the path errors name cgi_path", func(t *testing.T) {
		api := newFakeWechat()
		api.script("openapi/quota/get", refusal(wechat.CodeCGIPathNotFound))
		expectAttribute(t, readAPIQuota(t, api, "/cgi-bin/x").Diagnostics, "cgi_path")
	})
}

func TestCGIPathValidator(t *testing.T) {
	for value, refused := range map[string]bool{
		"/cgi-bin/tags/getidlist": false, "": true, "cgi-bin/tags/get": true,
		"https://api.weixin.qq.com/cgi-bin/tags/get": true, "/cgi-bin/tags/get?x=1": true, "/cgi-bin/tags /get": true,
	} {
		var resp validator.StringResponse
		validCGIPath.ValidateString(t.Context(), validator.StringRequest{Path: path.Root("cgi_path"), ConfigValue: types.StringValue(value)}, &resp)
		if resp.Diagnostics.HasError() != refused {
			t.Errorf("cgi_path %q: diagnostics %v, want refused %v", value, resp.Diagnostics, refused)
		}
		if refused {
			expectDiagnostic(t, resp.Diagnostics, "Invalid API path", "cgi_path: ")
		}
	}
}

// openAccessToken opens wechat_access_token as the framework does.
func openAccessToken(t *testing.T, api tokenAPI) ephemeral.OpenResponse {
	t.Helper()
	e := &AccessTokenEphemeralResource{client: api}
	var schemaResp ephemeral.SchemaResponse
	e.Schema(t.Context(), ephemeral.SchemaRequest{}, &schemaResp)
	objectType := schemaResp.Schema.Type().TerraformType(t.Context())
	resp := ephemeral.OpenResponse{Result: tfsdk.EphemeralResultData{Schema: schemaResp.Schema, Raw: tftypes.NewValue(objectType, nil)}}
	e.Open(t.Context(), ephemeral.OpenRequest{Config: tfsdk.Config{Schema: schemaResp.Schema, Raw: tftypes.NewValue(objectType, nil)}}, &resp)
	return resp
}

func TestAccessTokenOpen(t *testing.T) {
	t.Run("the client's token, its account and expiry", func(t *testing.T) {
		resp := openAccessToken(t, newFakeWechat())
		expectNoDiagnostics(t, resp.Diagnostics)
		var result accessTokenModel
		if diags := resp.Result.Get(t.Context(), &result); diags.HasError() ||
			result.Token.ValueString() != "fake-access-token" || result.AppID.ValueString() != fakeAppID || result.ExpiresAt.IsNull() {
			t.Errorf("result = %+v (%v)", result, diags)
		}
		// A consumer that still holds the token at its expiry is told, by Renew.
		if at := resp.RenewAt.UTC().Format(time.RFC3339); at != result.ExpiresAt.ValueString() {
			t.Errorf("RenewAt = %s, want the expiry %s", at, result.ExpiresAt.ValueString())
		}
	})
	t.Run("a consumer still holding the token at its expiry is warned", func(t *testing.T) {
		var resp ephemeral.RenewResponse
		(&AccessTokenEphemeralResource{client: newFakeWechat()}).Renew(t.Context(), ephemeral.RenewRequest{}, &resp)
		if resp.Diagnostics.HasError() || resp.Diagnostics.WarningsCount() != 1 ||
			!strings.Contains(resp.Diagnostics[0].Detail(), "42001") || !resp.RenewAt.IsZero() {
			t.Errorf("Renew = %v, RenewAt %v; want one warning that says 42001, and no renewal after", resp.Diagnostics, resp.RenewAt)
		}
	})
	t.Run("refused from the legacy endpoint", func(t *testing.T) {
		api := newFakeWechat()
		api.script("token", fakeFault{err: wechat.ErrLegacyTokenNotShared})
		resp := openAccessToken(t, api)
		expectDiagnostic(t, resp.Diagnostics, "Access token not handed out", `token_endpoint = "token"`, "invalidates the one before")
		if !resp.Result.Raw.IsNull() {
			t.Error("a refused token was handed out")
		}
	})
	t.Run("a token call refused names the fix", func(t *testing.T) {
		api := newFakeWechat()
		api.script("token", refusal(wechat.CodeInvalidAppSecret))
		expectDiagnostic(t, openAccessToken(t, api).Diagnostics, "WeChat refused the AppSecret", "app_secret")
	})
}
