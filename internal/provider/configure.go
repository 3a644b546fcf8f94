package provider

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

// clientFrom takes the client the provider's Configure made. It is nil while Terraform
// validates a configuration before the provider is configured.
func clientFrom(providerData any, diags *diag.Diagnostics) *wechat.Client {
	if providerData == nil {
		return nil
	}
	client, ok := providerData.(*wechat.Client)
	if !ok {
		diags.AddError("Unexpected provider data",
			fmt.Sprintf("Expected *wechat.Client, got %T. This is a bug in the provider; please report it.", providerData))
	}
	return client
}
