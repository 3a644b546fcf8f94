# Import the members of a tag by its identity, the tag id (Terraform 1.12 and later,
# OpenTofu 1.12 and later).
terraform {
  required_version = ">= 1.12.0"
}

import {
  to       = wechat_tag_members.beta
  identity = { tag_id = 135 }
}
