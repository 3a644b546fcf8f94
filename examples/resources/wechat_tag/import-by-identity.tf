# Import a tag by its identity, the WeChat tag id (Terraform 1.12 and later, OpenTofu 1.12
# and later).
terraform {
  required_version = ">= 1.12.0"
}

import {
  to       = wechat_tag.guangdong
  identity = { id = 135 }
}
