terraform {
  required_providers {
    wechat = {
      source  = "wechat-tf/wechat"
      version = "~> 0.1"
    }
  }
}

# No credentials here: WECHAT_APP_ID and WECHAT_APP_SECRET come from the CI
# system's secret store, as environment variables of the job.
provider "wechat" {}

resource "wechat_tag" "vip" {
  name = "VIP"
}
