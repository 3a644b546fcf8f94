# The demo's third step copies this file beside main.tf.
#
# 老客户 ("returning customers") was created in the WeChat console before Terraform
# managed the account; the demo's mock starts with it, as tag 100. The import block
# adopts the existing tag instead of creating a second one of the same name, which
# WeChat would refuse.

import {
  to = wechat_tag.returning_customers
  id = "100"
}

resource "wechat_tag" "returning_customers" {
  name = "老客户"
}
