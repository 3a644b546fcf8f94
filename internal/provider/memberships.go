package provider

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/wechat-tf/terraform-provider-wechat/internal/membership"
	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

// wechat_user_tags and wechat_tag_members are one membership seen from its two sides, and
// the membership engine reconciles both; these stores are how it reaches WeChat.

// followerTags is the membership of one follower's tags: its members are tag ids, and
// each change is one batch call for one tag and this follower.
type followerTags struct {
	api    membershipsAPI
	openid string
}

var followerTagsConfig = membership.Config{
	BatchSize:   1,
	Limit:       wechat.MaxTagsPerFollower,
	IsAmbiguous: wechat.IsAmbiguous,
}

func (followerTags) config() membership.Config { return followerTagsConfig }
func (followerTags) unit() string              { return "tags" }

func (s followerTags) Members(ctx context.Context) ([]int64, error) {
	return s.api.FollowerTags(ctx, s.openid)
}

func (s followerTags) Add(ctx context.Context, batch []int64) error {
	return s.api.TagFollowers(ctx, batch[0], []string{s.openid})
}

func (s followerTags) Remove(ctx context.Context, batch []int64) error {
	return s.api.UntagFollowers(ctx, batch[0], []string{s.openid})
}

// tagFollowers is the membership of one tag: its members are openids, changed in calls
// of 50.
type tagFollowers struct {
	api   membershipsAPI
	tagID int64
}

var tagFollowersConfig = membership.Config{
	BatchSize:   wechat.MaxOpenIDsPerBatch,
	IsAmbiguous: wechat.IsAmbiguous,
}

func (tagFollowers) config() membership.Config { return tagFollowersConfig }
func (tagFollowers) unit() string              { return "openids" }

func (s tagFollowers) Members(ctx context.Context) ([]string, error) {
	return s.api.TagMembers(ctx, s.tagID)
}

func (s tagFollowers) Add(ctx context.Context, batch []string) error {
	return s.api.TagFollowers(ctx, s.tagID, batch)
}

func (s tagFollowers) Remove(ctx context.Context, batch []string) error {
	return s.api.UntagFollowers(ctx, s.tagID, batch)
}

// membershipStore is one of the two sides above.
type membershipStore[M cmp.Ordered] interface {
	membership.Store[M]
	config() membership.Config
	// unit names the members in messages.
	unit() string
}

// converge reads the membership of store and moves it toward goal. It returns the members
// that hold the key afterwards, as far as known: known is false when the first read
// failed, and nothing was changed. A failed change says how much of it was applied.
func converge[M cmp.Ordered](ctx context.Context, store membershipStore[M], goal membership.Goal[M]) (held []M, known bool, err error) {
	held, err = store.Members(ctx)
	if err != nil {
		return nil, false, err
	}
	out, err := membership.Reconcile(ctx, store.config(), store, goal, held)
	switch {
	case err == nil || out.Applied == 0:
	case ctx.Err() != nil || wechat.IsAmbiguous(err):
		err = fmt.Errorf("%w (after %d %s were changed, and perhaps those of the call whose answer was lost)", err, out.Applied, store.unit())
	default:
		err = fmt.Errorf("%w (after %d %s were changed)", err, out.Applied, store.unit())
	}
	return out.Held, true, err
}

// checkTagsExist reports, at plan time, the tag ids among ids that the account does not
// have: WeChat would refuse them at apply, after other resources were changed. It reads
// the tags/get every tag read of the plan shares. When that read fails, it warns and
// leaves the check to WeChat at apply.
func checkTagsExist(ctx context.Context, api membershipsAPI, attribute path.Path, ids []int64, diags *diag.Diagnostics) {
	if len(ids) == 0 {
		return
	}
	tags, err := api.KnownTags(ctx)
	if err != nil {
		diags.AddAttributeWarning(attribute, "Unable to check the tag ids",
			fmt.Sprintf("Reading the account's tags to check that tags %v exist failed; the apply meets WeChat's own check: %s", ids, err))
		return
	}
	for _, id := range ids {
		if _, found := tagWhere(tags, func(t wechat.Tag) bool { return t.ID == id }); !found {
			diags.Append(tagNotFound.diagnostic(subject{tagID: id, where: attributes{tag: attribute}}, nil, nil))
		}
	}
}

// refusedBatch explains a batch of followers WeChat refused for some of them, without
// saying which: it looks each follower up, one tags/getidlist call each (at most 50, on
// this failure only), and reports them by condition.
func refusedBatch(ctx context.Context, api membershipsAPI, s subject, batchErr *membership.BatchError[string], err error) diag.Diagnostics {
	var diags diag.Diagnostics
	culprits := map[*condition[error]][]string{}
	for _, openid := range batchErr.Batch {
		tags, lookupErr := api.FollowerTags(ctx, openid)
		switch {
		case wechat.IsUnknownFollower(lookupErr):
			culprits[notAFollower] = append(culprits[notAFollower], openid)
		case wechat.IsOpenIDOfAnotherApp(lookupErr):
			culprits[openIDOfAnotherApp] = append(culprits[openIDOfAnotherApp], openid)
		case lookupErr == nil && batchErr.Op == membership.OpAdd && len(tags) >= wechat.MaxTagsPerFollower && !slices.Contains(tags, s.tagID):
			culprits[followerTagLimitOfMember] = append(culprits[followerTagLimitOfMember], openid)
		}
	}
	for _, c := range []*condition[error]{notAFollower, openIDOfAnotherApp, followerTagLimitOfMember} {
		if openids := culprits[c]; len(openids) > 0 {
			s.openids = openids
			diags.Append(c.diagnostic(s, err, err))
		}
	}
	if !diags.HasError() {
		s.openids = batchErr.Batch
		diags.Append(followersRefusedUnexplained.diagnostic(s, err, err))
	}
	return diags
}

// refusedForFollowers reports whether WeChat refused a batch because of some of its
// followers, rather than the tag or the service.
func refusedForFollowers(err error) (*membership.BatchError[string], bool) {
	var batchErr *membership.BatchError[string]
	if !errors.As(err, &batchErr) {
		return nil, false
	}
	return batchErr, wechat.IsUnknownFollower(err) || wechat.IsOpenIDOfAnotherApp(err) || wechat.HasCode(err, wechat.CodeUserTagLimitReached)
}
