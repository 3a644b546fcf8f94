# Every user tag of the account, and the followers of each: the resources an import of
# each would read, with include_resource, so that Terraform can write their blocks.
list "wechat_tag" "account" {
  provider         = wechat
  include_resource = true
}

list "wechat_tag_members" "account" {
  provider         = wechat
  include_resource = true
}
