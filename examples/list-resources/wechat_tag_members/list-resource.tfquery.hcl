# One result per user tag of the account; include_resource = true would also read
# every tag's followers.
list "wechat_tag_members" "account" {
  provider = wechat
}
