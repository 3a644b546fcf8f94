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
	recorded := func(raw string) *memoryPrivate {
		p := &memoryPrivate{keys: map[string][]byte{}}
		if raw != "" {
			p.keys[accountKey] = []byte(raw)
		}
		return p
	}
	of := func(appID string) string { return fmt.Sprintf(`{"app_id":%q}`, appID) }
	tests := []struct {
		name    string
		private *memoryPrivate
		appID   string
		// refusal is the summary of the refusal, "" when the provider may go on.
		refusal      string
		refusalNames []string
		wantRecorded string
	}{
		{name: "same account", private: recorded(of(accountA)), appID: accountA, wantRecorded: accountA},
		{
			name: "another account", private: recorded(of(accountB)), appID: accountA,
			refusal:      "Credentials of another account",
			refusalNames: []string{"created or imported under the Official Account with AppID " + accountB, "the credentials of AppID " + accountA, "the state is left as it was", "terraform state rm"},
			wantRecorded: accountB,
		},
		{name: "a state from before the guard adopts the account", private: recorded(""), appID: accountA, wantRecorded: accountA},
		{
			name: "a token whose account the provider cannot name is refused a recorded resource", private: recorded(of(accountB)), appID: "",
			refusal:      "Account of the access token unknown",
			refusalNames: []string{"AppID " + accountB, "access_token and no app_id", `app_id = "` + accountB + `"`, "the state is left as it was"},
			wantRecorded: accountB,
		},
		{name: "a token whose account the provider cannot name leaves an old state unrecorded", private: recorded(""), appID: "", wantRecorded: ""},
		{
			name: "a record that does not parse is refused, never replaced", private: recorded(`"wx"`), appID: accountA,
			refusal: "Damaged record of the account", refusalNames: []string{"does not parse", "terraform state rm"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			private := recordsOf(tt.private, tt.private)
			refusal := private.refuseOtherAccount(t.Context(), tt.appID)
			if tt.refusal == "" {
				if refusal != nil {
					t.Fatalf("refused: %s: %s", refusal.Summary(), refusal.Detail())
				}
				var diags diag.Diagnostics
				private.recordAccount(t.Context(), tt.appID, &diags)
				expectNoDiagnostics(t, diags)
			} else {
				if refusal == nil {
					t.Fatal("not refused")
				}
				expectDiagnostic(t, diag.Diagnostics{refusal}, tt.refusal, tt.refusalNames...)
			}
			if got, err := private.recordedAppID(t.Context()); tt.wantRecorded != "" && (err != nil || got != tt.wantRecorded) {
				t.Errorf("recorded AppID %q (%v), want %q", got, err, tt.wantRecorded)
			}
		})
	}
	t.Run("no private state records nothing and fails nothing", func(t *testing.T) {
		var diags diag.Diagnostics
		var none *memoryPrivate
		recordsOf(none, none).recordAccount(t.Context(), accountA, &diags)
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
	// A token copied from another pipeline, with nothing that names its account.
	otherBareToken := fmt.Sprintf("provider \"wechat\" {\n  access_token = %q\n  base_url = %q\n}\n", other.IssueAccessToken(), other.URL)
	refusedUnnamed := expectError(fmt.Sprintf(`Account of the access token unknown.*AppID %s`, testAppID))

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
			{Config: otherBareToken + resources, PlanOnly: true, ExpectError: refusedUnnamed},
			{Config: otherBareToken + resources, ExpectError: refusedUnnamed},
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
