# Adopt existing objects by their identity instead of an import string
# (Terraform 1.12 and later, OpenTofu 1.12 and later).
terraform {
  required_version = ">= 1.12.0"

  required_providers {
    wechat = {
      source  = "wechat-tf/wechat"
      version = "~> 0.1"
    }
  }
}

import {
  to       = wechat_tag.returning_customers
  identity = { id = 100 }
}

resource "wechat_tag" "returning_customers" {
  name = "老客户"
}

import {
  to       = wechat_user_tags.alice
  identity = { openid = "ocYxcuAEy30bX0NXmGn4ypqx3tI0" }
}

resource "wechat_user_tags" "alice" {
  openid  = "ocYxcuAEy30bX0NXmGn4ypqx3tI0"
  tag_ids = [wechat_tag.returning_customers.id, 2]
}

import {
  to       = wechat_tag_members.returning_customers
  identity = { tag_id = 100 }
}

resource "wechat_tag_members" "returning_customers" {
  tag_id  = wechat_tag.returning_customers.id
  openids = ["ocYxcuAEy30bX0NXmGn4ypqx3tI0"]
}
