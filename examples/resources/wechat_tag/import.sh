# Import a tag by its WeChat tag id.
terraform import wechat_tag.vip 134
