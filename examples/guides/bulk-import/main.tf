# Adopt every tag of the account in one apply (Terraform 1.7 and later).
#
# The tags are keyed by id, which WeChat never changes. Keyed by name, a tag
# renamed in the WeChat console would move to another address, and Terraform
# would plan to destroy it. The starred system tag (2) is left out: WeChat
# defines it, and a wechat_tag refuses to import it.
terraform {
  # import blocks with for_each
  required_version = ">= 1.7.0"

  required_providers {
    wechat = {
      source  = "wechat-tf/wechat"
      version = "~> 0.1"
    }
  }
}

data "wechat_tags" "all" {}

locals {
  account_tags = { for t in data.wechat_tags.all.tags : tostring(t.id) => t if !t.system }
}

import {
  for_each = local.account_tags
  to       = wechat_tag.imported[each.key]
  id       = each.key
}

resource "wechat_tag" "imported" {
  for_each = local.account_tags
  name     = each.value.name
}
