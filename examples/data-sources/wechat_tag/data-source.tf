# A tag made in the WeChat console, which this configuration uses but does not manage.
terraform {
  required_providers {
    wechat = {
      source  = "wechat-tf/wechat"
      version = "~> 0.1"
    }
  }
}

data "wechat_tag" "returning_customers" {
  name = "老客户"
}

# The starred system tag, looked up by id.
data "wechat_tag" "starred" {
  id = 2
}

resource "wechat_user_tags" "alice" {
  openid  = "ocYxcuAEy30bX0NXmGn4ypqx3tI0"
  tag_ids = [data.wechat_tag.returning_customers.id, data.wechat_tag.starred.id]
}
