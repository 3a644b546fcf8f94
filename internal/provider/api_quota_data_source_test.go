package provider

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

const getidlistPath = "/cgi-bin/tags/getidlist"

func apiQuotaConfig(m *testMock, cgiPath string, extra ...string) string {
	return m.providerConfig(extra...) + fmt.Sprintf(`
data "wechat_api_quota" "this" {
  cgi_path = %q
}
`, cgiPath)
}

// callGetidlist calls tags/getidlist as the account's own servers would, outside
// Terraform, so that the call uses the day's quota.
func (m *testMock) callGetidlist(t *testing.T, openid string) {
	t.Helper()
	target := m.URL + getidlistPath + "?access_token=" + url.QueryEscape(m.IssueAccessToken())
	resp, err := http.Post(target, "application/json", strings.NewReader(fmt.Sprintf(`{"openid":%q}`, openid))) //nolint:noctx // a test's out-of-band call
	must(t, err)
	must(t, resp.Body.Close())
}

func quotaChecks(address string, limit, used int64) []statecheck.StateCheck {
	return []statecheck.StateCheck{
		statecheck.ExpectKnownValue(address, tfjsonpath.New("daily_limit"), knownvalue.Int64Exact(limit)),
		statecheck.ExpectKnownValue(address, tfjsonpath.New("used"), knownvalue.Int64Exact(used)),
		statecheck.ExpectKnownValue(address, tfjsonpath.New("remain"), knownvalue.Int64Exact(limit-used)),
	}
}

func TestAccAPIQuotaDataSource(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{DailyQuotas: map[string]int{getidlistPath: 500}})
	const address = "data.wechat_api_quota.this"

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: apiQuotaConfig(m, getidlistPath),
				ConfigStateChecks: append(quotaChecks(address, 500, 0),
					statecheck.ExpectKnownValue(address, tfjsonpath.New("rate_limit"), knownvalue.Null()),
					statecheck.ExpectKnownValue(address, tfjsonpath.New("component_rate_limit"), knownvalue.Null()),
				),
			},
			{
				// Calls the account's servers make count too: the next read sees them.
				PreConfig: func() {
					m.callGetidlist(t, m.follower(0))
					m.callGetidlist(t, m.follower(1))
				},
				Config:            apiQuotaConfig(m, getidlistPath),
				ConfigStateChecks: quotaChecks(address, 500, 2),
			},
			{
				// A quota spent to the last call reads as such, and the API refuses the next.
				PreConfig:         func() { must(t, m.SetDailyQuota(getidlistPath, 2)) },
				Config:            apiQuotaConfig(m, getidlistPath),
				ConfigStateChecks: quotaChecks(address, 2, 2),
			},
			{
				// A postcondition turns the spent quota into a failed plan, before any
				// resource spends more of it.
				Config: m.providerConfig() + fmt.Sprintf(`
data "wechat_api_quota" "this" {
  cgi_path = %q

  lifecycle {
    postcondition {
      condition     = self.remain >= 10
      error_message = "Only ${self.remain} tags/getidlist calls remain today."
    }
  }
}
`, getidlistPath),
				ExpectError: expectError(`Only 0 tags/getidlist calls remain today`),
			},
			{
				// stable_token reports its rate limit as well.
				Config: apiQuotaConfig(m, "/cgi-bin/stable_token"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(address, tfjsonpath.New("daily_limit"), knownvalue.Int64Exact(500_000)),
					statecheck.ExpectKnownValue(address, tfjsonpath.New("rate_limit"), knownvalue.ObjectExact(map[string]knownvalue.Check{
						"call_count": knownvalue.Int64Exact(10_000), "refresh_seconds": knownvalue.Int64Exact(60),
					})),
				},
			},
		},
	})
}

func TestAccAPIQuotaDataSource_badInput(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      apiQuotaConfig(m, "cgi-bin/tags/get"),
				PlanOnly:    true,
				ExpectError: expectError(`Invalid API path.*with data.wechat_api_quota.this.*cgi_path: "cgi-bin/tags/get" does not start with /`),
			},
			{
				Config:      apiQuotaConfig(m, "https://api.weixin.qq.com/cgi-bin/tags/get"),
				PlanOnly:    true,
				ExpectError: expectError(`Invalid API path.*is a URL; give only its path`),
			},
			{
				Config:      apiQuotaConfig(m, "/cgi-bin/no/such/api"),
				PlanOnly:    true,
				ExpectError: expectError(`Unknown API path.*WeChat knows no API at "/cgi-bin/no/such/api".*errcode 76021`),
			},
			{
				Config:      apiQuotaConfig(m, "/sns/userinfo"),
				PlanOnly:    true,
				ExpectError: expectError(`API not reported for this account's token.*errcode 76022`),
			},
			{
				// A busy service with no retries left is an error, never a quota of zero.
				PreConfig:   func() { must(t, m.FailNext("/cgi-bin/openapi/quota/get", -1)) },
				Config:      apiQuotaConfig(m, getidlistPath, "max_retries = 0"),
				PlanOnly:    true,
				ExpectError: expectError(`Unable to read the API quota.*Reading the daily quota of /cgi-bin/tags/getidlist failed.*errcode -1`),
			},
		},
	})
}
