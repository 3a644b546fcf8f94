# Import the members of a tag by tag id. The imported openids are every follower who
# carries the tag now, sorted, and exclusive is false.
terraform import wechat_tag_members.vip 134
