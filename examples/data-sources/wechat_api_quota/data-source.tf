# Today's quota of tags/getidlist, which each wechat_user_tags spends once per plan.
terraform {
  required_providers {
    wechat = {
      source  = "wechat-tf/wechat"
      version = "~> 0.1"
    }
  }
}

data "wechat_api_quota" "getidlist" {
  cgi_path = "/cgi-bin/tags/getidlist"
}

output "getidlist_calls_left_today" {
  value = data.wechat_api_quota.getidlist.remain
}
