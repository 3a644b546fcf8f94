package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

// memoryPrivate is a resource's private state in memory, as the framework keeps it.
type memoryPrivate struct{ keys map[string][]byte }

func (p *memoryPrivate) GetKey(_ context.Context, key string) ([]byte, diag.Diagnostics) {
	return p.keys[key], nil
}

func (p *memoryPrivate) SetKey(_ context.Context, key string, value []byte) diag.Diagnostics {
	p.keys[key] = value
	return nil
}

func TestAccountGuard(t *testing.T) {
	const accountA, accountB = "wx00000000000000aa", "wx00000000000000bb"
	recorded := func(appID string) *memoryPrivate {
		p := &memoryPrivate{keys: map[string][]byte{}}
		if appID != "" {
			p.keys[accountKey] = fmt.Appendf(nil, `{"app_id":%q}`, appID)
		}
		return p
	}
	tests := []struct {
		name         string
		private      *memoryPrivate
		appID        string
		wantSame     bool
		wantRecorded string
	}{
		{"same account", recorded(accountA), accountA, true, accountA},
		{"another account", recorded(accountB), accountA, false, accountB},
		{"a state from before the guard adopts the account", recorded(""), accountA, true, accountA},
		{"an unnamed token checks and records nothing", recorded(accountB), "", true, accountB},
		{"an unnamed token leaves an old state unrecorded", recorded(""), "", true, ""},
		{"a record that does not parse is replaced", &memoryPrivate{keys: map[string][]byte{accountKey: []byte(`"wx"`)}}, accountA, true, accountA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var diags diag.Diagnostics
			same := sameAccount(t.Context(), tt.private, tt.appID, &diags)
			if same != tt.wantSame {
				t.Fatalf("sameAccount = %v, want %v", same, tt.wantSame)
			}
			if same {
				expectNoDiagnostics(t, diags)
				recordAccount(t.Context(), tt.private, tt.appID, &diags)
				expectNoDiagnostics(t, diags)
			} else {
				expectDiagnostic(t, diags, "Credentials of another account",
					"created or imported under the Official Account with AppID "+accountB, "the credentials of AppID "+accountA,
					"the state is left as it was", "terraform state rm")
			}
			if got := recordedAppID(t.Context(), tt.private); got != tt.wantRecorded {
				t.Errorf("recorded AppID %q, want %q", got, tt.wantRecorded)
			}
		})
	}
	t.Run("no private state records nothing and fails nothing", func(t *testing.T) {
		var diags diag.Diagnostics
		var none *memoryPrivate
		recordAccount(t.Context(), none, accountA, &diags)
		expectNoDiagnostics(t, diags)
	})
}

// guardedResources are one resource of each type on the test mock's account: tag 100
// (VIP) for alice and bob, and a tag of Terraform's own.
func guardedResources(m *testMock) string {
	return fmt.Sprintf(`
resource "wechat_tag" "campaign" {
  name = "campaign"
}

resource "wechat_user_tags" "alice" {
  openid  = %q
  tag_ids = [100]
}

resource "wechat_tag_members" "vip" {
  tag_id  = 100
  openids = [%q]
}
`, m.follower(0), m.follower(1))
}

// The credentials of another account, in any form, make every refresh fail before a call
// of that account's, and leave every resource in the state: under the right credentials
// again, the plan is empty.
func TestAccAccountGuard_anotherAccountsCredentialsKeepEveryResource(t *testing.T) {
	m := newTestMock(t, mockwechat.Config{Tags: []string{"VIP"}})
	// The other account does not know this account's followers, as WeChat says with 49003,
	// nor has it their tags.
	other := newTestMock(t, mockwechat.Config{
		AppID: "wx0b0b0b0b0b0b0b0b", AppSecret: "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		Followers:      mockwechat.GenerateOpenIDs(2, 99),
		ForeignOpenIDs: m.Followers(),
	})
	resources := guardedResources(m)
	refused := expectError(fmt.Sprintf(`Credentials of another account.*AppID %s, but the provider has the credentials of AppID %s`, testAppID, other.appID))
	otherNamedToken := fmt.Sprintf("provider \"wechat\" {\n  access_token = %q\n  app_id = %q\n  base_url = %q\n}\n", other.IssueAccessToken(), other.appID, other.URL)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			// Created with a token whose account nobody named: nothing is recorded...
			{Config: m.staticTokenProviderConfig() + resources},
			// ...until a refresh under credentials that name it adopts the account.
			{Config: m.providerConfig() + resources, ConfigPlanChecks: plansNothing()},
			{Config: other.providerConfig() + resources, PlanOnly: true, ExpectError: refused},
			{Config: other.providerConfig() + resources, ExpectError: refused},
			{Config: otherNamedToken + resources, PlanOnly: true, ExpectError: refused},
			// Every resource is still in the state, and the account unchanged.
			{Config: m.providerConfig() + resources, PlanOnly: true},
			{Config: m.providerConfig() + resources, ConfigPlanChecks: plansNothing()},
		},
	})
	for path, n := range other.Calls() {
		if path != "/cgi-bin/stable_token" && n != 0 {
			t.Errorf("the other account was called at %s %d times; the guard must stop before any call", path, n)
		}
	}
}
