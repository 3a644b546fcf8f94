# Every user tag of the account, and the followers of each: the resources an import of
# each would read, with include_resource, so that Terraform can write their blocks.
list "wechat_tag" "account" {
  provider         = wechat
  include_resource = true
}

list "wechat_tag_members" "account" {
  provider         = wechat
  include_resource = true

  config {
    # A tag of 1,000 followers or more has them written to openids/<tag id>.txt, which
    # its generated block names in openids_file; a smaller tag lists them in openids.
    openids_file_from = 1000
  }
}
