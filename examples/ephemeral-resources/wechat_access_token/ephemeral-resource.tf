# The provider's own token, for another provider configuration of the same run: here a
# second configuration of this provider that authenticates with it, as a generic REST
# provider would take it in its headers or query. Terraform writes the token to no plan
# and no state (Terraform 1.10 and later, OpenTofu 1.11 and later).
terraform {
  required_version = ">= 1.10.0"

  required_providers {
    wechat = {
      source  = "wechat-tf/wechat"
      version = "~> 0.1"
    }
  }
}

ephemeral "wechat_access_token" "this" {}

provider "wechat" {
  alias        = "by_token"
  access_token = ephemeral.wechat_access_token.this.token
}

resource "wechat_tag" "made_with_the_token" {
  provider = wechat.by_token
  name     = "made-with-the-token"
}
