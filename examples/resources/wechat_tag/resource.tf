terraform {
  required_providers {
    wechat = {
      source  = "wechat-tf/wechat"
      version = "~> 0.1"
    }
  }
}

resource "wechat_tag" "vip" {
  name = "VIP"
}

# Names are up to 30 bytes of UTF-8: at most 10 Chinese characters.
resource "wechat_tag" "guangdong" {
  name = "广东"
}
