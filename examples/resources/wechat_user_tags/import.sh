# Import the tags of a follower by openid. The imported tag_ids are every tag the
# follower carries now, and exclusive is false.
terraform import wechat_user_tags.alice ocYxcuAEy30bX0NXmGn4ypqx3tI0
