# The followers that carry the tag 134, each with all the tags it carries now.
list "wechat_user_tags" "vip" {
  provider         = wechat
  include_resource = true
  config {
    tag_id = 134
  }
}
