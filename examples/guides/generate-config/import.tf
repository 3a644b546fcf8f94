# Import blocks without resource blocks: terraform plan -generate-config-out
# writes the resource blocks from what WeChat holds.
terraform {
  required_providers {
    wechat = {
      source  = "wechat-tf/wechat"
      version = "~> 0.1"
    }
  }
}

import {
  to = wechat_tag.returning_customers
  id = "100"
}

import {
  to = wechat_user_tags.alice
  id = "ocYxcuAEy30bX0NXmGn4ypqx3tI0"
}
