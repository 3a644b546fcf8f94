# terraform test (1.6 or later) against the standalone mock: the provider reads
# WECHAT_BASE_URL, WECHAT_APP_ID and WECHAT_APP_SECRET from the environment.
variables {
  follower = "oK3vT8sQpZ1mYx7RbN2cLd9WfE4a"
}

run "creates_the_tag_and_tags_the_follower" {
  assert {
    condition     = wechat_tag.campaign.id >= 100
    error_message = "WeChat gives the tags an account creates ids from 100."
  }

  assert {
    condition     = contains(wechat_user_tags.follower.tag_ids, wechat_tag.campaign.id)
    error_message = "The follower does not carry the campaign tag."
  }
}

run "renames_in_place" {
  variables {
    campaign_name = "双十一 2026 (ended)"
  }

  assert {
    condition     = wechat_tag.campaign.name == "双十一 2026 (ended)"
    error_message = "The tag was not renamed."
  }
}
