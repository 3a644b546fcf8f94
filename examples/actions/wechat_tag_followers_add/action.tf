terraform {
  required_providers {
    wechat = {
      source  = "wechat-tf/wechat"
      version = "~> 0.1"
    }
  }
}

resource "wechat_tag" "event" {
  name = "双12活动"
}

# Gives the tag, once, to the followers who came to the event, one openid a line in the
# file, and leaves it with them afterwards:
#
#   terraform apply -invoke=action.wechat_tag_followers_add.event
action "wechat_tag_followers_add" "event" {
  config {
    tag_id       = wechat_tag.event.id
    openids_file = "${path.module}/event-followers.txt"
  }
}
