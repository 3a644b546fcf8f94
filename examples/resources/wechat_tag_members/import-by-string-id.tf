# Import the members of a tag by tag id (Terraform 1.5 and later).
import {
  to = wechat_tag_members.vip
  id = "134"
}
