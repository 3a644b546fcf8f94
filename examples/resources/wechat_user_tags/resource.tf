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

resource "wechat_tag" "guangdong" {
  name = "广东"
}

# Manages these two tags of the follower and leaves any other tag alone.
resource "wechat_user_tags" "alice" {
  openid  = "ocYxcuAEy30bX0NXmGn4ypqx3tI0"
  tag_ids = [wechat_tag.vip.id, wechat_tag.guangdong.id]
}

# Owns every tag of the follower: tags given outside Terraform are removed.
resource "wechat_user_tags" "bob" {
  openid    = "ocYxcuBt0mRugKZ7tGAHPnUaOW7Y"
  tag_ids   = [wechat_tag.vip.id]
  exclusive = true
}
