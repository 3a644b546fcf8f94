package provider

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

// setting is the value of one provider setting in effect, and where it came from.
type setting struct {
	value string
	// env is the environment variable the value came from; "" when the provider block set
	// it, or nothing did.
	env string
}

func (s setting) set() bool     { return s.value != "" }
func (s setting) inBlock() bool { return s.value != "" && s.env == "" }

// from says where the value came from, for a message.
func (s setting) from() string {
	if s.env != "" {
		return "from the " + s.env + " environment variable"
	}
	return "in the provider block"
}

// settings are the provider's settings in effect: each comes from its attribute, or else
// from its environment variable.
type settings struct {
	appID, appSecret, accessToken                                       setting
	baseURL, tokenEndpoint, maxRetries, requestTimeout, membershipReads setting
}

// readSettings takes each setting from its attribute, or else from its environment
// variable. An attribute unknown at plan time is an error: the provider needs its
// settings to plan.
func readSettings(config providerModel) (settings, diag.Diagnostics) {
	var s settings
	var diags diag.Diagnostics
	for _, f := range []struct {
		attribute string
		value     attr.Value
		env       string
		into      *setting
	}{
		{"app_id", config.AppID, EnvAppID, &s.appID},
		{"app_secret", config.AppSecret, EnvAppSecret, &s.appSecret},
		{"access_token", config.AccessToken, EnvAccessToken, &s.accessToken},
		{"base_url", config.BaseURL, EnvBaseURL, &s.baseURL},
		{"token_endpoint", config.TokenEndpoint, EnvTokenEndpoint, &s.tokenEndpoint},
		{"max_retries", config.MaxRetries, EnvMaxRetries, &s.maxRetries},
		{"request_timeout", config.RequestTimeout, EnvRequestTimeout, &s.requestTimeout},
		{"membership_reads", config.MembershipReads, EnvMembershipReads, &s.membershipReads},
	} {
		switch {
		case f.value.IsUnknown():
			diags.AddAttributeError(path.Root(f.attribute), "Provider attribute unknown at plan time",
				fmt.Sprintf("The provider's %s depends on a value that is known only after apply, but the provider needs it to plan. "+
					"Set it to a value known at plan time, or set the %s environment variable instead.", f.attribute, f.env))
		case f.value.IsNull():
			*f.into = setting{value: os.Getenv(f.env), env: f.env}
			if f.into.value == "" {
				f.into.env = ""
			}
		default:
			*f.into = setting{value: attributeText(f.value)}
		}
	}
	return s, diags
}

// attributeText is the text of a known string or number attribute.
func attributeText(v attr.Value) string {
	switch v := v.(type) {
	case types.String:
		return v.ValueString()
	case types.Int64:
		return strconv.FormatInt(v.ValueInt64(), 10)
	}
	return v.String()
}

// checkTuning reads the retry budget and the request timeout, and checks the choices,
// whose environment variables escape the schema's validators.
func (s settings) checkTuning() (wechat.RetryPolicy, time.Duration, diag.Diagnostics) {
	var diags diag.Diagnostics
	retry := wechat.DefaultRetryPolicy()
	if raw := s.maxRetries.value; raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 || n > maxMaxRetries {
			diags.AddAttributeError(path.Root("max_retries"), "Invalid max_retries",
				fmt.Sprintf("max_retries (or %s) is %q; it must be a whole number from 0 to %d.", EnvMaxRetries, raw, maxMaxRetries))
		}
		retry.MaxRetries = n
	}
	timeout := defaultRequestTimeout
	if raw := s.requestTimeout.value; raw != "" {
		d, err := time.ParseDuration(raw)
		if err != nil || d <= 0 {
			diags.AddAttributeError(path.Root("request_timeout"), "Invalid request_timeout",
				fmt.Sprintf("request_timeout (or %s) is %q; it must be a positive Go duration such as 30s or 1m.", EnvRequestTimeout, raw))
		}
		timeout = d
	}
	if raw := s.membershipReads.value; raw != "" && !slices.Contains(membershipReadsChoices(), raw) {
		diags.AddAttributeError(path.Root("membership_reads"), "Invalid membership_reads",
			fmt.Sprintf("membership_reads (or %s) is %q; it must be one of %s.", EnvMembershipReads, raw, strings.Join(membershipReadsChoices(), ", ")))
	}
	switch s.tokenEndpoint.value {
	case "", string(wechat.StableTokenEndpoint), string(wechat.LegacyTokenEndpoint):
	default:
		diags.AddAttributeError(path.Root("token_endpoint"), "Invalid token_endpoint",
			fmt.Sprintf("token_endpoint (or %s) is %q; it must be stable_token (the default) or token.", EnvTokenEndpoint, s.tokenEndpoint.value))
	}
	return retry, timeout, diags
}

// checkBaseURL is the base URL in effect, checked by the client's rule.
func (s settings) checkBaseURL(diags *diag.Diagnostics) string {
	baseURL := cmp.Or(s.baseURL.value, wechat.DefaultBaseURL)
	if err := wechat.ValidateBaseURL(baseURL); err != nil {
		diags.AddAttributeError(path.Root("base_url"), "Invalid base_url",
			fmt.Sprintf("%s. Set base_url (or %s) to an https URL such as %s.", err, EnvBaseURL, wechat.DefaultBaseURL))
	}
	return baseURL
}

// preferBlockCredentials lets the provider block win over the environment, as the AWS and
// Google providers let an argument win over a variable: credentials of one way to
// authenticate set in the block hide the environment's credentials of the other way, so
// that a WECHAT_APP_ID exported in the shell for another tool does not break a block that
// sets access_token. Beside a token in the block, only an app_id in the block names the
// token's account: one in the environment may be another project's.
func (s *settings) preferBlockCredentials() {
	drop := func(fromEnv ...*setting) {
		for _, s := range fromEnv {
			if s.env != "" {
				*s = setting{}
			}
		}
	}
	switch {
	case s.accessToken.inBlock() && !s.appSecret.inBlock():
		drop(&s.appSecret)
		if !s.appID.inBlock() {
			drop(&s.appID)
		}
	case !s.accessToken.inBlock() && (s.appSecret.inBlock() || s.appID.inBlock() && s.appSecret.set()):
		drop(&s.accessToken)
	}
}

// checkCredentials demands exactly one way to authenticate, among the values in effect:
// app_id with app_secret, or access_token, which an app_id may accompany to name the
// token's account for the account guard. Each diagnostic says where the values came from.
func (s settings) checkCredentials() diag.Diagnostics {
	var diags diag.Diagnostics
	const howTo = "Authenticate either with app_id and app_secret (or the " + EnvAppID + " and " + EnvAppSecret +
		" environment variables), or with access_token (or " + EnvAccessToken + "), which app_id may accompany to name the " +
		"account the token belongs to; never access_token with app_secret. A value set in the provider block wins over the environment."
	switch {
	case s.accessToken.set() && s.appSecret.set():
		diags.AddAttributeError(path.Root("access_token"), "Conflicting WeChat credentials",
			fmt.Sprintf("An access token is set (%s), and so is app_secret (%s). Unset one of them. %s", s.accessToken.from(), s.appSecret.from(), howTo))
	case s.accessToken.set():
	case s.appID.set() && !s.appSecret.set():
		diags.AddAttributeError(path.Root("app_secret"), "Missing WeChat AppSecret",
			fmt.Sprintf("app_id is set (%s) but app_secret is not. Set app_secret or the %s environment variable. %s", s.appID.from(), EnvAppSecret, howTo))
	case s.appSecret.set() && !s.appID.set():
		diags.AddAttributeError(path.Root("app_id"), "Missing WeChat AppID",
			fmt.Sprintf("app_secret is set (%s) but app_id is not. Set app_id or the %s environment variable. %s", s.appSecret.from(), EnvAppID, howTo))
	case !s.appID.set() && !s.appSecret.set():
		diags.AddError("Missing WeChat credentials", "The provider has no credentials. "+howTo)
	}
	return diags
}

// tokenSource is where the client takes its tokens: the access_token as given, or the
// token endpoint with app_id and app_secret.
func (s settings) tokenSource(ctx context.Context, cfg wechat.Config, diags *diag.Diagnostics) wechat.TokenSource {
	if s.accessToken.set() {
		return wechat.StaticToken(s.accessToken.value)
	}
	endpoint := wechat.TokenEndpoint(cmp.Or(s.tokenEndpoint.value, string(wechat.StableTokenEndpoint)))
	shared, err := wechat.SharedTokenSource(cfg, endpoint, s.appID.value, s.appSecret.value)
	if err != nil {
		diags.AddError("Unable to create the WeChat client", err.Error())
		return nil
	}
	// Fetched here, once, so that credentials the service refuses make one error on the
	// provider configuration before any resource is read, not one error per resource. A
	// process that makes no other call, such as the apply of a plan that only imports,
	// pays one stable_token call for it, which returns the token already valid and
	// invalidates nothing. Not so /cgi-bin/token, whose every call replaces the token the
	// account's servers hold: that one is fetched only when a call needs it.
	if endpoint == wechat.StableTokenEndpoint {
		if _, err := shared.Token(ctx); err != nil {
			report(diags, subject{failure: "Unable to obtain a WeChat access token", about: "WeChat " + string(endpoint)}, err)
			return nil
		}
	}
	return shared
}
