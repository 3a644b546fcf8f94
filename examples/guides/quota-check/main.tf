# Warn in every plan when today's tags/getidlist quota runs low: each wechat_user_tags
# of the configuration spends one call per plan (two when it changes).
terraform {
  required_providers {
    wechat = {
      source  = "wechat-tf/wechat"
      version = "~> 0.1"
    }
  }
}

variable "getidlist_calls_per_plan" {
  description = "tags/getidlist calls one plan of this configuration makes: one per wechat_user_tags."
  type        = number
  default     = 200
}

check "getidlist_quota" {
  data "wechat_api_quota" "getidlist" {
    cgi_path = "/cgi-bin/tags/getidlist"
  }

  assert {
    condition     = data.wechat_api_quota.getidlist.remain >= 5 * var.getidlist_calls_per_plan
    error_message = "Only ${data.wechat_api_quota.getidlist.remain} of the ${data.wechat_api_quota.getidlist.daily_limit} tags/getidlist calls of today remain: fewer than 5 plans of this configuration. The quota resets at midnight China Standard Time."
  }
}
