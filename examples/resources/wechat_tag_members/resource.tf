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

# Gives the tag to these followers and leaves the tag's other followers alone.
resource "wechat_tag_members" "vip" {
  tag_id = wechat_tag.vip.id
  openids = [
    "ocYxcuAEy30bX0NXmGn4ypqx3tI0",
    "ocYxcuBt0mRugKZ7tGAHPnUaOW7Y",
  ]
}

variable "beta_testers" {
  description = "Openids of the beta testers, for example from a file of one a line: split(\"\\n\", trimspace(file(\"beta-testers.txt\")))"
  type        = list(string)
}

resource "wechat_tag" "beta" {
  name = "内测用户"
}

# Owns the tag's whole membership: followers given the tag outside Terraform lose it.
# sort() keeps the plan free of changes of order alone.
resource "wechat_tag_members" "beta" {
  tag_id    = wechat_tag.beta.id
  openids   = sort(distinct(var.beta_testers))
  exclusive = true
}

resource "wechat_tag" "campaign" {
  name = "双十一活动"
}

# For tags of tens of thousands of followers: the file lists them, one openid a line,
# and the state holds their digest and count. The plan names the followers a change
# adds and removes in a warning.
resource "wechat_tag_members" "campaign" {
  tag_id       = wechat_tag.campaign.id
  openids_file = "${path.module}/campaign-members.txt"
}
