terraform {
  required_providers {
    wechat = {
      source  = "wechat-tf/wechat"
      version = "~> 0.1"
    }
  }
}

# The tag of a campaign, given to its first followers in the apply that creates it. The
# action runs after the creation, when the tag's id is known; later applies leave the
# tag's followers alone.
resource "wechat_tag" "launch" {
  name = "新品首发"

  lifecycle {
    action_trigger {
      events  = [after_create]
      actions = [action.wechat_tag_followers_add.launch]
    }
  }
}

action "wechat_tag_followers_add" "launch" {
  config {
    tag_id = wechat_tag.launch.id
    openids = [
      "ocYxcuAEy30bX0NXmGn4ypqx3tI0",
      "ocYxcuBt0mRugKZ7tGAHPnUaOW7Y",
    ]
  }
}
