# Credentials from the environment: WECHAT_APP_ID and WECHAT_APP_SECRET.
terraform {
  required_providers {
    wechat = {
      source  = "wechat-tf/wechat"
      version = "~> 0.1"
    }
  }
}

provider "wechat" {}

# Or in the provider block, with the secret from a variable marked sensitive.
provider "wechat" {
  alias      = "explicit"
  app_id     = "wx1234567890abcdef"
  app_secret = var.wechat_app_secret
}

# A third-party platform calls on behalf of an account with its
# authorizer_access_token, obtained elsewhere and passed as it is.
provider "wechat" {
  alias        = "third_party"
  access_token = var.authorizer_access_token
}

variable "wechat_app_secret" {
  type      = string
  sensitive = true
}

variable "authorizer_access_token" {
  type      = string
  sensitive = true
}
