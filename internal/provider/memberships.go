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
	out, err := reconcileFrom(ctx, store, goal, held)
	return out.Held, true, err
}

// reconcileFrom moves the membership of store, read just before as held, toward goal. A
// failed change says how much of it was applied, and whether the call cut short may have
// been applied too.
func reconcileFrom[M cmp.Ordered](ctx context.Context, store membershipStore[M], goal membership.Goal[M], held []M) (membership.Outcome[M], error) {
	out, err := membership.Reconcile(ctx, store.config(), store, goal, held)
	switch {
	case err == nil || out.Applied == 0:
	case ctx.Err() != nil || wechat.IsAmbiguous(err):
		err = fmt.Errorf("%w (after %d %s were changed, and perhaps those of the call whose answer was lost)", err, out.Applied, store.unit())
	default:
		err = fmt.Errorf("%w (after %d %s were changed)", err, out.Applied, store.unit())
	}
	return out, err
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
	found := culprits{}
	for _, openid := range batchErr.Batch {
		tags, lookupErr := api.FollowerTags(ctx, openid)
		found.judge(openid, s.tagID, batchErr.Op, tags, lookupErr)
	}
	found.report(&diags, s, err)
	if !diags.HasError() {
		s.openids = batchErr.Batch
		diags.Append(followersRefusedUnexplained.diagnostic(s, err, err))
	}
	return diags
}

// culprits are the followers WeChat would refuse a batch call for, by condition.
type culprits map[*condition[error]][]string

// judge files openid under the condition WeChat would refuse a change op of the tag for,
// given the follower's tags, or the error reading them returned; nowhere when none.
func (c culprits) judge(openid string, tagID int64, op membership.Op, tags []int64, readErr error) {
	switch {
	case wechat.IsUnknownFollower(readErr):
		c[notAFollower] = append(c[notAFollower], openid)
	case wechat.IsOpenIDOfAnotherApp(readErr):
		c[openIDOfAnotherApp] = append(c[openIDOfAnotherApp], openid)
	case readErr == nil && op == membership.OpAdd && !slices.Contains(tags, tagID) &&
		membership.CheckLimit(followerTagsConfig, len(tags), membership.Changes[int64]{Add: []int64{tagID}}) != nil:
		c[followerTagLimitOfMember] = append(c[followerTagLimitOfMember], openid)
	}
}

// report adds one diagnostic per condition, naming its followers; err, when given, is the
// failure that led to them.
func (c culprits) report(diags *diag.Diagnostics, s subject, err error) {
	for _, condition := range []*condition[error]{notAFollower, openIDOfAnotherApp, followerTagLimitOfMember} {
		if openids := c[condition]; len(openids) > 0 {
			s.openids = openids
			diags.Append(condition.diagnostic(s, err, err))
		}
	}
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
