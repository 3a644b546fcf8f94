terraform {
  required_providers {
    wechat = {
      source  = "wechat-tf/wechat"
      version = "~> 0.1"
    }
  }
}

data "wechat_tags" "all" {}

# The tags a wechat_tag can manage: every tag but the starred system tag (2).
output "account_tag_ids" {
  value = { for t in data.wechat_tags.all.tags : t.name => t.id if !t.system }
}

# Tags no follower carries, perhaps left over from past campaigns.
output "unused_tags" {
  value = [for t in data.wechat_tags.all.tags : t.name if !t.system && t.follower_count == 0]
}
