package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Resource identity (Terraform 1.12 and later) names the remote object a resource manages,
// so that `import { identity = {...} }` and tools that list resources need no import string.
// CLIs without identity support ignore it; the framework then hands the methods a nil
// *tfsdk.ResourceIdentity, which every setter below tolerates.

// tagIdentityModel identifies a wechat_tag by the id WeChat gave the tag.
type tagIdentityModel struct {
	ID types.Int64 `tfsdk:"id"`
}

// tagMembersIdentityModel identifies a wechat_tag_members by the id of its tag.
type tagMembersIdentityModel struct {
	TagID types.Int64 `tfsdk:"tag_id"`
}

// followerIdentityModel identifies a wechat_user_tags by the follower's openid.
type followerIdentityModel struct {
	OpenID types.String `tfsdk:"openid"`
}
