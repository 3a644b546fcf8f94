# Import the tags of a follower by its identity, the openid (Terraform 1.12 and later,
# OpenTofu 1.12 and later).
terraform {
  required_version = ">= 1.12.0"
}

import {
  to       = wechat_user_tags.bob
  identity = { openid = "ocYxcuBt0mRugKZ7tGAHPnUaOW7Y" }
}
