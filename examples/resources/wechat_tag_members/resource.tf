resource "wechat_tag" "vip" {
  name = "VIP"
}

# Gives the tag to these followers and leaves the tag's other followers alone.
resource "wechat_tag_members" "vip" {
  tag_id = wechat_tag.vip.id
  openids = [
    "ocYxcuAEy30bX0NXmGn4ypqx3tI0",
    "ocYxcuBt0mRugKZ7tGAHPnUaOW7Y",
  ]
}

variable "beta_testers" {
  description = "Openids of the beta testers, for example from a file of one a line: split(\"\\n\", trimspace(file(\"beta-testers.txt\")))"
  type        = list(string)
}

resource "wechat_tag" "beta" {
  name = "内测用户"
}

# Owns the tag's whole membership: followers given the tag outside Terraform lose it.
# sort() keeps the plan free of changes of order alone.
resource "wechat_tag_members" "beta" {
  tag_id    = wechat_tag.beta.id
  openids   = sort(distinct(var.beta_testers))
  exclusive = true
}
