package provider

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"

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

	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

var (
	_ resource.ResourceWithConfigure   = &UserTagsResource{}
	_ resource.ResourceWithImportState = &UserTagsResource{}
	_ resource.ResourceWithIdentity    = &UserTagsResource{}
)

// UserTagsResource is wechat_user_tags: the tags one follower carries.
//
// The account's own servers tag followers too, so by default the resource owns only the
// tags it lists; with exclusive it owns every tag of the follower.
type UserTagsResource struct {
	client *wechat.Client
}

func NewUserTagsResource() resource.Resource {
	return &UserTagsResource{}
}

type userTagsModel struct {
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
			"openid": schema.StringAttribute{
				MarkdownDescription: "The openid of the follower, such as `ocYxcuAEy30bX0NXmGn4ypqx3tI0`. Changing it replaces the resource.",
				Required:            true,
				Validators:          []validator.String{openIDValidator{}},
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"tag_ids": schema.SetAttribute{
				MarkdownDescription: fmt.Sprintf("Ids of the tags the follower carries, such as `wechat_tag.vip.id`; at most %d, "+
					"the most WeChat lets a follower carry. Without `exclusive`, tags the follower carries beyond these count "+
					"towards that limit too.", wechat.MaxTagsPerFollower),
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

func (r *UserTagsResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan userTagsModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	desired := tagIDsOf(ctx, plan.TagIDs, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	openid := plan.OpenID.ValueString()
	current, err := r.client.FollowerTags(ctx, openid)
	if err != nil {
		addFollowerError(&resp.Diagnostics, openid, err)
		return
	}
	exclusive := plan.Exclusive.ValueBool()
	target := func(held []int64) (add, remove []int64) {
		if exclusive {
			remove = difference(held, desired)
		}
		return difference(desired, held), remove
	}
	// Nothing is saved when a change fails midway: Terraform would mark a half-created
	// resource for replacement, while without state the next apply reads the follower's
	// tags anew and makes only the changes still missing.
	if _, err := r.converge(ctx, openid, current, target); err != nil {
		addFollowerError(&resp.Diagnostics, openid, err)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
	setIdentity(ctx, resp.Identity, followerIdentityModel{OpenID: plan.OpenID}, &resp.Diagnostics)
}

func (r *UserTagsResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state userTagsModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// tag_ids is required, so only an import leaves it null: then every current tag is
	// adopted.
	importing := state.TagIDs.IsNull()
	openid := state.OpenID.ValueString()
	current, err := r.client.FollowerTags(ctx, openid)
	if wechat.IsUnknownFollower(err) && !importing {
		// The follower unfollowed the account, and its tags went with it. The framework
		// wants an identity even for a resource that is gone.
		setIdentity(ctx, resp.Identity, followerIdentityModel{OpenID: state.OpenID}, &resp.Diagnostics)
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addFollowerError(&resp.Diagnostics, openid, err)
		return
	}

	held := current
	if !importing && !state.Exclusive.ValueBool() {
		held = intersection(tagIDsOf(ctx, state.TagIDs, &resp.Diagnostics), current)
	}
	state.TagIDs = tagIDSet(held, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
	setIdentity(ctx, resp.Identity, followerIdentityModel{OpenID: state.OpenID}, &resp.Diagnostics)
}

func (r *UserTagsResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state userTagsModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	desired := tagIDsOf(ctx, plan.TagIDs, &resp.Diagnostics)
	prior := tagIDsOf(ctx, state.TagIDs, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	openid := plan.OpenID.ValueString()
	current, err := r.client.FollowerTags(ctx, openid)
	if err != nil {
		addFollowerError(&resp.Diagnostics, openid, err)
		return
	}

	exclusive := plan.Exclusive.ValueBool()
	target := func(held []int64) (add, remove []int64) {
		remove = intersection(difference(prior, desired), held)
		if exclusive {
			remove = difference(held, desired)
		}
		return difference(desired, held), remove
	}
	held, err := r.converge(ctx, openid, current, target)
	if err != nil {
		addFollowerError(&resp.Diagnostics, openid, err)
		// Record what the follower now carries among the tags this resource manages, so
		// that the next plan shows only the changes still missing.
		managed := held
		if !exclusive {
			managed = intersection(held, union(prior, desired))
		}
		state.TagIDs = tagIDSet(managed, &resp.Diagnostics)
		state.Exclusive = plan.Exclusive
		resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
		setIdentity(ctx, resp.Identity, followerIdentityModel{OpenID: state.OpenID}, &resp.Diagnostics)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
	setIdentity(ctx, resp.Identity, followerIdentityModel{OpenID: plan.OpenID}, &resp.Diagnostics)
}

func (r *UserTagsResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state userTagsModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	managed := tagIDsOf(ctx, state.TagIDs, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	openid := state.OpenID.ValueString()
	current, err := r.client.FollowerTags(ctx, openid)
	if wechat.IsUnknownFollower(err) {
		return
	}
	if err != nil {
		addFollowerError(&resp.Diagnostics, openid, err)
		return
	}
	// Only the managed tags the follower still carries: a tag deleted meanwhile would make
	// batchuntagging fail with 45159.
	target := func(held []int64) (add, remove []int64) { return nil, intersection(managed, held) }
	if held, err := r.converge(ctx, openid, current, target); err != nil {
		addFollowerError(&resp.Diagnostics, openid, err)
		// The resource stays, managing the tags the follower still carries: the next
		// destroy removes only those.
		state.TagIDs = tagIDSet(intersection(managed, held), &resp.Diagnostics)
		resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
		setIdentity(ctx, resp.Identity, followerIdentityModel{OpenID: state.OpenID}, &resp.Diagnostics)
	}
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
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("openid"), openid)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("exclusive"), false)...)
	setIdentity(ctx, resp.Identity, followerIdentityModel{OpenID: types.StringValue(openid)}, &resp.Diagnostics)
}

// maxRereads bounds how often converge re-reads a follower after lost responses.
const maxRereads = 5

// converge changes the follower's tags from current to what target asks of them: the
// tags to add and to remove, given the tags the follower carries. It untags first, so
// that an exclusive change makes room under the 20-tag limit, then tags, one call per
// tag. When a call's response is lost, the change may or may not have been applied: the
// follower's tags are read again and target asked anew, instead of sending the call
// again blindly. converge returns the tags the follower carries afterwards, as far as
// the calls that succeeded tell.
func (r *UserTagsResource) converge(ctx context.Context, openid string, current []int64, target func(held []int64) (add, remove []int64)) ([]int64, error) {
	held := slices.Sorted(slices.Values(current))
	for rereads := 0; ; rereads++ {
		add, remove := target(held)
		if after := len(union(difference(held, remove), add)); after > wechat.MaxTagsPerFollower {
			return held, &tagLimitError{openid: openid, current: len(held), after: after}
		}
		var err error
		held, err = r.apply(ctx, openid, held, add, remove)
		if err == nil || !wechat.IsAmbiguous(err) || rereads == maxRereads {
			return held, err
		}
		reread, readErr := r.client.FollowerTags(ctx, openid)
		if readErr != nil {
			return held, fmt.Errorf("%w; reading the follower's tags again failed too: %w", err, readErr)
		}
		held = slices.Sorted(slices.Values(reread))
	}
}

// apply makes the calls of one converge round and returns the tags held after the calls
// that succeeded.
func (r *UserTagsResource) apply(ctx context.Context, openid string, held, add, remove []int64) ([]int64, error) {
	for _, id := range remove {
		if err := r.client.UntagFollowers(ctx, id, []string{openid}); err != nil {
			return held, &tagChangeError{tagID: id, err: err}
		}
		held = difference(held, []int64{id})
	}
	for _, id := range add {
		if err := r.client.TagFollowers(ctx, id, []string{openid}); err != nil {
			return held, &tagChangeError{tagID: id, err: err}
		}
		held = union(held, []int64{id})
	}
	return held, nil
}

// tagChangeError names the tag whose tagging or untagging failed.
type tagChangeError struct {
	tagID int64
	err   error
}

func (e *tagChangeError) Error() string { return fmt.Sprintf("tag %d: %s", e.tagID, e.err) }
func (e *tagChangeError) Unwrap() error { return e.err }

// tagLimitError is a change refused before any call because the follower would carry more
// tags than WeChat allows.
type tagLimitError struct {
	openid         string
	current, after int
}

func (e *tagLimitError) Error() string {
	return fmt.Sprintf("follower %s carries %d tags and would carry %d after this change, more than the %d WeChat allows",
		e.openid, e.current, e.after, wechat.MaxTagsPerFollower)
}

// addFollowerError turns a failed call about one follower into a diagnostic that names the
// openid or the tag at fault, and the fix.
func addFollowerError(diags *diag.Diagnostics, openid string, err error) {
	var changeErr *tagChangeError
	var limitErr *tagLimitError
	tagErr := errors.As(err, &changeErr)
	switch {
	case errors.As(err, &limitErr) || wechat.HasCode(err, wechat.CodeUserTagLimitReached):
		diags.AddAttributeError(path.Root("tag_ids"), "Too many tags for one follower",
			fmt.Sprintf("%s. Tags given to the follower outside Terraform count towards the limit too. "+
				"List fewer tags, or set exclusive = true to let Terraform remove the tags it does not list.", err))
	case wechat.HasCode(err, wechat.CodeInvalidOpenID):
		diags.AddAttributeError(path.Root("openid"), "Not a follower of this account",
			fmt.Sprintf("WeChat does not know %q as a follower of this Official Account: the openid is wrong, "+
				"or the user no longer follows the account. Use the openid of a current follower. (%s)", openid, err))
	case wechat.HasCode(err, wechat.CodeOpenIDNotOfApp):
		diags.AddAttributeError(path.Root("openid"), "Openid of another account",
			fmt.Sprintf("The openid %q belongs to another AppID than the one the provider is configured with. "+
				"Openids differ between accounts: use the openid this account received. (%s)", openid, err))
	case tagErr && wechat.IsInvalidTagID(err):
		diags.AddAttributeError(path.Root("tag_ids"), "Tag not found",
			fmt.Sprintf("The account has no tag with id %d. Use ids of the account's tags, such as wechat_tag.<name>.id; "+
				"a tag deleted outside Terraform must be created again first. (%s)", changeErr.tagID, err))
	default:
		diags.AddError("Unable to manage the tags of a follower", fmt.Sprintf("Follower %s: %s", openid, err))
	}
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

// The tag sets here hold at most a few dozen ids, so sorted slices are simpler than maps
// and give calls in a stable order.

func difference(a, b []int64) []int64 {
	var out []int64
	for _, id := range a {
		if !slices.Contains(b, id) {
			out = append(out, id)
		}
	}
	return out
}

func intersection(a, b []int64) []int64 {
	var out []int64
	for _, id := range a {
		if slices.Contains(b, id) {
			out = append(out, id)
		}
	}
	return out
}

func union(a, b []int64) []int64 {
	out := slices.Concat(a, difference(b, a))
	slices.Sort(out)
	return out
}
