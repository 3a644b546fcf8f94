# Every user tag of the account whose name starts with "campaign-".
list "wechat_tag" "campaigns" {
  provider = wechat
  config {
    name_prefix = "campaign-"
  }
}
