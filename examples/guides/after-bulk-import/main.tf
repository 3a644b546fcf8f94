# After the bulk import: the tags written out, so that Terraform manages them.
# A tag renamed in the WeChat console is renamed back, and a tag created there
# is no longer imported. moved blocks give the imported tags names of their own
# without touching WeChat; remove them once every state has moved.
terraform {
  required_providers {
    wechat = {
      source  = "wechat-tf/wechat"
      version = "~> 0.1"
    }
  }
}

resource "wechat_tag" "vip" {
  name = "VIP"
}

moved {
  from = wechat_tag.imported["100"]
  to   = wechat_tag.vip
}

resource "wechat_tag" "returning_customers" {
  name = "老客户"
}

moved {
  from = wechat_tag.imported["101"]
  to   = wechat_tag.returning_customers
}
