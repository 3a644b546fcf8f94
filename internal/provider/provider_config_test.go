package provider

import (
	"fmt"
	"testing"

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

// Not parallel: t.Setenv changes the environment of the whole test process.
func TestAccProvider_tokenInEnvironmentConflictsWithAppID(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{})
	t.Setenv(EnvAccessToken, m.IssueAccessToken())

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      m.providerConfig() + tagVIP,
				PlanOnly:    true,
				ExpectError: expectError(`Conflicting WeChat credentials.*in the provider block or the environment`),
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
			`Missing WeChat AppSecret.*app_id is set but app_secret is not.*WECHAT_APP_SECRET`,
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
			{Config: config, ExpectError: expectError(`obtaining a WeChat access token: WeChat stable_token: errcode 40125`)},
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

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:   m.providerConfig() + tagVIP,
				PlanOnly: true,
				ExpectError: expectError(`max_retries \(or WECHAT_MAX_RETRIES\) is "lots"; it must be a whole number from 0 to 20.*` +
					`request_timeout \(or WECHAT_REQUEST_TIMEOUT\) is "-5s"; it must be a positive Go duration`),
			},
		},
	})
}
