# Import the tags of a follower by openid (Terraform 1.5 and later).
import {
  to = wechat_user_tags.alice
  id = "ocYxcuAEy30bX0NXmGn4ypqx3tI0"
}
