# The configuration to adopt an account into: only the provider. Credentials and the
# address of the API come from the environment (WECHAT_APP_ID, WECHAT_APP_SECRET).
terraform {
  required_providers {
    wechat = {
      source  = "wechat-tf/wechat"
      version = "~> 0.1"
    }
  }
}

provider "wechat" {}
