package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

const tagVIP = `
resource "wechat_tag" "vip" {
  name = "VIP"
}
`

// checkCalls proves how many requests reached each endpoint of the mock.
func checkCalls(m *testMock, want map[string]int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		for path, n := range want {
			if got := m.CallCount(path); got != n {
				return fmt.Errorf("%s was called %d times, want %d", path, got, n)
			}
		}
		return nil
	}
}

func TestAccProvider_staticAccessTokenCallsNoTokenEndpoint(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{})
	config := m.staticTokenProviderConfig() + tagVIP

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkTagsDestroyed(m),
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: resource.ComposeTestCheckFunc(
					checkMockHasTag(m, "wechat_tag.vip", "VIP"),
					checkCalls(m, map[string]int{"/cgi-bin/stable_token": 0, "/cgi-bin/token": 0}),
				),
			},
		},
	})
}

func TestAccProvider_oneTokenForEveryResourceAndCommand(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{})
	config := m.providerConfig()
	for i := range 10 {
		config += fmt.Sprintf("resource \"wechat_tag\" \"t%d\" {\n  name = \"tag-%d\"\n}\n", i, i)
	}

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkTagsDestroyed(m),
		Steps: []resource.TestStep{
			{
				// Ten creates in parallel, then the testing framework's refresh and plans:
				// all of them share one stable_token fetch, and /cgi-bin/token, which would
				// invalidate the account servers' token, is never called.
				Config: config,
				Check:  checkCalls(m, map[string]int{"/cgi-bin/stable_token": 1, "/cgi-bin/token": 0}),
			},
		},
	})
}

func TestAccProvider_expiredTokenIsFetchedAgainOnce(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{})

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkTagsDestroyed(m),
		Steps: []resource.TestStep{
			{Config: m.providerConfig() + tagVIP},
			{
				// Every token expires (42001): the refresh fetches one new token and
				// retries, and the plan stays empty.
				PreConfig:        m.ExpireTokens,
				Config:           m.providerConfig() + tagVIP,
				ConfigPlanChecks: plansNothing(),
				Check:            checkCalls(m, map[string]int{"/cgi-bin/stable_token": 2, "/cgi-bin/token": 0}),
			},
		},
	})
}

// Not parallel: t.Setenv changes the environment of the whole test process.
func TestAccProvider_credentialsFromEnvironment(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{})
	t.Setenv(EnvAppID, testAppID)
	t.Setenv(EnvAppSecret, testAppSecret)
	t.Setenv(EnvBaseURL, m.URL)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkTagsDestroyed(m),
		Steps: []resource.TestStep{
			{
				Config: `provider "wechat" {}` + tagVIP,
				Check:  checkMockHasTag(m, "wechat_tag.vip", "VIP"),
			},
		},
	})
}

// Not parallel: t.Setenv changes the environment of the whole test process. Credentials
// of one way set in the provider block hide the other way's in the environment.
func TestAccProvider_blockCredentialsWinOverTheEnvironment(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{})
	t.Run("app_id and app_secret over WECHAT_ACCESS_TOKEN", func(t *testing.T) {
		t.Setenv(EnvAccessToken, "86_aTokenOfAnotherTool-0123456789abcdefghijklmnopqrstuvwxyz")
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			CheckDestroy:             checkTagsDestroyed(m),
			Steps:                    []resource.TestStep{{Config: m.providerConfig() + tagVIP, Check: checkMockHasTag(m, "wechat_tag.vip", "VIP")}},
		})
	})
	t.Run("access_token over WECHAT_APP_ID and WECHAT_APP_SECRET", func(t *testing.T) {
		t.Setenv(EnvAppID, "wx00000000000000ff")
		t.Setenv(EnvAppSecret, "00000000000000000000000000000000")
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			CheckDestroy:             checkTagsDestroyed(m),
			Steps:                    []resource.TestStep{{Config: m.staticTokenProviderConfig() + tagVIP, Check: checkMockHasTag(m, "wechat_tag.vip", "VIP")}},
		})
	})
}

// Not parallel: t.Setenv changes the environment of the whole test process.
func TestAccProvider_bothWaysInTheEnvironmentConflict(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{})
	t.Setenv(EnvAccessToken, m.IssueAccessToken())
	t.Setenv(EnvAppID, testAppID)
	t.Setenv(EnvAppSecret, testAppSecret)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:   fmt.Sprintf("provider \"wechat\" {\n  base_url = %q\n}\n", m.URL) + tagVIP,
				PlanOnly: true,
				ExpectError: expectError(`Conflicting WeChat credentials.*An access token is set \(from the WECHAT_ACCESS_TOKEN environment variable\), ` +
					`and so is app_secret \(from the WECHAT_APP_SECRET environment variable\)`),
			},
		},
	})
}

func TestAccProvider_invalidConfigurations(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{})
	cases := map[string]struct {
		provider string
		error    string
	}{
		"no credentials": {
			fmt.Sprintf(`base_url = %q`, m.URL),
			`Missing WeChat credentials.*app_id and app_secret \(or the WECHAT_APP_ID and WECHAT_APP_SECRET environment variables\), or with access_token \(or WECHAT_ACCESS_TOKEN\)`,
		},
		"token and app credentials": {
			fmt.Sprintf(`access_token = "t0ken"
  app_id = %q
  app_secret = %q
  base_url = %q`, testAppID, testAppSecret, m.URL),
			`Conflicting WeChat credentials`,
		},
		"app_id without secret": {
			fmt.Sprintf(`app_id = %q
  base_url = %q`, testAppID, m.URL),
			`Missing WeChat AppSecret.*app_id is set \(in the provider block\) but app_secret is not.*WECHAT_APP_SECRET`,
		},
		"secret without app_id": {
			fmt.Sprintf(`app_secret = %q
  base_url = %q`, testAppSecret, m.URL),
			`Missing WeChat AppID.*WECHAT_APP_ID`,
		},
		"plain http to a remote host": {
			fmt.Sprintf(`app_id = %q
  app_secret = %q
  base_url = "http://api.weixin.qq.com"`, testAppID, testAppSecret),
			`Invalid base_url.*plain http.*allowed only for loopback addresses`,
		},
		"not a URL": {
			fmt.Sprintf(`app_id = %q
  app_secret = %q
  base_url = "api.weixin.qq.com"`, testAppID, testAppSecret),
			`Invalid base_url.*not a URL with a host`,
		},
		"too many retries": {
			fmt.Sprintf(`app_id = %q
  app_secret = %q
  base_url = %q
  max_retries = 50`, testAppID, testAppSecret, m.URL),
			`max_retries.*value must be between 0 and 20, got: 50`,
		},
		"timeout that is not a duration": {
			fmt.Sprintf(`app_id = %q
  app_secret = %q
  base_url = %q
  request_timeout = "soon"`, testAppID, testAppSecret, m.URL),
			`Invalid duration.*"soon" is not a positive duration.*30s, 1m or 1m30s`,
		},
		"unknown token endpoint": {
			fmt.Sprintf(`app_id = %q
  app_secret = %q
  base_url = %q
  token_endpoint = "oauth"`, testAppID, testAppSecret, m.URL),
			`token_endpoint.*value must be one of: \["stable_token" "token"\], got: "oauth"`,
		},
		"token in the URL": {
			fmt.Sprintf(`app_id = %q
  app_secret = %q
  base_url = "https://api.weixin.qq.com/?access_token=x"`, testAppID, testAppSecret),
			`Invalid base_url.*must not carry a query`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{
					{
						Config:      "provider \"wechat\" {\n  " + tc.provider + "\n}\n" + tagVIP,
						PlanOnly:    true,
						ExpectError: expectError(tc.error),
					},
				},
			})
		})
	}
}

func TestAccProvider_wrongSecretIsReported(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{})
	config := fmt.Sprintf(`
provider "wechat" {
  app_id     = %q
  app_secret = "00000000000000000000000000000000"
  base_url   = %q
}
`, testAppID, m.URL) + tagVIP

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: config, ExpectError: expectError(`WeChat refused the AppSecret.*app_secret.*WECHAT_APP_SECRET.*WeChat stable_token: errcode 40125`)},
		},
	})
}

func TestAccProvider_expiredStaticTokenAsksForANewOne(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{})
	staticConfig := m.staticTokenProviderConfig() + tagVIP

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkTagsDestroyed(m),
		Steps: []resource.TestStep{
			{Config: staticConfig},
			{
				// The provider cannot refresh a token it was given: it says so, and the
				// tag stays in state.
				PreConfig:   m.ExpireTokens,
				Config:      staticConfig,
				ExpectError: expectError(`errcode 42001.*the access token given to the provider is invalid or expired; give it a new one`),
			},
			{
				// With working credentials the same state plans no change.
				Config:           m.providerConfig() + tagVIP,
				ConfigPlanChecks: plansNothing(),
				Check:            checkCalls(m, map[string]int{"/cgi-bin/token": 0}),
			},
		},
	})
}

func TestAccProvider_attributeUnknownAtPlanTime(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{})
	config := fmt.Sprintf(`
resource "terraform_data" "app" {
  input = %q
}

provider "wechat" {
  app_id     = terraform_data.app.output
  app_secret = %q
  base_url   = %q
}
`, testAppID, testAppSecret, m.URL) + tagVIP

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      config,
				ExpectError: expectError(`Provider attribute unknown at plan time.*app_id depends on a value that is known only after apply.*WECHAT_APP_ID`),
			},
		},
	})
}

// Not parallel: t.Setenv changes the environment of the whole test process.
func TestAccProvider_invalidTuningInTheEnvironment(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{})
	t.Setenv(EnvMaxRetries, "lots")
	t.Setenv(EnvRequestTimeout, "-5s")
	t.Setenv(EnvMembershipReads, "sometimes")

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:   m.providerConfig() + tagVIP,
				PlanOnly: true,
				ExpectError: expectError(`max_retries \(or WECHAT_MAX_RETRIES\) is "lots"; it must be a whole number from 0 to 20.*` +
					`request_timeout \(or WECHAT_REQUEST_TIMEOUT\) is "-5s"; it must be a positive Go duration.*` +
					`membership_reads \(or WECHAT_MEMBERSHIP_READS\) is "sometimes"; it must be one of auto, per_follower, per_tag`),
			},
		},
	})
}

func TestCredentialPrecedence(t *testing.T) {
	const token, id, secret = "86_token", "wx1234567890abcdef", "5f3c8a1e9b7d4c2f6a0e1b8d7c3f9a24"
	tests := []struct {
		name              string
		block, env        map[string]string
		wantToken, wantID string
		wantError         string
	}{
		{"block token hides env app", map[string]string{"access_token": token}, map[string]string{"app_id": id, "app_secret": secret}, token, "", ""},
		{"block app hides env token", map[string]string{"app_id": id, "app_secret": secret}, map[string]string{"access_token": token}, "", id, ""},
		{"block app_id alone still takes env secret", map[string]string{"app_id": id}, map[string]string{"app_secret": secret, "access_token": token}, "", id, ""},
		{"block token with block app_id names the account", map[string]string{"access_token": token, "app_id": id}, map[string]string{"app_secret": secret}, token, id, ""},
		{"env token with env app_id names the account", nil, map[string]string{"access_token": token, "app_id": id}, token, id, ""},
		{"both ways in the block conflict", map[string]string{"access_token": token, "app_secret": secret}, nil, "", "", "Conflicting WeChat credentials"},
		{"both ways in the environment conflict", nil, map[string]string{"access_token": token, "app_secret": secret}, "", "", "from the WECHAT_APP_SECRET environment variable"},
		{"nothing anywhere", nil, nil, "", "", "Missing WeChat credentials"},
	}
	envNames := map[string]string{"app_id": EnvAppID, "app_secret": EnvAppSecret, "access_token": EnvAccessToken}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s settings
			fields := map[string]*setting{"app_id": &s.appID, "app_secret": &s.appSecret, "access_token": &s.accessToken}
			for k, v := range tt.env {
				*fields[k] = setting{value: v, env: envNames[k]}
			}
			for k, v := range tt.block {
				*fields[k] = setting{value: v}
			}
			s.preferBlockCredentials()
			diags := s.checkCredentials()
			if tt.wantError != "" {
				if !diags.HasError() || !strings.Contains(diags.Errors()[0].Summary()+" "+diags.Errors()[0].Detail(), tt.wantError) {
					t.Fatalf("diagnostics %v, want %q", diags, tt.wantError)
				}
				return
			}
			if diags.HasError() || s.accessToken.value != tt.wantToken || s.appID.value != tt.wantID {
				t.Errorf("token %q, app_id %q, diagnostics %v; want token %q, app_id %q", s.accessToken.value, s.appID.value, diags, tt.wantToken, tt.wantID)
			}
		})
	}
}

// configureProvider calls the provider's Configure as Terraform would, with the provider
// block attrs (every other attribute null), under plain go test.
func configureProvider(t *testing.T, attrs map[string]string) provider.ConfigureResponse {
	t.Helper()
	p := New("test")()
	var schemaResp provider.SchemaResponse
	p.Schema(t.Context(), provider.SchemaRequest{}, &schemaResp)
	objectType := schemaResp.Schema.Type().TerraformType(t.Context()).(tftypes.Object) //nolint:forcetypeassert // a provider schema is an object
	values := map[string]tftypes.Value{}
	for name, typ := range objectType.AttributeTypes {
		values[name] = tftypes.NewValue(typ, nil)
		if v, ok := attrs[name]; ok {
			values[name] = tftypes.NewValue(typ, v)
		}
	}
	req := provider.ConfigureRequest{Config: tfsdk.Config{Schema: schemaResp.Schema, Raw: tftypes.NewValue(objectType, values)}}
	var resp provider.ConfigureResponse
	p.Configure(t.Context(), req, &resp)
	return resp
}

func TestConfigureFetchesTheTokenOnce(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{})
	t.Run("refused credentials are one error of the configuration", func(t *testing.T) {
		resp := configureProvider(t, map[string]string{"app_id": testAppID, "app_secret": "00000000000000000000000000000000", "base_url": m.URL})
		expectDiagnostic(t, resp.Diagnostics, "WeChat refused the AppSecret", "app_secret", EnvAppSecret, "errcode 40125")
		if resp.ResourceData != nil {
			t.Error("a provider whose credentials were refused handed resources a client")
		}
	})
	t.Run("/cgi-bin/token is not called until a call needs it", func(t *testing.T) {
		m.ResetCalls()
		resp := configureProvider(t, map[string]string{"app_id": testAppID, "app_secret": testAppSecret, "base_url": m.URL, "token_endpoint": "token"})
		expectNoDiagnostics(t, resp.Diagnostics)
		if n := m.CallCount("/cgi-bin/token"); n != 0 {
			t.Errorf("Configure called /cgi-bin/token %d times, want none: each call replaces the account's token", n)
		}
	})
}
