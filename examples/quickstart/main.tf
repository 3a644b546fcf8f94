# The quickstart that `make demo` runs against the mock WeChat server.
#
# Credentials and the address of the API come from the environment
# (WECHAT_APP_ID, WECHAT_APP_SECRET, WECHAT_BASE_URL), as they would in CI.

terraform {
  required_providers {
    wechat = {
      source  = "wechat-tf/wechat"
      version = "~> 0.1"
    }
  }
}

provider "wechat" {}

variable "alice" {
  description = "openid of a follower of the account."
  type        = string
  default     = "oK3vT8sQpZ1mYx7RbN2cLd9WfE4a"
}

variable "bob" {
  description = "openid of another follower of the account."
  type        = string
  default     = "oK3vT8sVh5JqWn0GkP6tUe2MzX8b"
}

resource "wechat_tag" "vip" {
  name = "VIP"
}

resource "wechat_tag" "guangdong" {
  name = "广东"
}

# Alice carries both tags. Tags the account's own servers give her stay untouched,
# because exclusive is false by default.
resource "wechat_user_tags" "alice" {
  openid  = var.alice
  tag_ids = [wechat_tag.vip.id, wechat_tag.guangdong.id]
}

# Bob carries only the VIP tag, and nothing else: exclusive makes Terraform remove
# any tag given to him outside this configuration.
resource "wechat_user_tags" "bob" {
  openid    = var.bob
  tag_ids   = [wechat_tag.vip.id]
  exclusive = true
}
