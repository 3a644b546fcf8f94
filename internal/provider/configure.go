package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

// The provider reaches WeChat through these interfaces, as go-tfe's resources reach
// Terraform Cloud, so that every Read, Create, Update and Delete path can be tested with
// a fake under plain go test. *wechat.Client implements them.

// accountAPI names the account the provider acts for.
type accountAPI interface {
	// AppID is the account's AppID, "" when the provider has a token obtained elsewhere
	// and no app_id naming its account.
	AppID() string
}

// tagsAPI is what wechat_tag and the tag data sources ask of WeChat.
type tagsAPI interface {
	accountAPI
	CreateTag(ctx context.Context, name string) (wechat.Tag, error)
	RenameTag(ctx context.Context, id int64, name string) error
	DeleteTag(ctx context.Context, id int64) error
	// CachedTags is the account's tags as one tags/get of this process read them.
	CachedTags(ctx context.Context) ([]wechat.Tag, error)
	// LookupTag finds one tag in that snapshot; a tag it does not list is proved gone
	// (wechat.IsTagNotFound).
	LookupTag(ctx context.Context, id int64) (wechat.Tag, error)
}

// membershipsAPI is what wechat_user_tags and wechat_tag_members ask of WeChat: the
// memberships, and the account's tags, to check tag ids at plan time.
type membershipsAPI interface {
	accountAPI
	// KnownTags is the account's tags as one tags/get of this process read them, their
	// follower counts aside.
	KnownTags(ctx context.Context) ([]wechat.Tag, error)
	FollowerTags(ctx context.Context, openid string) ([]int64, error)
	TagMembers(ctx context.Context, tagID int64) ([]string, error)
	TagFollowers(ctx context.Context, tagID int64, openids []string) error
	UntagFollowers(ctx context.Context, tagID int64, openids []string) error
}

// quotaAPI is what wechat_api_quota asks of WeChat.
type quotaAPI interface {
	APIQuota(ctx context.Context, cgiPath string) (wechat.APIQuota, error)
}

// tokenAPI is what wechat_access_token asks of the client: its own token.
type tokenAPI interface {
	accountAPI
	AccessToken(ctx context.Context) (string, time.Time, error)
}

// wechatAPI is all of it: what the provider's Configure hands every resource.
type wechatAPI interface {
	tagsAPI
	membershipsAPI
	quotaAPI
	tokenAPI
}

var _ wechatAPI = (*wechat.Client)(nil)

// providerData is what the provider's Configure hands every resource, data source, list
// resource and ephemeral resource: the client, and what the wechat_tag resources of one
// command plan together.
type providerData struct {
	client wechatAPI
	tags   *tagTally
}

// providerDataFrom takes what the provider's Configure made. It is nil while Terraform
// validates a configuration before the provider is configured.
func providerDataFrom(data any, diags *diag.Diagnostics) *providerData {
	if data == nil {
		return nil
	}
	pd, ok := data.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data",
			fmt.Sprintf("Expected *providerData, got %T. This is a bug in the provider; please report it.", data))
		return nil
	}
	return pd
}

// clientFrom takes the client the provider's Configure made: nil while Terraform
// validates a configuration before the provider is configured. Being an interface, it
// stays nil when assigned to the narrower interfaces above.
func clientFrom(data any, diags *diag.Diagnostics) wechatAPI {
	if pd := providerDataFrom(data, diags); pd != nil {
		return pd.client
	}
	return nil
}
