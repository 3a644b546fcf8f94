# Adopt a tag and a follower's tags made before Terraform managed the account
# (Terraform 1.5 and later). The plan shows the imports; the apply records them
# in the state without changing anything on WeChat.
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

resource "wechat_tag" "returning_customers" {
  name = "老客户"
}

import {
  to = wechat_user_tags.alice
  id = "ocYxcuAEy30bX0NXmGn4ypqx3tI0"
}

# List every tag the follower carries now (here 老客户 and the star, 2): a tag
# left out is taken from the follower by the apply that imports it.
resource "wechat_user_tags" "alice" {
  openid  = "ocYxcuAEy30bX0NXmGn4ypqx3tI0"
  tag_ids = [wechat_tag.returning_customers.id, 2]
}
