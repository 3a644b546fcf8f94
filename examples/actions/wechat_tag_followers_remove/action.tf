terraform {
  required_providers {
    wechat = {
      source  = "wechat-tf/wechat"
      version = "~> 0.1"
    }
  }
}

variable "event_tag_id" {
  description = "The id of the event's tag, such as 134: data.wechat_tags lists every tag."
  type        = number
}

# Takes the tag, once, from the followers of the file who carry it; the tag's other
# followers keep it:
#
#   terraform apply -invoke=action.wechat_tag_followers_remove.event -var event_tag_id=134
action "wechat_tag_followers_remove" "event" {
  config {
    tag_id       = var.event_tag_id
    openids_file = "${path.module}/event-followers.txt"
  }
}
