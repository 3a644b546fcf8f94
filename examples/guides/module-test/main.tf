# A module under test: a campaign tag, given to one follower.
terraform {
  required_providers {
    wechat = {
      source  = "wechat-tf/wechat"
      version = "~> 0.1"
    }
  }
}

variable "campaign_name" {
  type    = string
  default = "双十一 2026"
}

variable "follower" {
  type        = string
  description = "The openid of a follower to give the campaign tag."
}

resource "wechat_tag" "campaign" {
  name = var.campaign_name
}

resource "wechat_user_tags" "follower" {
  openid  = var.follower
  tag_ids = [wechat_tag.campaign.id]
}

output "campaign_tag_id" {
  value = wechat_tag.campaign.id
}
