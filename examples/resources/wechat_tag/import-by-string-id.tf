# Import a tag by its WeChat tag id (Terraform 1.5 and later).
import {
  to = wechat_tag.vip
  id = "134"
}
