package provider

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/wechat-tf/terraform-provider-wechat/internal/membership"
	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

var (
	_ resource.ResourceWithConfigure   = &UserTagsResource{}
	_ resource.ResourceWithImportState = &UserTagsResource{}
	_ resource.ResourceWithIdentity    = &UserTagsResource{}
	_ resource.ResourceWithModifyPlan  = &UserTagsResource{}
)

// UserTagsResource is wechat_user_tags: the tags one follower carries.
//
// The account's own servers tag followers too, so by default the resource owns only the
// tags it lists; with exclusive it owns every tag of the follower.
type UserTagsResource struct {
	client membershipsAPI
}

func NewUserTagsResource() resource.Resource {
	return &UserTagsResource{}
}

type userTagsModel struct {
	ID        types.String `tfsdk:"id"`
	OpenID    types.String `tfsdk:"openid"`
	TagIDs    types.Set    `tfsdk:"tag_ids"`
	Exclusive types.Bool   `tfsdk:"exclusive"`
}

func (r *UserTagsResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_user_tags"
}

func (r *UserTagsResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The tags one follower of the Official Account carries.\n\n" +
			"By default (`exclusive = false`) the resource manages only the tags in `tag_ids`: if one is taken from the follower " +
			"outside Terraform, the next plan puts it back, and tags given to the follower by anyone else, such as the account's own " +
			"servers running campaigns, are left alone. With `exclusive = true` the resource owns every tag of the follower, " +
			"and the next plan removes tags given outside Terraform.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The follower's openid again, so that Terraform names the follower in the lines it prints for the resource, " +
					"such as `Refreshing state... [id=ocYxcuAEy30bX0NXmGn4ypqx3tI0]`.",
				Computed:      true,
				PlanModifiers: []planmodifier.String{idFrom[types.String]{attribute: "openid", id: func(openid types.String) types.String { return openid }}},
			},
			"openid": schema.StringAttribute{
				MarkdownDescription: "The openid of the follower, such as `ocYxcuAEy30bX0NXmGn4ypqx3tI0`. Changing it replaces the resource.",
				Required:            true,
				Validators:          []validator.String{openIDValidator{}},
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"tag_ids": schema.SetAttribute{
				MarkdownDescription: fmt.Sprintf("Ids of the tags the follower carries, such as `wechat_tag.vip.id`; at most %d, "+
					"the most WeChat lets a follower carry. Without `exclusive`, tags the follower carries beyond these count "+
					"towards that limit too. An id the account does not have fails the plan.", wechat.MaxTagsPerFollower),
				// Numbers, not Int64s: the framework refuses a fraction or a number beyond int64
				// before any validator runs, with an error that blames the provider.
				ElementType: types.NumberType,
				Required:    true,
				Validators: []validator.Set{
					setvalidator.SizeAtMost(wechat.MaxTagsPerFollower),
					setvalidator.ValueNumbersAre(wholeTagIDValidator{}),
				},
			},
			"exclusive": schema.BoolAttribute{
				MarkdownDescription: "Whether the resource owns every tag of the follower. When `false` (the default), it manages only " +
					"the tags in `tag_ids` and leaves the rest alone. When `true`, tags the follower carries beyond `tag_ids` show as " +
					"drift and are removed, the starred system tag (2) included.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
		},
	}
}

func (r *UserTagsResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"openid": identityschema.StringAttribute{
				Description:       "The openid of the follower, such as ocYxcuAEy30bX0NXmGn4ypqx3tI0.",
				RequiredForImport: true,
			},
		},
	}
}

func (r *UserTagsResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.client = clientFrom(req.ProviderData, &resp.Diagnostics)
}

// subject of a failure about the follower openid.
func followerSubject(openid string) subject {
	return subject{
		failure: "Unable to manage the tags of a follower", about: "Follower " + openid,
		openids: []string{openid}, openIDAttr: path.Root("openid"), tagAttr: path.Root("tag_ids"),
	}
}

// reportChange adds the diagnostic of a change of the follower's tags that failed.
func reportChange(diags *diag.Diagnostics, openid string, out membership.Outcome[int64], err error) {
	s := followerSubject(openid)
	var batchErr *membership.BatchError[int64]
	if errors.As(err, &batchErr) {
		s.tagID = batchErr.Batch[0]
		err = fmt.Errorf("tag %d: %w", s.tagID, err)
	}
	var limitErr *membership.LimitError
	if errors.As(err, &limitErr) {
		s.followerTags, s.followerTagsAfter = limitErr.Held, limitErr.After
	}
	report(diags, s, withProgress(err, out, "tags"))
}

func (r *UserTagsResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan userTagsModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	desired := tagIDsOf(ctx, plan.TagIDs, &resp.Diagnostics)
	if resp.Diagnostics.HasError() || !r.tagsExistAtApply(ctx, desired, &resp.Diagnostics) {
		return
	}
	openid := plan.OpenID.ValueString()
	goal := membership.Goal[int64]{Desired: desired, Exclusive: plan.Exclusive.ValueBool()}
	out, readErr, err := converge(ctx, followerTagsConfig, followerTags{r.client, openid}, goal)
	// Nothing is saved when a change fails midway: Terraform would mark a half-created
	// resource for replacement, while without state the next apply reads the follower's
	// tags anew and makes only the changes still missing.
	if readErr != nil || err != nil {
		reportChange(&resp.Diagnostics, openid, out, cmp.Or(readErr, err))
		return
	}
	plan.ID = plan.OpenID
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
	recordAccount(ctx, resp.Private, r.client.AppID(), &resp.Diagnostics)
	setIdentity(ctx, resp.Identity, followerIdentityModel{OpenID: plan.OpenID}, &resp.Diagnostics)
}

func (r *UserTagsResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	if !sameAccount(ctx, req.Private, r.client.AppID(), &resp.Diagnostics) {
		return
	}
	var state userTagsModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// tag_ids is required, so only an import leaves it null: then every current tag is
	// adopted.
	importing := state.TagIDs.IsNull()
	openid := state.OpenID.ValueString()
	held, err := followerTags{r.client, openid}.Members(ctx)
	if wechat.IsUnknownFollower(err) && !importing {
		// The follower unfollowed the account, and its tags went with it. An openid of
		// another AppID (49003) is no such proof: it means the credentials are another
		// account's, and is reported below. The framework wants an identity even for a
		// resource that is gone.
		setIdentity(ctx, resp.Identity, followerIdentityModel{OpenID: state.OpenID}, &resp.Diagnostics)
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		report(&resp.Diagnostics, followerSubject(openid), err)
		return
	}
	prior := tagIDsOf(ctx, state.TagIDs, &resp.Diagnostics)
	state.TagIDs = tagIDSet(membership.Observed(prior, held, importing || state.Exclusive.ValueBool()), &resp.Diagnostics)
	state.ID = state.OpenID
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
	recordAccount(ctx, resp.Private, r.client.AppID(), &resp.Diagnostics)
	setIdentity(ctx, resp.Identity, followerIdentityModel{OpenID: state.OpenID}, &resp.Diagnostics)
}

func (r *UserTagsResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	if !sameAccount(ctx, req.Private, r.client.AppID(), &resp.Diagnostics) {
		return
	}
	var plan, state userTagsModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	goal := membership.Goal[int64]{
		Desired:   tagIDsOf(ctx, plan.TagIDs, &resp.Diagnostics),
		Prior:     tagIDsOf(ctx, state.TagIDs, &resp.Diagnostics),
		Exclusive: plan.Exclusive.ValueBool(),
	}
	if resp.Diagnostics.HasError() || !r.tagsExistAtApply(ctx, goal.Desired, &resp.Diagnostics) {
		return
	}
	openid := plan.OpenID.ValueString()
	out, readErr, err := converge(ctx, followerTagsConfig, followerTags{r.client, openid}, goal)
	if readErr != nil {
		report(&resp.Diagnostics, followerSubject(openid), readErr)
		return
	}
	if err != nil {
		reportChange(&resp.Diagnostics, openid, out, err)
		// Record what the follower now carries among the tags this resource manages, so
		// that the next plan shows only the changes still missing.
		state.TagIDs = tagIDSet(membership.Managed(goal, out.Held), &resp.Diagnostics)
		state.Exclusive = plan.Exclusive
		plan = state
	}
	plan.ID = plan.OpenID
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
	recordAccount(ctx, resp.Private, r.client.AppID(), &resp.Diagnostics)
	setIdentity(ctx, resp.Identity, followerIdentityModel{OpenID: plan.OpenID}, &resp.Diagnostics)
}

func (r *UserTagsResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	if !sameAccount(ctx, req.Private, r.client.AppID(), &resp.Diagnostics) {
		return
	}
	var state userTagsModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	goal := membership.Removal(tagIDsOf(ctx, state.TagIDs, &resp.Diagnostics))
	if resp.Diagnostics.HasError() {
		return
	}
	openid := state.OpenID.ValueString()
	// Only the managed tags the follower still carries are removed: a tag deleted
	// meanwhile would make batchuntagging fail. A follower who unfollowed has none left.
	out, readErr, err := converge(ctx, followerTagsConfig, followerTags{r.client, openid}, goal)
	switch {
	case wechat.IsUnknownFollower(cmp.Or(readErr, err)), readErr == nil && err == nil:
		return
	case readErr != nil:
		report(&resp.Diagnostics, followerSubject(openid), readErr)
		return
	}
	reportChange(&resp.Diagnostics, openid, out, err)
	// The resource stays, managing the tags the follower still carries: the next destroy
	// removes only those.
	state.TagIDs = tagIDSet(membership.Managed(goal, out.Held), &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
	setIdentity(ctx, resp.Identity, followerIdentityModel{OpenID: state.OpenID}, &resp.Diagnostics)
}

// ModifyPlan checks, at plan time, what WeChat would refuse at apply, for a new resource
// or a change of openid, tag_ids or exclusive only: a plan that changes nothing costs no
// extra call. Tag ids the account lacks are found in the tags/get the plan shares; an
// openid that does not follow the account, and more than 20 tags on the follower counting
// those given outside Terraform, in one getidlist of the follower. A value unknown at plan
// time, such as the id of a wechat_tag this plan creates, is left to apply, which reads the
// follower and checks the limit before its first write.
func (r *UserTagsResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if r.client == nil || (!req.State.Raw.IsNull() && !sameAccount(ctx, req.Private, r.client.AppID(), &resp.Diagnostics)) {
		return
	}
	if req.Plan.Raw.IsNull() {
		return
	}
	var plan userTagsModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || plan.TagIDs.IsUnknown() || plan.TagIDs.IsNull() {
		return
	}
	var prior []int64
	if !req.State.Raw.IsNull() {
		var state userTagsModel
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
		if resp.Diagnostics.HasError() ||
			state.TagIDs.Equal(plan.TagIDs) && state.Exclusive.Equal(plan.Exclusive) && state.OpenID.Equal(plan.OpenID) {
			return
		}
		if state.OpenID.Equal(plan.OpenID) {
			prior = tagIDsOf(ctx, state.TagIDs, &resp.Diagnostics)
		}
	}
	var known []int64
	allKnown := true
	for _, element := range plan.TagIDs.Elements() {
		if n, ok := element.(types.Number); ok && !n.IsUnknown() && !n.IsNull() {
			known = append(known, tagIDOf(n))
		} else {
			allKnown = false
		}
	}
	checkTagsExist(ctx, r.client, path.Root("tag_ids"), known, &resp.Diagnostics)
	if resp.Diagnostics.HasError() || !allKnown || plan.OpenID.IsUnknown() || plan.Exclusive.IsUnknown() {
		return
	}
	goal := membership.Goal[int64]{Desired: known, Prior: prior, Exclusive: plan.Exclusive.ValueBool()}
	checkFollowerChange(ctx, r.client, plan.OpenID.ValueString(), goal, &resp.Diagnostics)
}

// tagsExistAtApply checks the tag ids again before the first write, against the tags/get
// the apply shares: an id unknown at plan time, such as a wechat_tag's created in this
// apply, could not be checked then, and the first batch call would be the first to refuse
// it. The follower's own checks come with the read every change starts with.
func (r *UserTagsResource) tagsExistAtApply(ctx context.Context, desired []int64, diags *diag.Diagnostics) bool {
	checkTagsExist(ctx, r.client, path.Root("tag_ids"), desired, diags)
	return !diags.HasError()
}

// checkFollowerChange reads the follower's tags once and reports what the apply toward
// goal would meet: an openid WeChat does not know for this account, or more tags than a
// follower may carry, as errors; the tags exclusive removes that no earlier state
// managed, which the plan cannot show, as a warning naming each. A read that fails
// otherwise leaves the checks to apply, which makes the same read before its first write.
func checkFollowerChange(ctx context.Context, api membershipsAPI, openid string, goal membership.Goal[int64], diags *diag.Diagnostics) {
	s := followerSubject(openid)
	held, err := api.FollowerTags(ctx, openid)
	switch {
	case wechat.IsUnknownFollower(err), wechat.IsOpenIDOfAnotherApp(err):
		report(diags, s, err)
		return
	case err != nil:
		diags.AddAttributeWarning(path.Root("openid"), "Unable to check the follower",
			fmt.Sprintf("Reading the tags of follower %q to check the change failed; the apply reads them again before its first change: %s", openid, err))
		return
	}
	changes, err := membership.Plan(followerTagsConfig, goal, held)
	if err != nil {
		reportChange(diags, openid, membership.Outcome[int64]{}, err)
		return
	}
	shown := goal.Prior
	var unshown []int64
	for _, id := range changes.Remove {
		if !slices.Contains(shown, id) {
			unshown = append(unshown, id)
		}
	}
	if len(unshown) > 0 {
		s.removed = tagLabels(ctx, api, unshown)
		diags.Append(diagnose(exclusiveRemovesTags, s, nil))
	}
}

// tagLabels names tags for a message: the id, and the name where the shared tags/get
// knows it.
func tagLabels(ctx context.Context, api membershipsAPI, ids []int64) []string {
	tags, _ := api.KnownTags(ctx)
	labels := make([]string, 0, len(ids))
	for _, id := range ids {
		label := strconv.FormatInt(id, 10)
		if tag, found := tagWhere(tags, func(t wechat.Tag) bool { return t.ID == id }); found {
			label += fmt.Sprintf(" (%q)", tag.Name)
		}
		labels = append(labels, label)
	}
	return labels
}

func (r *UserTagsResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	openid := req.ID
	if openid == "" && req.Identity != nil {
		var identity followerIdentityModel
		resp.Diagnostics.Append(req.Identity.Get(ctx, &identity)...)
		if resp.Diagnostics.HasError() {
			return
		}
		openid = identity.OpenID.ValueString()
	}
	if !openIDPattern.MatchString(openid) {
		resp.Diagnostics.AddError("Invalid import ID",
			fmt.Sprintf("%q is not an openid. Import a wechat_user_tags by the openid of the follower, such as ocYxcuAEy30bX0NXmGn4ypqx3tI0.", openid))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), openid)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("openid"), openid)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("exclusive"), false)...)
	recordAccount(ctx, resp.Private, r.client.AppID(), &resp.Diagnostics)
	setIdentity(ctx, resp.Identity, followerIdentityModel{OpenID: types.StringValue(openid)}, &resp.Diagnostics)
}

func tagIDsOf(ctx context.Context, set types.Set, diags *diag.Diagnostics) []int64 {
	if set.IsNull() || set.IsUnknown() {
		return nil
	}
	var numbers []types.Number
	diags.Append(set.ElementsAs(ctx, &numbers, false)...)
	ids := make([]int64, 0, len(numbers))
	for _, n := range numbers {
		ids = append(ids, tagIDOf(n))
	}
	slices.Sort(ids)
	return ids
}

func tagIDSet(ids []int64, diags *diag.Diagnostics) types.Set {
	elements := make([]attr.Value, 0, len(ids))
	for _, id := range ids {
		elements = append(elements, types.NumberValue(new(big.Float).SetInt64(id)))
	}
	set, d := types.SetValue(types.NumberType, elements)
	diags.Append(d...)
	return set
}
