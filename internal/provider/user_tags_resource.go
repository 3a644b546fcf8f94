package provider

import (
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
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
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
				Validators:          []validator.String{validOpenID},
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

func (r *UserTagsResource) account() accountAPI { return r.client }

func (r *UserTagsResource) identity(m userTagsModel) any {
	return followerIdentityModel{OpenID: m.OpenID}
}

// gone: a follower who unfollowed the account took its tags with it. An openid of another
// AppID (49003) is no such proof: it means the credentials are another account's. An
// import, which leaves tag_ids null, reports the follower it did not find.
func (r *UserTagsResource) gone(m userTagsModel, err error) bool {
	return wechat.IsUnknownFollower(err) && !m.TagIDs.IsNull()
}

// explain reports a failed read or change of the follower's tags.
func (r *UserTagsResource) explain(_ context.Context, diags *diag.Diagnostics, _ operation, m userTagsModel, err error) {
	reportFollowerFailure(diags, m.OpenID.ValueString(), err)
}

// reportFollowerFailure adds the diagnostic of a read or change of the tags of the
// follower openid that failed.
func reportFollowerFailure(diags *diag.Diagnostics, openid string, err error) {
	s := followerSubject(openid)
	if batchErr := (*membership.BatchError[int64])(nil); errors.As(err, &batchErr) {
		s.tagID = batchErr.Batch[0]
		err = fmt.Errorf("tag %d: %w", s.tagID, err)
	}
	report(diags, s, err)
}

// followerSubject is the subject of a failure about the follower openid.
func followerSubject(openid string) subject {
	return subject{
		failure: "Unable to manage the tags of a follower", about: "Follower " + openid,
		openids: []string{openid}, where: attributes{openids: path.Root("openid"), tag: path.Root("tag_ids")},
	}
}

func (r *UserTagsResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	lifecycleOf(r).create(ctx, req, resp, func(ctx context.Context, plan userTagsModel, _ records, diags *diag.Diagnostics) (userTagsModel, error) {
		desired := tagIDsOf(ctx, plan.TagIDs, diags)
		if diags.HasError() || !r.tagsExistAtApply(ctx, desired, diags) {
			return plan, nil
		}
		goal := membership.Goal[int64]{Desired: desired, Exclusive: plan.Exclusive.ValueBool()}
		_, _, err := converge(ctx, r.tagsOf(plan), goal)
		plan.ID = plan.OpenID
		return plan, err
	})
}

func (r *UserTagsResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	lifecycleOf(r).read(ctx, req, resp, func(ctx context.Context, state userTagsModel, _ records, diags *diag.Diagnostics) (userTagsModel, error) {
		held, err := r.tagsOf(state).Members(ctx)
		if err != nil {
			return state, err
		}
		// tag_ids is required, so only an import leaves it null: then every current tag is
		// adopted.
		adopt := state.TagIDs.IsNull() || state.Exclusive.ValueBool()
		state.TagIDs = tagIDSet(membership.Observed(tagIDsOf(ctx, state.TagIDs, diags), held, adopt), diags)
		state.ID = state.OpenID
		return state, nil
	})
}

func (r *UserTagsResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	lifecycleOf(r).update(ctx, req, resp, func(ctx context.Context, plan, state userTagsModel, _ records, diags *diag.Diagnostics) (userTagsModel, error) {
		goal := membership.Goal[int64]{
			Desired:   tagIDsOf(ctx, plan.TagIDs, diags),
			Prior:     tagIDsOf(ctx, state.TagIDs, diags),
			Exclusive: plan.Exclusive.ValueBool(),
		}
		if diags.HasError() || !r.tagsExistAtApply(ctx, goal.Desired, diags) {
			return state, nil
		}
		held, known, err := converge(ctx, r.tagsOf(plan), goal)
		plan.ID = plan.OpenID
		switch {
		case err == nil:
			return plan, nil
		case known:
			// What the follower now carries among the tags this resource manages, so that
			// the next plan shows only the changes still missing.
			plan.TagIDs = tagIDSet(membership.Managed(goal, held), diags)
			return plan, err
		}
		return state, err
	})
}

func (r *UserTagsResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	lifecycleOf(r).delete(ctx, req, resp, func(ctx context.Context, state userTagsModel, _ records, diags *diag.Diagnostics) (userTagsModel, error) {
		// Only the managed tags the follower still carries are removed: a tag deleted
		// meanwhile would make batchuntagging fail.
		goal := membership.Removal(tagIDsOf(ctx, state.TagIDs, diags))
		if diags.HasError() {
			return state, nil
		}
		held, known, err := converge(ctx, r.tagsOf(state), goal)
		if err != nil && known {
			// The resource stays, managing the tags the follower still carries: the next
			// destroy removes only those.
			state.TagIDs = tagIDSet(membership.Managed(goal, held), diags)
		}
		return state, err
	})
}

// tagsOf is the membership of the follower of m.
func (r *UserTagsResource) tagsOf(m userTagsModel) followerTags {
	return followerTags{r.client, m.OpenID.ValueString()}
}

// ModifyPlan checks, at plan time, what WeChat would refuse at apply, for a new resource
// or a change of openid, tag_ids or exclusive only: a plan that changes nothing costs no
// extra call. Tag ids the account lacks are found in the tags/get the plan shares; an
// openid that does not follow the account, and more than 20 tags on the follower counting
// those given outside Terraform, in one getidlist of the follower. A value unknown at plan
// time, such as the id of a wechat_tag this plan creates, is left to apply, which reads the
// follower and checks the limit before its first write.
func (r *UserTagsResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	lifecycleOf(r).modifyPlan(ctx, req, resp, func(ctx context.Context, plan, prior *userTagsModel, _ records, diags *diag.Diagnostics) bool {
		if plan.TagIDs.IsUnknown() || plan.TagIDs.IsNull() {
			return false
		}
		var priorIDs []int64
		if prior != nil {
			if prior.TagIDs.Equal(plan.TagIDs) && prior.Exclusive.Equal(plan.Exclusive) && prior.OpenID.Equal(plan.OpenID) {
				return false
			}
			if prior.OpenID.Equal(plan.OpenID) {
				priorIDs = tagIDsOf(ctx, prior.TagIDs, diags)
			}
		}
		known, unknown := knownTagIDs(plan.TagIDs)
		checkTagsExist(ctx, r.client, path.Root("tag_ids"), known, diags)
		if diags.HasError() || plan.OpenID.IsUnknown() || plan.Exclusive.IsUnknown() {
			return false
		}
		goal := membership.Goal[int64]{Desired: known, Prior: priorIDs, Exclusive: plan.Exclusive.ValueBool()}
		checkFollowerChange(ctx, r.client, plan.OpenID.ValueString(), goal, unknown, diags)
		return false
	})
}

// knownTagIDs are the ids of tag_ids known at plan time, and how many are not, such as
// the id of a wechat_tag this plan creates.
func knownTagIDs(set types.Set) (known []int64, unknown int) {
	for _, element := range set.Elements() {
		if n, ok := element.(types.Number); ok && !n.IsUnknown() && !n.IsNull() {
			known = append(known, tagIDOf(n))
		} else {
			unknown++
		}
	}
	return known, unknown
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
// managed, which the plan cannot show, as a warning naming each. unknown more tags,
// whose ids the plan does not know, may each be one the follower carries or a new one:
// when the new ones would take it past the limit, a warning says so. A read that fails
// otherwise leaves the checks to apply, which makes the same read before its first write.
func checkFollowerChange(ctx context.Context, api membershipsAPI, openid string, goal membership.Goal[int64], unknown int, diags *diag.Diagnostics) {
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
	changes := membership.Diff(goal, held)
	if err := membership.CheckLimit(followerTagsConfig, len(held), changes); err != nil {
		reportFollowerFailure(diags, openid, err)
		return
	}
	if unknown > 0 {
		// Which tags exclusive removes depends on the ids not known yet.
		if most := len(held) - len(changes.Remove) + len(changes.Add) + unknown; !goal.Exclusive && most > wechat.MaxTagsPerFollower {
			diags.Append(followerTagLimitUnknown.diagnostic(s, tagsCarried{labels: tagLabels(ctx, api, held), most: most, unknown: unknown}, nil))
		}
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
		diags.Append(exclusiveRemovesTags.diagnostic(s, tagLabels(ctx, api, unshown), nil))
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
	lifecycleOf(r).importState(ctx, req, resp, func(ctx context.Context, openid string, identity *tfsdk.ResourceIdentity, diags *diag.Diagnostics) (userTagsModel, error) {
		if openid == "" && identity != nil {
			var imported followerIdentityModel
			diags.Append(identity.Get(ctx, &imported)...)
			openid = imported.OpenID.ValueString()
		}
		if !diags.HasError() && !openIDPattern.MatchString(openid) {
			diags.AddError("Invalid import ID",
				fmt.Sprintf("%q is not an openid. Import a wechat_user_tags by the openid of the follower, such as ocYxcuAEy30bX0NXmGn4ypqx3tI0.", openid))
		}
		// A null tag_ids tells the read that follows to adopt every tag of the follower.
		return userTagsModel{
			ID: types.StringValue(openid), OpenID: types.StringValue(openid),
			TagIDs: types.SetNull(types.NumberType), Exclusive: types.BoolValue(false),
		}, nil
	})
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
