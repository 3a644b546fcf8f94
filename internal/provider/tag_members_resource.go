package provider

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/numberplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

var (
	_ resource.ResourceWithConfigure   = &TagMembersResource{}
	_ resource.ResourceWithImportState = &TagMembersResource{}
	_ resource.ResourceWithIdentity    = &TagMembersResource{}
)

// TagMembersResource is wechat_tag_members: the followers who carry one tag.
//
// It is wechat_user_tags seen from the tag's side, for tags with many members: by default
// it owns only the followers it lists, with exclusive the whole membership. Tags can have
// tens of thousands of members, so nothing here is quadratic in their number: sets are
// maps, and only the difference is sent, 50 openids a call.
//
// openids is a list with the meaning of a set, not a set: terraform-plugin-framework
// (v1.19) and Terraform itself compare sets element by element against every other
// element, which for 10,000 openids made a single create take over ten minutes, while a
// list of the same size plans in seconds. See templates/resources/tag_members.md.tmpl.
type TagMembersResource struct {
	client *wechat.Client
}

func NewTagMembersResource() resource.Resource {
	return &TagMembersResource{}
}

type tagMembersModel struct {
	TagID     types.Number `tfsdk:"tag_id"`
	OpenIDs   types.List   `tfsdk:"openids"`
	Exclusive types.Bool   `tfsdk:"exclusive"`
}

func (r *TagMembersResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_tag_members"
}

func (r *TagMembersResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The followers of the Official Account who carry one tag.\n\n" +
			"By default (`exclusive = false`) the resource manages only the followers in `openids`: if the tag is taken from one " +
			"of them outside Terraform, the next plan gives it back, and followers given the tag by anyone else, such as the " +
			"account's own servers running campaigns, are left alone. With `exclusive = true` the resource owns the tag's whole " +
			"membership, and the next plan takes the tag from followers given it outside Terraform.",
		Attributes: map[string]schema.Attribute{
			// A number rather than an Int64 attribute: the framework reports an id beyond
			// int64 as "an error in the provider" before any validator runs.
			"tag_id": schema.NumberAttribute{
				MarkdownDescription: "The id of the tag, such as `wechat_tag.vip.id`, or 2 for the starred system tag. " +
					"Changing it replaces the resource.",
				Required:      true,
				Validators:    []validator.Number{wholeTagIDValidator{}},
				PlanModifiers: []planmodifier.Number{numberplanmodifier.RequiresReplace()},
			},
			"openids": schema.ListAttribute{
				MarkdownDescription: "The openids of the followers who carry the tag, such as `ocYxcuAEy30bX0NXmGn4ypqx3tI0`; " +
					"each at most once, in any order. Tens of thousands are fine. Their order means nothing to WeChat, " +
					"but Terraform compares lists in order: keep it stable, for example with `sort()`.",
				ElementType: types.StringType,
				Required:    true,
				Validators: []validator.List{
					listvalidator.NoNullValues(),
					listvalidator.ValueStringsAre(openIDValidator{}),
					distinctOpenIDsValidator{},
				},
			},
			"exclusive": schema.BoolAttribute{
				MarkdownDescription: "Whether the resource owns the tag's whole membership. When `false` (the default), it manages only " +
					"the followers in `openids` and leaves the tag's other followers alone. When `true`, followers who carry the tag " +
					"beyond `openids` show as drift and lose the tag.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
		},
	}
}

func (r *TagMembersResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"tag_id": identityschema.Int64Attribute{
				Description:       "The id of the tag, such as 134.",
				RequiredForImport: true,
			},
		},
	}
}

func (r *TagMembersResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.client = clientFrom(req.ProviderData, &resp.Diagnostics)
}

func (r *TagMembersResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan tagMembersModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	tagID := tagIDOf(plan.TagID)
	desired := openIDsOf(plan.OpenIDs)
	current, err := r.client.TagMembers(ctx, tagID)
	if err != nil {
		r.addMembersError(ctx, &resp.Diagnostics, tagID, err)
		return
	}
	wanted := newOpenIDSet(desired)
	exclusive := plan.Exclusive.ValueBool()
	target := func(held openIDSet) (add, remove []string) {
		if exclusive {
			remove = held.without(wanted)
		}
		return held.missing(desired), remove
	}
	// Nothing is saved when a change fails midway: Terraform would mark a half-created
	// resource for replacement, whose destroy takes the tag from the followers tagged so
	// far, while without state the next apply reads the tag's members anew and makes only
	// the changes still missing.
	if _, err := r.converge(ctx, tagID, newOpenIDSet(current), target); err != nil {
		r.addMembersError(ctx, &resp.Diagnostics, tagID, err)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
	setIdentity(ctx, resp.Identity, tagMembersIdentityModel{TagID: types.Int64Value(tagID)}, &resp.Diagnostics)
}

func (r *TagMembersResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state tagMembersModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// openids is required, so only an import leaves it null: then every current member
	// is adopted.
	importing := state.OpenIDs.IsNull()
	tagID := tagIDOf(state.TagID)
	current, err := r.client.TagMembers(ctx, tagID)
	if wechat.IsInvalidTagID(err) {
		gone, listErr := r.tagGone(ctx, tagID)
		switch {
		case listErr == nil && gone && importing:
			resp.Diagnostics.AddAttributeError(path.Root("tag_id"), "Tag not found",
				fmt.Sprintf("The account has no tag with id %d, so there are no members to import. "+
					"Import a wechat_tag_members by the id of one of the account's tags (tags/get), or 2 for the starred tag.", tagID))
			return
		case listErr == nil && gone:
			// The tag was deleted outside Terraform, and its memberships went with it. The
			// framework wants an identity even for a resource that is gone.
			setIdentity(ctx, resp.Identity, tagMembersIdentityModel{TagID: types.Int64Value(tagID)}, &resp.Diagnostics)
			resp.State.RemoveResource(ctx)
			return
		}
	}
	if err != nil {
		r.addMembersError(ctx, &resp.Diagnostics, tagID, err)
		return
	}

	members := newOpenIDSet(current)
	switch {
	case importing:
		state.OpenIDs = openIDList(members.sorted(), &resp.Diagnostics)
	case state.Exclusive.ValueBool():
		// Members the state knows keep their place, so that only real changes show in
		// the plan; members given the tag outside Terraform come after them.
		prior := openIDsOf(state.OpenIDs)
		known := members.keep(prior)
		state.OpenIDs = openIDList(append(known, members.without(newOpenIDSet(prior))...), &resp.Diagnostics)
	default:
		state.OpenIDs = openIDList(members.keep(openIDsOf(state.OpenIDs)), &resp.Diagnostics)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
	setIdentity(ctx, resp.Identity, tagMembersIdentityModel{TagID: types.Int64Value(tagID)}, &resp.Diagnostics)
}

func (r *TagMembersResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state tagMembersModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	tagID := tagIDOf(plan.TagID)
	desired, prior := openIDsOf(plan.OpenIDs), openIDsOf(state.OpenIDs)
	current, err := r.client.TagMembers(ctx, tagID)
	if err != nil {
		r.addMembersError(ctx, &resp.Diagnostics, tagID, err)
		return
	}

	wanted := newOpenIDSet(desired)
	dropped := newOpenIDSet(prior).without(wanted)
	exclusive := plan.Exclusive.ValueBool()
	target := func(held openIDSet) (add, remove []string) {
		if exclusive {
			remove = held.without(wanted)
		} else {
			remove = held.keep(dropped)
		}
		return held.missing(desired), remove
	}
	held, err := r.converge(ctx, tagID, newOpenIDSet(current), target)
	if err != nil {
		r.addMembersError(ctx, &resp.Diagnostics, tagID, err)
		// Record who now carries the tag among the followers this resource manages, so
		// that the next plan shows only the changes still missing.
		managed := held.keep(desired)
		managed = append(managed, held.keep(prior)...)
		if exclusive {
			managed = append(managed, held.without(newOpenIDSet(managed))...)
		}
		state.OpenIDs = openIDList(distinct(managed), &resp.Diagnostics)
		state.Exclusive = plan.Exclusive
		resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
		setIdentity(ctx, resp.Identity, tagMembersIdentityModel{TagID: types.Int64Value(tagID)}, &resp.Diagnostics)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
	setIdentity(ctx, resp.Identity, tagMembersIdentityModel{TagID: types.Int64Value(tagID)}, &resp.Diagnostics)
}

func (r *TagMembersResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state tagMembersModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	tagID := tagIDOf(state.TagID)
	managed := openIDsOf(state.OpenIDs)
	current, err := r.client.TagMembers(ctx, tagID)
	if wechat.IsInvalidTagID(err) {
		if gone, listErr := r.tagGone(ctx, tagID); listErr == nil && gone {
			return
		}
	}
	if err != nil {
		r.addMembersError(ctx, &resp.Diagnostics, tagID, err)
		return
	}
	// Only the managed followers who still carry the tag: one who unfollowed the account
	// meanwhile would make batchuntagging fail with 40003. With exclusive, the state lists
	// every member the refresh before the destroy found, so the tag ends up empty.
	target := func(held openIDSet) (add, remove []string) { return nil, held.keep(managed) }
	if held, err := r.converge(ctx, tagID, newOpenIDSet(current), target); err != nil {
		r.addMembersError(ctx, &resp.Diagnostics, tagID, err)
		// The resource stays, managing the followers who still carry the tag: the next
		// destroy untags only those.
		state.OpenIDs = openIDList(held.keep(managed), &resp.Diagnostics)
		resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
		setIdentity(ctx, resp.Identity, tagMembersIdentityModel{TagID: types.Int64Value(tagID)}, &resp.Diagnostics)
	}
}

func (r *TagMembersResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	importID := req.ID
	if importID == "" && req.Identity != nil {
		var identity tagMembersIdentityModel
		resp.Diagnostics.Append(req.Identity.Get(ctx, &identity)...)
		if resp.Diagnostics.HasError() {
			return
		}
		importID = identity.TagID.String()
	}
	id, err := strconv.ParseInt(importID, 10, 64)
	switch {
	case err != nil || id < 0:
		resp.Diagnostics.AddError("Invalid import ID",
			fmt.Sprintf("%q is not a tag id. Import a wechat_tag_members by the numeric id of the tag, such as 134.", importID))
		return
	case id == wechat.TagUngrouped || id == wechat.TagBlacklist:
		resp.Diagnostics.AddError("System tag cannot be imported",
			fmt.Sprintf("Tag %d is a WeChat system tag (0 untagged, 1 blacklist) whose members the tagging API cannot list or change. "+
				"Import a tag created on the account, or 2 for the starred tag.", id))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("tag_id"), types.NumberValue(new(big.Float).SetInt64(id)))...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("exclusive"), false)...)
	setIdentity(ctx, resp.Identity, tagMembersIdentityModel{TagID: types.Int64Value(id)}, &resp.Diagnostics)
}

// tagGone reports whether tags/get no longer lists the tag: 45159 alone also means "just
// created, not visible yet", and a tag wrongly believed gone would drop the resource.
func (r *TagMembersResource) tagGone(ctx context.Context, tagID int64) (bool, error) {
	tags, err := r.client.ListTags(ctx)
	if err != nil {
		return false, err
	}
	return !slices.ContainsFunc(tags, func(t wechat.Tag) bool { return t.ID == tagID }), nil
}

// converge changes the tag's members from held to what target asks of them: the openids
// to tag and to untag, given the members. It untags first, then tags, in calls of 50
// openids. When a call's response is lost, the change may or may not have been applied:
// the members are read again and target asked anew, instead of sending the call again
// blindly. converge returns the members afterwards, as far as the calls that succeeded
// tell; it changes held in place.
func (r *TagMembersResource) converge(ctx context.Context, tagID int64, held openIDSet, target func(held openIDSet) (add, remove []string)) (openIDSet, error) {
	for rereads := 0; ; rereads++ {
		add, remove := target(held)
		err := r.apply(ctx, tagID, held, add, remove)
		if err == nil || !wechat.IsAmbiguous(err) || rereads == maxRereads {
			return held, err
		}
		members, readErr := r.client.TagMembers(ctx, tagID)
		if readErr != nil {
			return held, fmt.Errorf("%w; reading the tag's members again failed too: %w", err, readErr)
		}
		held = newOpenIDSet(members)
	}
}

// apply makes the calls of one converge round, recording in held the changes of the calls
// that succeeded.
func (r *TagMembersResource) apply(ctx context.Context, tagID int64, held openIDSet, add, remove []string) error {
	if len(remove) > 0 {
		err := r.client.UntagFollowers(ctx, tagID, remove)
		applied := appliedOpenIDs(remove, err)
		for _, openid := range applied {
			delete(held, openid)
		}
		if err != nil {
			return &memberChangeError{tagging: false, batch: failedBatch(remove, len(applied)), err: err}
		}
	}
	if len(add) > 0 {
		err := r.client.TagFollowers(ctx, tagID, add)
		applied := appliedOpenIDs(add, err)
		for _, openid := range applied {
			held[openid] = struct{}{}
		}
		if err != nil {
			return &memberChangeError{tagging: true, batch: failedBatch(add, len(applied)), err: err}
		}
	}
	return nil
}

// appliedOpenIDs are the openids of a batch change whose calls succeeded before err.
func appliedOpenIDs(openids []string, err error) []string {
	var batchErr *wechat.BatchError
	switch {
	case err == nil:
		return openids
	case errors.As(err, &batchErr):
		return batchErr.Applied
	}
	return nil
}

// failedBatch is the call's worth of openids that failed after the first applied ones.
func failedBatch(openids []string, applied int) []string {
	return openids[applied:min(applied+wechat.MaxOpenIDsPerBatch, len(openids))]
}

// memberChangeError is a batchtagging or batchuntagging call that failed, with the
// openids it carried, among which WeChat does not say which one it refused.
type memberChangeError struct {
	tagging bool
	batch   []string
	err     error
}

func (e *memberChangeError) Error() string { return e.err.Error() }
func (e *memberChangeError) Unwrap() error { return e.err }

// addMembersError turns a failed call about a tag's members into a diagnostic that names
// the openid or the tag at fault, and the fix.
func (r *TagMembersResource) addMembersError(ctx context.Context, diags *diag.Diagnostics, tagID int64, err error) {
	var changeErr *memberChangeError
	changing := errors.As(err, &changeErr)
	switch {
	case wechat.IsInvalidTagID(err):
		diags.AddAttributeError(path.Root("tag_id"), "Tag not found",
			fmt.Sprintf("The account has no tag with id %d. Use the id of a tag of the account, such as wechat_tag.<name>.id, "+
				"or 2 for the starred tag; a tag deleted outside Terraform must be created again first. (%s)", tagID, err))
	case changing && (wechat.IsUnknownFollower(err) || wechat.HasCode(err, wechat.CodeUserTagLimitReached)):
		r.addFollowersError(ctx, diags, tagID, changeErr)
	default:
		diags.AddError("Unable to manage the members of a tag", fmt.Sprintf("Tag %d: %s", tagID, err))
	}
}

// addFollowersError explains a batch WeChat refused because of some of its followers. The
// refusal does not say which: each follower of the batch is looked up (at most 50 calls,
// on this failure only) to name them.
func (r *TagMembersResource) addFollowersError(ctx context.Context, diags *diag.Diagnostics, tagID int64, changeErr *memberChangeError) {
	var strangers, foreign, full []string
	for _, openid := range changeErr.batch {
		tags, err := r.client.FollowerTags(ctx, openid)
		switch {
		case wechat.HasCode(err, wechat.CodeInvalidOpenID):
			strangers = append(strangers, openid)
		case wechat.HasCode(err, wechat.CodeOpenIDNotOfApp):
			foreign = append(foreign, openid)
		case err == nil && changeErr.tagging && len(tags) >= wechat.MaxTagsPerFollower && !slices.Contains(tags, tagID):
			full = append(full, openid)
		}
	}
	attribute := path.Root("openids")
	if len(strangers) > 0 {
		diags.AddAttributeError(attribute, "Not a follower of this account",
			fmt.Sprintf("WeChat does not know %s as a follower of this Official Account: the openid is wrong, "+
				"or the user no longer follows the account. Remove it from openids, or use the openid of a current follower. (%s)",
				quoteAll(strangers), changeErr))
	}
	if len(foreign) > 0 {
		diags.AddAttributeError(attribute, "Openid of another account",
			fmt.Sprintf("The openid %s belongs to another AppID than the one the provider is configured with. "+
				"Openids differ between accounts: use the openid this account received, or remove it from openids. (%s)",
				quoteAll(foreign), changeErr))
	}
	if len(full) > 0 {
		diags.AddAttributeError(attribute, "Too many tags for one follower",
			fmt.Sprintf("The follower %s already carries %d tags, the most WeChat allows, so it cannot be given tag %d. "+
				"Take a tag it no longer needs from it, or remove it from openids. (%s)",
				quoteAll(full), wechat.MaxTagsPerFollower, tagID, changeErr))
	}
	if len(strangers)+len(foreign)+len(full) == 0 {
		diags.AddAttributeError(attribute, "WeChat refused some followers",
			fmt.Sprintf("Changing tag %d for the followers %s failed, and looking them up one by one found no culprit "+
				"(a follower may have followed again, or a tag been taken meanwhile). Run terraform apply again. (%s)",
				tagID, quoteAll(changeErr.batch), changeErr))
	}
}

// quoteAll lists openids for a message, quoted as the configuration writes them.
func quoteAll(openids []string) string {
	quoted := make([]string, len(openids))
	for i, openid := range openids {
		quoted[i] = strconv.Quote(openid)
	}
	return strings.Join(quoted, ", ")
}

// openIDSet is a set of openids. Every operation on it is linear in the sizes involved;
// the methods returning slices keep the order of their argument, or sort, so that calls
// and state come out the same from run to run.
type openIDSet map[string]struct{}

func newOpenIDSet(openids []string) openIDSet {
	set := make(openIDSet, len(openids))
	for _, openid := range openids {
		set[openid] = struct{}{}
	}
	return set
}

// keep returns the openids of list that the set holds, in list's order.
func (s openIDSet) keep(list []string) []string {
	var out []string
	for _, openid := range list {
		if _, ok := s[openid]; ok {
			out = append(out, openid)
		}
	}
	return out
}

// missing returns the openids of list that the set lacks, in list's order.
func (s openIDSet) missing(list []string) []string {
	var out []string
	for _, openid := range list {
		if _, ok := s[openid]; !ok {
			out = append(out, openid)
		}
	}
	return out
}

// without returns, sorted, the openids of the set that other lacks.
func (s openIDSet) without(other openIDSet) []string {
	var out []string
	for openid := range s {
		if _, ok := other[openid]; !ok {
			out = append(out, openid)
		}
	}
	slices.Sort(out)
	return out
}

func (s openIDSet) sorted() []string {
	out := make([]string, 0, len(s))
	for openid := range s {
		out = append(out, openid)
	}
	slices.Sort(out)
	return out
}

// distinct returns list without its repeats, keeping first occurrences in place.
func distinct(list []string) []string {
	seen := make(openIDSet, len(list))
	out := make([]string, 0, len(list))
	for _, openid := range list {
		if _, ok := seen[openid]; !ok {
			seen[openid] = struct{}{}
			out = append(out, openid)
		}
	}
	return out
}

// openIDsOf reads the openids of a list attribute; the validators have refused null
// elements, and a list unknown at plan time is known by apply.
func openIDsOf(list types.List) []string {
	elements := list.Elements()
	openids := make([]string, 0, len(elements))
	for _, element := range elements {
		if s, ok := element.(types.String); ok && !s.IsNull() && !s.IsUnknown() {
			openids = append(openids, s.ValueString())
		}
	}
	return openids
}

func openIDList(openids []string, diags *diag.Diagnostics) types.List {
	elements := make([]attr.Value, len(openids))
	for i, openid := range openids {
		elements[i] = types.StringValue(openid)
	}
	list, d := types.ListValue(types.StringType, elements)
	diags.Append(d...)
	return list
}

// distinctOpenIDsValidator refuses an openid listed twice: the list stands for a set, and
// a repeat is most likely a copy-and-paste slip. listvalidator.UniqueValues does the same
// in time quadratic in the list's length, which 10,000 openids cannot afford.
type distinctOpenIDsValidator struct{}

var _ validator.List = distinctOpenIDsValidator{}

func (distinctOpenIDsValidator) Description(context.Context) string {
	return "must list each openid at most once"
}

func (v distinctOpenIDsValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (distinctOpenIDsValidator) ValidateList(_ context.Context, req validator.ListRequest, resp *validator.ListResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	first := map[string]int{}
	for i, element := range req.ConfigValue.Elements() {
		s, ok := element.(types.String)
		if !ok || s.IsNull() || s.IsUnknown() {
			continue
		}
		openid := s.ValueString()
		if j, repeated := first[openid]; repeated {
			resp.Diagnostics.AddAttributeError(req.Path.AtListIndex(i), "Openid listed twice",
				fmt.Sprintf("The openid %q is listed twice in openids, at positions %d and %d (counting from 0). "+
					"List each follower once: remove the repeat, or wrap the expression in distinct().", openid, j, i))
			continue
		}
		first[openid] = i
	}
}
