terraform {
  required_providers {
    wechat = {
      source  = "wechat-tf/wechat"
      version = "~> 0.1"
    }
  }
}

data "wechat_tag" "vip" {
  name = "VIP"
}

data "wechat_tag_members" "vip" {
  tag_id = data.wechat_tag.vip.id
}

output "vip_follower_count" {
  value = data.wechat_tag_members.vip.follower_count
}

# Give every follower who carries VIP the tag 会员日 ("members' day") too. One
# wechat_user_tags per follower refreshes with one API call each: this suits tags
# carried by hundreds of followers, not by hundreds of thousands.
resource "wechat_tag" "members_day" {
  name = "会员日"
}

resource "wechat_user_tags" "members_day" {
  for_each = toset(data.wechat_tag_members.vip.openids)

  openid  = each.value
  tag_ids = [wechat_tag.members_day.id]
}
