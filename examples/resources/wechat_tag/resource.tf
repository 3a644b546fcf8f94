resource "wechat_tag" "vip" {
  name = "VIP"
}

# Names are up to 30 bytes of UTF-8: at most 10 Chinese characters.
resource "wechat_tag" "guangdong" {
  name = "广东"
}
