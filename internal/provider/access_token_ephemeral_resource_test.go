package provider

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/echoprovider"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

// Ephemeral resources reach Terraform from 1.10 on (OpenTofu from 1.11).
var ephemeralCLIs = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)}

// The echo provider copies what it is configured with into the state of its resource: for
// these tests only, the one way to look at an ephemeral value.
var withEcho = map[string]func() (tfprotov6.ProviderServer, error){
	"wechat": testAccProtoV6ProviderFactories["wechat"],
	"echo":   echoprovider.NewProviderServer(),
}

const echoAccessToken = `
ephemeral "wechat_access_token" "this" {}

provider "echo" {
  data = ephemeral.wechat_access_token.this
}

resource "echo" "token" {}
`

// issuedToken checks that a value is a token the mock issued to the provider.
type issuedToken struct{ mock *testMock }

func (c issuedToken) CheckValue(value any) error {
	token, ok := value.(string)
	if !ok {
		return fmt.Errorf("the token is a %T, not a string", value)
	}
	for _, issued := range c.mock.IssuedTokens() {
		if issued == token {
			return nil
		}
	}
	return fmt.Errorf("the token is none the mock issued (%d issued)", len(c.mock.IssuedTokens()))
}

func (c issuedToken) String() string { return "a token the mock issued" }

// inTheHour checks an RFC 3339 time within the next two hours, as a stable token lasts.
type inTheHour struct{}

func (inTheHour) CheckValue(value any) error {
	text, _ := value.(string)
	at, err := time.Parse(time.RFC3339, text)
	if err != nil {
		return fmt.Errorf("expires_at %q: %w", text, err)
	}
	if until := time.Until(at); until <= 0 || until > 2*time.Hour {
		return fmt.Errorf("expires_at %s is not within the token's two hours", at)
	}
	return nil
}

func (inTheHour) String() string { return "a time within two hours" }

func TestAccAccessToken_isTheProvidersStableToken(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: withEcho,
		TerraformVersionChecks:   ephemeralCLIs,
		Steps: []resource.TestStep{{
			Config: m.providerConfig() + echoAccessToken,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("echo.token", tfjsonpath.New("data").AtMapKey("token"), issuedToken{m}),
				statecheck.ExpectKnownValue("echo.token", tfjsonpath.New("data").AtMapKey("app_id"), knownvalue.StringExact(m.appID)),
				statecheck.ExpectKnownValue("echo.token", tfjsonpath.New("data").AtMapKey("expires_at"), inTheHour{}),
				callsOf(m, "/cgi-bin/token", 0),
			},
		}},
	})
}

func TestAccAccessToken_aTokenGivenToTheProvider(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: withEcho,
		TerraformVersionChecks:   ephemeralCLIs,
		Steps: []resource.TestStep{{
			Config: m.staticTokenProviderConfig() + echoAccessToken,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("echo.token", tfjsonpath.New("data").AtMapKey("token"), issuedToken{m}),
				statecheck.ExpectKnownValue("echo.token", tfjsonpath.New("data").AtMapKey("app_id"), knownvalue.Null()),
				statecheck.ExpectKnownValue("echo.token", tfjsonpath.New("data").AtMapKey("expires_at"), knownvalue.Null()),
			},
		}},
	})
}

func TestAccAccessToken_refusedFromTheLegacyEndpoint(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: withEcho,
		TerraformVersionChecks:   ephemeralCLIs,
		Steps: []resource.TestStep{{
			Config:      m.providerConfig(`token_endpoint = "token"`) + echoAccessToken,
			ExpectError: expectError(`Access token not handed out.*token_endpoint = "token".*invalidates the one before`),
		}},
	})
}

// callsOf checks, after the step, how often the provider called an API path.
func callsOf(m *testMock, path string, calls int) statecheck.StateCheck {
	return callCountCheck{m, path, calls}
}

type callCountCheck struct {
	mock  *testMock
	path  string
	calls int
}

func (c callCountCheck) CheckState(_ context.Context, _ statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	resp.Error = c.mock.expectCalls(c.path, c.calls)
}
