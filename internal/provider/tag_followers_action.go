package provider

import (
	"context"
	"fmt"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework-validators/actionvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/wechat-tf/terraform-provider-wechat/internal/membership"
	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

var (
	_ action.ActionWithConfigure        = &TagFollowersAction{}
	_ action.ActionWithModifyPlan       = &TagFollowersAction{}
	_ action.ActionWithConfigValidators = &TagFollowersAction{}
)

// TagFollowersAction is wechat_tag_followers_add and wechat_tag_followers_remove: a tag
// given to, or taken from, a campaign's followers once, with nothing kept in the state.
// A resource would own the tag's followers for ever; an operator who tags the 30,000
// followers of an event and leaves the tag to the account's own servers afterwards wants
// the change made, not owned.
//
// Both send only what is missing, after reading the tag's followers, through the
// membership engine the resources use (calls of 50, a read again instead of a resend after
// a lost answer), and check before the first call what WeChat would refuse halfway: the
// tag, the followers (each must follow the account, and carry fewer than 20 tags to be
// given another) and the daily quota of the batch endpoint. They check at plan time, and
// again when invoked, since a saved plan may be applied hours later.
type TagFollowersAction struct {
	client followersActionAPI
	change followersChange
}

// followersActionAPI is what the actions ask of WeChat.
type followersActionAPI interface {
	membershipsAPI
	quotaAPI
}

// followersChange is what an action does: give the tag or take it, with the batch
// endpoint that does it.
type followersChange struct {
	op       membership.Op
	endpoint string
}

// doing is the change in a message: "giving tag 134 to" or "taking tag 134 from".
func (c followersChange) doing(tagID int64) string {
	if c.op == membership.OpAdd {
		return fmt.Sprintf("giving tag %d to", tagID)
	}
	return fmt.Sprintf("taking tag %d from", tagID)
}

var (
	giveTag = followersChange{op: membership.OpAdd, endpoint: wechat.EndpointBatchTagging}
	takeTag = followersChange{op: membership.OpRemove, endpoint: wechat.EndpointBatchUntagging}
)

// NewTagFollowersAddAction is wechat_tag_followers_add.
func NewTagFollowersAddAction() action.Action { return &TagFollowersAction{change: giveTag} }

// NewTagFollowersRemoveAction is wechat_tag_followers_remove.
func NewTagFollowersRemoveAction() action.Action { return &TagFollowersAction{change: takeTag} }

// progressEvery is how many followers changed make a progress message: 100 calls of 50,
// a few seconds of WeChat's time.
const progressEvery = 5000

// followerChecksAtOnce is how many followers' tags the checks read at once: the client is
// safe for concurrent use, and Terraform itself reads 10 resources at once.
const followerChecksAtOnce = 8

type tagFollowersActionModel struct {
	TagID       types.Number `tfsdk:"tag_id"`
	OpenIDs     types.List   `tfsdk:"openids"`
	OpenIDsFile types.String `tfsdk:"openids_file"`
}

// known reports whether every value is known, as when invoked; at plan time a value may
// come from a resource this apply creates.
func (m tagFollowersActionModel) known() bool {
	if m.TagID.IsUnknown() || m.OpenIDs.IsUnknown() || m.OpenIDsFile.IsUnknown() {
		return false
	}
	for _, element := range m.OpenIDs.Elements() {
		if element.IsUnknown() {
			return false
		}
	}
	return true
}

// followers are the followers the configuration names: openids, or those openids_file
// lists.
func (m tagFollowersActionModel) followers(diags *diag.Diagnostics) []string {
	if m.OpenIDsFile.IsNull() {
		return openIDsOf(m.OpenIDs)
	}
	return readOpenIDsFile(m.OpenIDsFile.ValueString(), diags)
}

func (a *TagFollowersAction) subject(m tagFollowersActionModel) subject {
	tagID, openIDAttr := tagIDOf(m.TagID), path.Root("openids")
	if !m.OpenIDsFile.IsNull() {
		openIDAttr = openIDsFileAttr
	}
	failure := "Unable to give the tag to the followers"
	if a.change.op == membership.OpRemove {
		failure = "Unable to take the tag from the followers"
	}
	return subject{
		failure: failure, about: fmt.Sprintf("Tag %d", tagID),
		tagID: tagID, where: attributes{tag: path.Root("tag_id"), openids: openIDAttr},
	}
}

func (a *TagFollowersAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_tag_followers_" + a.change.op.String()
}

func (a *TagFollowersAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	description := "Gives a tag to followers, once: `terraform apply -invoke=action.wechat_tag_followers_add.<name>` (Terraform 1.14 and later). " +
		"Only the followers who lack the tag are sent, 50 a call, after the tag's followers are read; nothing is kept in the state, " +
		"and the tag stays with the followers until someone takes it."
	tagDescription := "The id of the tag to give, such as `wechat_tag.campaign.id`, or 2 for the starred system tag."
	if a.change.op == membership.OpRemove {
		description = "Takes a tag from followers, once: `terraform apply -invoke=action.wechat_tag_followers_remove.<name>` (Terraform 1.14 and later). " +
			"Only the followers who carry the tag are sent, 50 a call, after the tag's followers are read; nothing is kept in the state."
		tagDescription = "The id of the tag to take, such as `wechat_tag.campaign.id`, or 2 for the starred system tag."
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: description + "\n\n" +
			"Before the first call, at plan time and again when invoked, it checks what WeChat would refuse halfway: " + a.checksSentence() + ". " +
			"It reports its progress every " + thousands(progressEvery) + " followers, and Ctrl-C stops it before its next call: " +
			"invoked again, it sends only what is still missing.",
		Attributes: map[string]schema.Attribute{
			"tag_id": schema.NumberAttribute{
				MarkdownDescription: tagDescription + " An id the account does not have fails the plan.",
				Required:            true,
				Validators:          []validator.Number{wholeTagIDValidator{}},
			},
			"openids": schema.ListAttribute{
				MarkdownDescription: "The openids of the followers, such as `ocYxcuAEy30bX0NXmGn4ypqx3tI0`, each at most once, in any order. " +
					"For more than about 10,000, use `openids_file`. Exactly one of `openids` and `openids_file` is required.",
				ElementType: types.StringType,
				Optional:    true,
				Validators:  openIDListValidators(),
			},
			"openids_file": schema.StringAttribute{
				MarkdownDescription: "The path of a file that lists the followers, one openid a line (blank lines and lines starting with `#` " +
					"are skipped) or as a JSON array of strings, such as `\"${path.module}/campaign.txt\"`, as `wechat_tag_members` reads it. " +
					"It is read at plan time and again when invoked. Exactly one of `openids` and `openids_file` is required.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
		},
	}
}

// checksSentence lists the checks before the first call, for the action's description.
func (a *TagFollowersAction) checksSentence() string {
	const quota = "that what is left today of the batch API's daily quota covers the calls needed"
	if a.change.op == membership.OpRemove {
		return "that the tag exists, and " + quota
	}
	return fmt.Sprintf("that the tag exists, %s, and that each follower who lacks the tag follows the account and carries fewer than %d tags "+
		"(one `tags/getidlist` call for each follower no tag lists, at most %d at once)", quota, wechat.MaxTagsPerFollower, followerChecksAtOnce)
}

func (a *TagFollowersAction) ConfigValidators(context.Context) []action.ConfigValidator {
	return []action.ConfigValidator{
		actionvalidator.ExactlyOneOf(path.MatchRoot("openids"), path.MatchRoot("openids_file")),
	}
}

func (a *TagFollowersAction) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	if pd := providerDataFrom(req.ProviderData, &resp.Diagnostics); pd != nil {
		a.client = pd.client
	}
}

// ModifyPlan checks the change at plan time, when its values are known: an action
// triggered by a resource this apply creates is checked when invoked.
func (a *TagFollowersAction) ModifyPlan(ctx context.Context, req action.ModifyPlanRequest, resp *action.ModifyPlanResponse) {
	var m tagFollowersActionModel
	if a.client == nil || !get(ctx, req.Config, &m, &resp.Diagnostics) || !m.known() {
		return
	}
	a.prepare(ctx, m, nil, &resp.Diagnostics)
}

func (a *TagFollowersAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var m tagFollowersActionModel
	if !get(ctx, req.Config, &m, &resp.Diagnostics) {
		return
	}
	say := progressSender(ctx, resp.SendProgress)
	c, ok := a.prepare(ctx, m, say, &resp.Diagnostics)
	if !ok {
		return
	}
	a.run(ctx, c, say, &resp.Diagnostics)
}

// progressSender is send, made safe to call once Terraform has stopped the provider:
// terraform-plugin-go (v0.31) then stops reading the action's events, and the framework's
// SendProgress would wait for a reader for ever. A message sent after the stop is lost.
func progressSender(ctx context.Context, send func(action.InvokeProgressEvent)) func(string) {
	return func(message string) {
		if send == nil || ctx.Err() != nil {
			return
		}
		sent := make(chan struct{})
		go func() {
			defer close(sent)
			send(action.InvokeProgressEvent{Message: message})
		}()
		select {
		case <-sent:
		case <-ctx.Done():
		}
	}
}

// campaign is one checked change: the followers named, the tag's followers as read, and
// those the change still needs.
type campaign struct {
	subject subject
	goal    membership.Goal[string]
	named   int
	held    []string
	pending []string
}

// prepare reads what the change needs and checks it, in the order the calls cost: the
// tag in the tags/get every check shares, the tag's followers (a call per 10,000), the
// followers the change adds (a call each, for those no tag lists), then the quota. say,
// nil at plan time, reports progress while invoked. ok is false when a check refused the
// change, or nothing can be checked yet.
func (a *TagFollowersAction) prepare(ctx context.Context, m tagFollowersActionModel, say func(string), diags *diag.Diagnostics) (c campaign, ok bool) {
	c.subject = a.subject(m)
	named := m.followers(diags)
	if diags.HasError() {
		return c, false
	}
	c.named = len(named)
	if a.change.op == membership.OpAdd {
		c.goal = membership.Goal[string]{Desired: named}
	} else {
		c.goal = membership.Removal(named)
	}
	checkTagsExist(ctx, a.client, path.Root("tag_id"), []int64{c.subject.tagID}, diags)
	if diags.HasError() {
		return c, false
	}
	held, err := a.client.TagMembers(ctx, c.subject.tagID)
	switch {
	case err != nil && ctx.Err() != nil && say != nil:
		// Interrupted when invoked: run says so.
		return c, true
	case err != nil:
		report(diags, c.subject, err)
		return c, false
	}
	c.held = held
	c.pending = pendingOf(membership.Diff(c.goal, held), a.change.op)
	if len(c.pending) == 0 {
		return c, true
	}
	if a.change.op == membership.OpAdd {
		if say != nil {
			say(fmt.Sprintf("Tag %d: checking the %s who lack it", c.subject.tagID, countOf(len(c.pending), "follower")))
		}
		a.checkFollowers(ctx, c.subject, c.pending, say == nil, diags)
	}
	a.checkQuota(ctx, c.subject, len(c.pending), diags)
	return c, !diags.HasError()
}

// pendingOf is the followers changes send for op.
func pendingOf(changes membership.Changes[string], op membership.Op) []string {
	if op == membership.OpAdd {
		return changes.Add
	}
	return changes.Remove
}

// checkFollowers reads the tags of each follower the change gives the tag, as a failed
// batch call is explained (refusedBatch): one that does not follow the account, or
// already carries as many tags as WeChat allows, would make WeChat refuse its batch. At
// plan time a read that fails otherwise leaves the check to the invocation.
func (a *TagFollowersAction) checkFollowers(ctx context.Context, s subject, openids []string, atPlan bool, diags *diag.Diagnostics) {
	found, readErr := culprits{}, error(nil)
	var mu sync.Mutex
	forEachAtOnce(ctx, openids, followerChecksAtOnce, func(openid string) {
		tags, err := a.client.FollowerTags(ctx, openid)
		mu.Lock()
		defer mu.Unlock()
		found.judge(openid, s.tagID, membership.OpAdd, tags, err)
		if err != nil && !wechat.IsUnknownFollower(err) && !wechat.IsOpenIDOfAnotherApp(err) && readErr == nil {
			readErr = err
		}
	})
	found.report(diags, s, nil)
	switch {
	case readErr == nil || diags.HasError() || ctx.Err() != nil:
		// Interrupted, the invocation says so before its first call.
	case atPlan:
		diags.Append(followersUnchecked.diagnostic(s, readErr, readErr))
	default:
		report(diags, s, readErr)
	}
}

// forEachAtOnce calls visit for each of items, at most n at once, until ctx ends.
func forEachAtOnce(ctx context.Context, items []string, n int, visit func(string)) {
	next := make(chan string)
	var wg sync.WaitGroup
	for range min(n, len(items)) {
		wg.Go(func() {
			for item := range next {
				visit(item)
			}
		})
	}
feed:
	for _, item := range items {
		select {
		case next <- item:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
}

// checkQuota compares the calls the change needs with what is left of the daily quota of
// its endpoint.
func (a *TagFollowersAction) checkQuota(ctx context.Context, s subject, followers int, diags *diag.Diagnostics) {
	need := batchNeed{change: a.change, followers: followers, calls: wechat.BatchCalls(followers)}
	quota, err := a.client.APIQuota(ctx, wechat.QuotaPath(a.change.endpoint))
	switch {
	case err != nil && ctx.Err() != nil:
		return // interrupted: no quota was read to compare, and run says so
	case err != nil:
		diags.Append(batchQuotaUnchecked.diagnostic(s, need, err))
		return
	}
	need.quota = quota
	if quota.Remain < int64(need.calls) {
		diags.Append(batchQuotaShort.diagnostic(s, need, nil))
	}
}

// run makes the change c needs, reporting progress, and says how far it got when it
// stops short.
func (a *TagFollowersAction) run(ctx context.Context, c campaign, say func(string), diags *diag.Diagnostics) {
	tagID := c.subject.tagID
	switch {
	case ctx.Err() != nil: // interrupted while checking
		a.interrupted(ctx, c, membership.Outcome[string]{}, diags)
		return
	case len(c.pending) == 0:
		say(nothingToDo(a.change, tagID, c.named))
		return
	}
	progress := newProgressReport(a.change, tagID, len(c.pending), progressEvery)
	say(progress.start())
	store := reportingStore{tagFollowers: tagFollowers{a.client, tagID}, changed: func(n int) {
		if message := progress.count(n); message != "" {
			say(message)
		}
	}}
	out, err := reconcileFrom(ctx, store, c.goal, c.held)
	switch {
	case err == nil:
		say(progress.done(c.named, out.Calls))
	case ctx.Err() != nil:
		a.interrupted(ctx, c, out, diags)
	default:
		if batchErr, ok := refusedForFollowers(err); ok {
			diags.Append(refusedBatch(ctx, a.client, c.subject, batchErr, err)...)
			return
		}
		report(diags, c.subject, err)
	}
}

// interrupted says how far the change got when Terraform stopped it, out being what it
// had done.
func (a *TagFollowersAction) interrupted(ctx context.Context, c campaign, out membership.Outcome[string], diags *diag.Diagnostics) {
	progress := campaignProgress{change: a.change, needed: len(c.pending), calls: out.Calls}
	if out.Calls > 0 {
		progress.changed = len(c.pending) - len(pendingOf(membership.Diff(c.goal, out.Held), a.change.op))
	}
	stopped := campaignInterrupted.diagnostic(c.subject, progress, nil)
	diags.Append(stopped)
	// Should a stop outlast actionStopGrace, terraform-plugin-go drops this diagnostic
	// (ProtocolServer): the log says how far the action got either way.
	tflog.Warn(ctx, stopped.Summary()+": "+stopped.Detail())
}

// reportingStore is a tag's followers that counts the followers each call changes.
type reportingStore struct {
	tagFollowers
	changed func(n int)
}

func (s reportingStore) Add(ctx context.Context, batch []string) error {
	err := s.tagFollowers.Add(ctx, batch)
	if err == nil {
		s.changed(len(batch))
	}
	return err
}

func (s reportingStore) Remove(ctx context.Context, batch []string) error {
	err := s.tagFollowers.Remove(ctx, batch)
	if err == nil {
		s.changed(len(batch))
	}
	return err
}

// progressReport words an action's progress: a message every so many followers changed.
type progressReport struct {
	change         followersChange
	tagID          int64
	needed, every  int
	changed, calls int
	next           int
}

func newProgressReport(change followersChange, tagID int64, needed, every int) *progressReport {
	return &progressReport{change: change, tagID: tagID, needed: needed, every: every, next: every}
}

func (p *progressReport) start() string {
	verb := "giving it to"
	if p.change.op == membership.OpRemove {
		verb = "taking it from"
	}
	return fmt.Sprintf("Tag %d: %s %s, in %s of %d", p.tagID, verb,
		countOf(p.needed, "follower"), countOf(wechat.BatchCalls(p.needed), "call"), wechat.MaxOpenIDsPerBatch)
}

// count records a call that changed n followers, and returns the message due, "" if none.
func (p *progressReport) count(n int) string {
	p.changed += n
	p.calls++
	if p.changed < p.next {
		return ""
	}
	for p.next <= p.changed {
		p.next += p.every
	}
	return fmt.Sprintf("Tag %d: %s of %s followers done (%s)", p.tagID, thousands(p.changed), thousands(p.needed), countOf(p.calls, "call"))
}

// done is the message of a change finished in calls calls, of named followers.
func (p *progressReport) done(named, calls int) string {
	if p.change.op == membership.OpAdd {
		return fmt.Sprintf("Tag %d: given to %s in %s; %s of the %s named had it already",
			p.tagID, countOf(p.needed, "follower"), countOf(calls, "call"), thousands(named-p.needed), thousands(named))
	}
	return fmt.Sprintf("Tag %d: taken from %s in %s; %s of the %s named did not carry it",
		p.tagID, countOf(p.needed, "follower"), countOf(calls, "call"), thousands(named-p.needed), thousands(named))
}

// nothingToDo is the message of a change every follower named has already.
func nothingToDo(change followersChange, tagID int64, named int) string {
	if change.op == membership.OpAdd {
		return fmt.Sprintf("Tag %d: every one of the %s named carries it already; nothing to send", tagID, countOf(named, "follower"))
	}
	return fmt.Sprintf("Tag %d: none of the %s named carries it; nothing to send", tagID, countOf(named, "follower"))
}
