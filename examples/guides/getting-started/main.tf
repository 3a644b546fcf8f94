# A first configuration. Credentials and the address of the API come from the
# environment: WECHAT_APP_ID, WECHAT_APP_SECRET and, for the mock, WECHAT_BASE_URL.
terraform {
  required_providers {
    wechat = {
      source  = "wechat-tf/wechat"
      version = "~> 0.1"
    }
  }
}

provider "wechat" {}

resource "wechat_tag" "vip" {
  name = "VIP"
}
