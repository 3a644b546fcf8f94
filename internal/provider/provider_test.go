package provider

import (
	"fmt"
	"log"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

const (
	testAppID     = "wx5f3c8e1d2b4a6789"
	testAppSecret = "3c1e9a7b5d2f4e6a8c0b1d3f5a7e9c2b"
)

// The acceptance tests serve the provider as the binary does.
var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"wechat": func() (tfprotov6.ProviderServer, error) { return ProtocolServer("test")(), nil },
}

func TestMain(m *testing.M) {
	// Credentials in the developer's environment would change what the tests configure.
	for _, env := range []string{EnvAppID, EnvAppSecret, EnvAccessToken, EnvBaseURL, EnvMembershipReads} {
		if err := os.Unsetenv(env); err != nil {
			log.Fatalf("unsetting %s: %v", env, err)
		}
	}
	os.Exit(m.Run())
}

// testMock is a WeChat mock server of a test's own, with followers.
type testMock struct {
	*mockwechat.Server
	URL string
	// appID and appSecret are its account's credentials: testAppID and testAppSecret
	// unless the test's Config named another account.
	appID, appSecret string
}

func newTestMock(t *testing.T, cfg mockwechat.Config) *testMock {
	t.Helper()
	if cfg.AppID == "" {
		cfg.AppID, cfg.AppSecret = testAppID, testAppSecret
	}
	if cfg.Followers == nil {
		cfg.Followers = mockwechat.GenerateOpenIDs(5, int64(len(t.Name())))
	}
	server := mockwechat.New(cfg)
	httpServer := httptest.NewServer(server)
	t.Cleanup(httpServer.Close)
	return &testMock{Server: server, URL: httpServer.URL, appID: cfg.AppID, appSecret: cfg.AppSecret}
}

// providerConfig is a provider block authenticating with the app's id and secret; extra
// lines, such as "max_retries = 0", go into the block.
func (m *testMock) providerConfig(extra ...string) string {
	return fmt.Sprintf(`
provider "wechat" {
  app_id     = %q
  app_secret = %q
  base_url   = %q
  %s
}
`, m.appID, m.appSecret, m.URL, strings.Join(extra, "\n  "))
}

// staticTokenProviderConfig is a provider block with an access token obtained elsewhere, as
// a third-party platform would pass its authorizer_access_token.
func (m *testMock) staticTokenProviderConfig() string {
	return fmt.Sprintf(`
provider "wechat" {
  access_token = %q
  base_url     = %q
}
`, m.IssueAccessToken(), m.URL)
}

// expectCalls says how the calls of an API path since the mock's counters were last reset
// differ from calls, or nil.
func (m *testMock) expectCalls(path string, calls int) error {
	if got := m.CallCount(path); got != calls {
		return fmt.Errorf("%d calls of %s, want %d", got, path, calls)
	}
	return nil
}

func (m *testMock) follower(i int) string { return m.Followers()[i] }

func (m *testMock) tagNamed(name string) (mockwechat.Tag, bool) {
	for _, tag := range m.Tags() {
		if tag.Name == name {
			return tag, true
		}
	}
	return mockwechat.Tag{}, false
}

func (m *testMock) mustCreateTag(t *testing.T, name string) mockwechat.Tag {
	t.Helper()
	tag, err := m.CreateTag(name)
	if err != nil {
		t.Fatalf("creating tag %q out of band: %v", name, err)
	}
	return tag
}

// must runs an out-of-band change in a PreConfig, where a failure must stop the test.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("out-of-band change: %v", err)
	}
}

// plans proves, before apply, that the plan takes action on the resource at address.
func plans(address string, action plancheck.ResourceActionType) resource.ConfigPlanChecks {
	return resource.ConfigPlanChecks{
		PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(address, action)},
	}
}

// plansNothing proves, before apply, that the account matches the configuration.
func plansNothing() resource.ConfigPlanChecks {
	return resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}}
}

// expectError matches a diagnostic whatever the line breaks Terraform wraps it with: each
// space of pattern matches any run of white space, and "." matches line breaks too.
func expectError(pattern string) *regexp.Regexp {
	return regexp.MustCompile("(?s)" + strings.ReplaceAll(pattern, " ", `\s+`))
}
