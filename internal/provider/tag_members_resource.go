package provider

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/resourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
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
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/wechat-tf/terraform-provider-wechat/internal/membership"
	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

var (
	_ resource.ResourceWithConfigure        = &TagMembersResource{}
	_ resource.ResourceWithImportState      = &TagMembersResource{}
	_ resource.ResourceWithIdentity         = &TagMembersResource{}
	_ resource.ResourceWithModifyPlan       = &TagMembersResource{}
	_ resource.ResourceWithConfigValidators = &TagMembersResource{}
)

// TagMembersResource is wechat_tag_members: the followers who carry one tag.
//
// It is wechat_user_tags seen from the tag's side, for tags with many members: by default
// it owns only the followers it lists, with exclusive the whole membership. Tags can have
// tens of thousands of members: the membership engine sends only the difference, 50
// openids a call, and nothing it does is quadratic in their number.
//
// openids is a list with the meaning of a set, not a set: terraform-plugin-framework
// (v1.19) and Terraform itself compare sets element by element against every other
// element, which for 10,000 openids made a single create take over ten minutes, while a
// list of the same size plans in seconds. Past about 10,000, Terraform's diff of the list
// is quadratic too, and openids_file takes over (openids_file.go). See
// templates/resources/tag_members.md.tmpl.
type TagMembersResource struct {
	client membershipsAPI
}

func NewTagMembersResource() resource.Resource {
	return &TagMembersResource{}
}

type tagMembersModel struct {
	ID            types.String `tfsdk:"id"`
	TagID         types.Number `tfsdk:"tag_id"`
	OpenIDs       types.List   `tfsdk:"openids"`
	OpenIDsFile   types.String `tfsdk:"openids_file"`
	OpenIDsSHA256 types.String `tfsdk:"openids_sha256"`
	OpenIDsCount  types.Int64  `tfsdk:"openids_count"`
	Exclusive     types.Bool   `tfsdk:"exclusive"`
}

// fileMode reports whether openids_file, not openids, lists the followers.
func (m tagMembersModel) fileMode() bool { return !m.OpenIDsFile.IsNull() }

// recordMembers sets, in m and private, managed as the followers the resource manages:
// the openids list, or in file mode their digest and count, the list going to private.
func recordMembers(ctx context.Context, m *tagMembersModel, managed []string, private records, diags *diag.Diagnostics) {
	if m.fileMode() {
		m.OpenIDs = types.ListNull(types.StringType)
		m.OpenIDsSHA256 = types.StringValue(membersDigest(managed))
		m.OpenIDsCount = types.Int64Value(int64(len(managed)))
		private.recordFollowers(ctx, managed, diags)
		return
	}
	m.OpenIDs = openIDList(managed, diags)
	m.OpenIDsSHA256, m.OpenIDsCount = types.StringNull(), types.Int64Null()
	private.set(ctx, managedKey, nil, diags)
}

// desiredOpenIDs is the followers a plan gives the tag. In file mode the file is read
// again, and must list what it listed when the plan read it.
func desiredOpenIDs(plan tagMembersModel, diags *diag.Diagnostics) ([]string, bool) {
	if !plan.fileMode() {
		return openIDsOf(plan.OpenIDs), true
	}
	name := plan.OpenIDsFile.ValueString()
	openids := readOpenIDsFile(name, diags)
	if diags.HasError() {
		return nil, false
	}
	if planned := plan.OpenIDsSHA256; !planned.IsUnknown() && !planned.IsNull() && planned.ValueString() != membersDigest(openids) {
		diags.AddAttributeError(openIDsFileAttr, "openids_file changed after the plan",
			fmt.Sprintf("%s now lists other followers (%d, SHA-256 %s) than when the plan read it (SHA-256 %s); nothing was changed. "+
				"Plan again with the file as it should be, and apply that plan.", name, len(openids), membersDigest(openids), planned.ValueString()))
		return nil, false
	}
	return openids, true
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
			"id": schema.StringAttribute{
				MarkdownDescription: "The tag id again, as a string, so that Terraform names the tag in the lines it prints for the resource, " +
					"such as `Refreshing state... [id=134]`.",
				Computed:      true,
				PlanModifiers: []planmodifier.String{idFrom[types.Number]{attribute: "tag_id", id: tagIDString}},
			},
			// A number rather than an Int64 attribute: the framework reports an id beyond
			// int64 as "an error in the provider" before any validator runs.
			"tag_id": schema.NumberAttribute{
				MarkdownDescription: "The id of the tag, such as `wechat_tag.vip.id`, or 2 for the starred system tag. " +
					"Changing it replaces the resource. An id the account does not have fails the plan.",
				Required:      true,
				Validators:    []validator.Number{wholeTagIDValidator{}},
				PlanModifiers: []planmodifier.Number{numberplanmodifier.RequiresReplace()},
			},
			"openids": schema.ListAttribute{
				MarkdownDescription: "The openids of the followers who carry the tag, such as `ocYxcuAEy30bX0NXmGn4ypqx3tI0`; " +
					"each at most once, in any order. Their order means nothing to WeChat, but Terraform compares lists in order: " +
					"keep it stable, for example with `sort()`. Up to about 10,000; beyond, Terraform's own diff of the list grows " +
					"with the square of its length: use `openids_file`. Exactly one of `openids` and `openids_file` is required.",
				ElementType: types.StringType,
				Optional:    true,
				Validators:  openIDListValidators(),
			},
			"openids_file": schema.StringAttribute{
				MarkdownDescription: "The path of a file that lists the followers who carry the tag, one openid a line (blank lines " +
					"and lines starting with `#` are skipped) or as a JSON array of strings, such as `\"${path.module}/vip.txt\"`. " +
					"For tags of tens of thousands of followers: the state holds the file's `openids_sha256` and `openids_count`, " +
					"so a plan stays fast at 100,000, and a plan-time warning names the followers a change adds and removes. " +
					"The provider reads the file at plan and again at apply, which fails, changing nothing, if the file changed in between. " +
					"Exactly one of `openids` and `openids_file` is required.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"openids_sha256": schema.StringAttribute{
				MarkdownDescription: "With `openids_file`: the SHA-256, in hex, of the followers the resource manages, sorted, " +
					"each followed by a newline. A refresh sets it from the followers who carry the tag, so that a change outside " +
					"Terraform shows in the plan as a change of this digest. Null with `openids`.",
				Computed: true,
			},
			"openids_count": schema.Int64Attribute{
				MarkdownDescription: "With `openids_file`: how many followers the resource manages (with `exclusive = true`, " +
					"every follower who carries the tag). Null with `openids`.",
				Computed: true,
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

func (r *TagMembersResource) ConfigValidators(context.Context) []resource.ConfigValidator {
	return []resource.ConfigValidator{
		resourcevalidator.ExactlyOneOf(path.MatchRoot("openids"), path.MatchRoot("openids_file")),
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

// subject is the subject of a failure about the members of the tag of m, reported on
// the attribute that lists them.
func (m tagMembersModel) subject() subject {
	tagID, openIDAttr := tagIDOf(m.TagID), path.Root("openids")
	if m.fileMode() {
		openIDAttr = openIDsFileAttr
	}
	return subject{
		failure: "Unable to manage the members of a tag", about: fmt.Sprintf("Tag %d", tagID),
		tagID: tagID, where: attributes{tag: path.Root("tag_id"), openids: openIDAttr},
	}
}

// importing reports whether m is the state an import starts from, which lists no
// followers in either shape: the read that follows adopts every member, into openids, or
// into openids_file when the tag's file is there (adoptedFileOf).
func (m tagMembersModel) importing() bool { return m.OpenIDs.IsNull() && !m.fileMode() }

func (r *TagMembersResource) account() accountAPI { return r.client }

func (r *TagMembersResource) identity(m tagMembersModel) any {
	return tagMembersIdentityModel{TagID: types.Int64Value(tagIDOf(m.TagID))}
}

// gone: a tag deleted outside Terraform took its memberships with it. An import reports
// the tag it did not find.
func (r *TagMembersResource) gone(m tagMembersModel, err error) bool {
	return wechat.IsTagNotFound(err) && !m.importing()
}

// explain reports a failed read or change of the tag's members. A batch WeChat refused
// for some of its followers is looked into, to name them.
func (r *TagMembersResource) explain(ctx context.Context, diags *diag.Diagnostics, _ operation, m tagMembersModel, err error) {
	if batchErr, ok := refusedForFollowers(err); ok {
		diags.Append(refusedBatch(ctx, r.client, m.subject(), batchErr, err)...)
		return
	}
	report(diags, m.subject(), err)
}

// followersOf is the membership of the tag of m.
func (r *TagMembersResource) followersOf(m tagMembersModel) tagFollowers {
	return tagFollowers{r.client, tagIDOf(m.TagID)}
}

func (r *TagMembersResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	lifecycleOf(r).create(ctx, req, resp, func(ctx context.Context, plan tagMembersModel, private records, diags *diag.Diagnostics) (tagMembersModel, error) {
		desired, ok := desiredOpenIDs(plan, diags)
		if !ok {
			return plan, nil
		}
		goal := membership.Goal[string]{Desired: desired, Exclusive: plan.Exclusive.ValueBool()}
		if _, _, err := converge(ctx, r.followersOf(plan), goal); err != nil {
			return plan, err
		}
		if plan.fileMode() {
			recordMembers(ctx, &plan, desired, private, diags)
		}
		plan.ID = tagIDString(plan.TagID)
		return plan, nil
	})
}

func (r *TagMembersResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	lifecycleOf(r).read(ctx, req, resp, func(ctx context.Context, state tagMembersModel, private records, diags *diag.Diagnostics) (tagMembersModel, error) {
		exclusive, adopting := state.Exclusive.ValueBool(), state.importing()
		prior, err := managedFollowers(ctx, state, private)
		// With exclusive the resource owns the whole membership the read returns, which
		// rebuilds a lost record; otherwise the record is what tells its followers apart.
		if err != nil && !exclusive {
			return state, err
		}
		held, err := r.followersOf(state).Members(ctx)
		if err != nil {
			return state, err
		}
		if adopting {
			// Into openids/<tag id>.txt if it exists, as a query writes it for the
			// configuration it generates.
			state.OpenIDsFile = adoptedFileOf(tagIDOf(state.TagID))
		}
		// Members the state knows keep their place, so that only real changes show in the
		// plan; with exclusive, members given the tag outside Terraform come after them.
		observed := membership.Observed(prior, held, adopting || exclusive)
		recordMembers(ctx, &state, observed, private, diags)
		state.ID = tagIDString(state.TagID)
		return state, nil
	})
}

func (r *TagMembersResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	lifecycleOf(r).update(ctx, req, resp, func(ctx context.Context, plan, state tagMembersModel, private records, diags *diag.Diagnostics) (tagMembersModel, error) {
		desired, ok := desiredOpenIDs(plan, diags)
		if !ok {
			return state, nil
		}
		prior, err := managedFollowers(ctx, state, private)
		if err != nil {
			return state, err
		}
		goal := membership.Goal[string]{Desired: desired, Prior: prior, Exclusive: plan.Exclusive.ValueBool()}
		held, known, err := converge(ctx, r.followersOf(plan), goal)
		switch {
		case err == nil:
			recordMembers(ctx, &plan, desired, private, diags)
		case known:
			// Who now carries the tag among the followers this resource manages, so that
			// the next plan shows only the changes still missing.
			recordMembers(ctx, &plan, membership.Managed(goal, held), private, diags)
		default:
			return state, err
		}
		plan.ID = tagIDString(plan.TagID)
		return plan, err
	})
}

func (r *TagMembersResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	lifecycleOf(r).delete(ctx, req, resp, func(ctx context.Context, state tagMembersModel, private records, diags *diag.Diagnostics) (tagMembersModel, error) {
		// Only the managed followers who still carry the tag: one who unfollowed the
		// account meanwhile would make batchuntagging fail with 40003. With exclusive, the
		// state lists every member the refresh before the destroy found, so the tag ends
		// up empty.
		prior, err := managedFollowers(ctx, state, private)
		if err != nil {
			return state, err
		}
		goal := membership.Removal(prior)
		held, known, err := converge(ctx, r.followersOf(state), goal)
		if err != nil && known {
			// The resource stays, managing the followers who still carry the tag: the
			// next destroy untags only those.
			recordMembers(ctx, &state, membership.Managed(goal, held), private, diags)
		}
		return state, err
	})
}

// ModifyPlan refuses, at plan time, a tag_id the account does not have, for a new
// resource or a changed tag_id only: a plan that changes nothing costs no extra call. When
// exclusive = true is new (a new resource, another tag, or a switch from false), it also
// reads the tag's followers, one user/tag/get per 10,000, to warn of those the apply
// untags that the plan cannot show. With openids_file it reads the file, plans its digest
// and count, and names in a warning the followers a change adds and removes, as the plan
// shows neither.
func (r *TagMembersResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	lifecycleOf(r).modifyPlan(ctx, req, resp, func(ctx context.Context, plan, prior *tagMembersModel, private records, diags *diag.Diagnostics) bool {
		desired, desiredKnown := planFollowers(plan, diags)
		if diags.HasError() || plan.TagID.IsUnknown() || plan.TagID.IsNull() {
			return true
		}
		sameTag := prior != nil && tagIDOf(prior.TagID) == tagIDOf(plan.TagID)
		if !sameTag {
			checkTagsExist(ctx, r.client, path.Root("tag_id"), []int64{tagIDOf(plan.TagID)}, diags)
		}
		if diags.HasError() || !desiredKnown {
			return true
		}
		goal := membership.Goal[string]{Desired: desired, Exclusive: plan.Exclusive.ValueBool()}
		if sameTag {
			managed, err := managedFollowers(ctx, *prior, private)
			if err != nil {
				r.explain(ctx, diags, updating, *prior, err)
				return true
			}
			goal.Prior = managed
		}
		switch {
		case goal.Exclusive && !(sameTag && prior.Exclusive.ValueBool()):
			r.warnExclusiveRemovals(ctx, *plan, goal, diags)
		case plan.fileMode() && sameTag:
			// The refresh before this plan recorded who carries the tag.
			if changes := membership.Diff(goal, goal.Prior); changes.Len() > 0 {
				warnFollowersChanged(*plan, changes, diags)
			}
		}
		return true
	})
}

// warnExclusiveRemovals reads the followers of the tag, one user/tag/get per 10,000, to
// name those an exclusive = true new to this plan untags, which the plan cannot show.
func (r *TagMembersResource) warnExclusiveRemovals(ctx context.Context, plan tagMembersModel, goal membership.Goal[string], diags *diag.Diagnostics) {
	tagID := tagIDOf(plan.TagID)
	held, err := r.client.TagMembers(ctx, tagID)
	if err != nil {
		diags.AddAttributeWarning(path.Root("exclusive"), "Unable to list the followers exclusive removes",
			fmt.Sprintf("Reading the followers of tag %d, to name those exclusive = true will untag, failed: %s", tagID, err))
		return
	}
	changes := membership.Diff(goal, held)
	if plan.fileMode() {
		warnFollowersChanged(plan, changes, diags)
		return
	}
	// The plan shows the removal of the followers the prior state lists.
	shown := make(map[string]bool, len(goal.Prior))
	for _, openid := range goal.Prior {
		shown[openid] = true
	}
	if unshown := slices.DeleteFunc(changes.Remove, func(openid string) bool { return shown[openid] }); len(unshown) > 0 {
		s := plan.subject()
		s.openids = unshown
		diags.Append(exclusiveRemovesFollowers.diagnostic(s, none{}, nil))
	}
}

// warnFollowersChanged names the followers a change in file mode adds and removes: the
// plan shows only the digest and the count.
func warnFollowersChanged(plan tagMembersModel, changes membership.Changes[string], diags *diag.Diagnostics) {
	diags.Append(followersChangedInFile.diagnostic(plan.subject(), changes, nil))
}

// planFollowers plans openids_sha256 and openids_count, reading openids_file, and returns
// the followers the plan gives the tag, with known false while some are unknown.
func planFollowers(plan *tagMembersModel, diags *diag.Diagnostics) (desired []string, known bool) {
	switch {
	case plan.OpenIDsFile.IsUnknown():
		plan.OpenIDsSHA256, plan.OpenIDsCount = types.StringUnknown(), types.Int64Unknown()
	case plan.fileMode():
		desired = readOpenIDsFile(plan.OpenIDsFile.ValueString(), diags)
		if diags.HasError() {
			return nil, false
		}
		plan.OpenIDsSHA256, plan.OpenIDsCount = types.StringValue(membersDigest(desired)), types.Int64Value(int64(len(desired)))
		known = true
	default:
		plan.OpenIDsSHA256, plan.OpenIDsCount = types.StringNull(), types.Int64Null()
		if !plan.OpenIDs.IsUnknown() {
			desired = openIDsOf(plan.OpenIDs)
			// An openid unknown until apply may be any of the followers.
			known = len(desired) == len(plan.OpenIDs.Elements())
		}
	}
	return desired, known
}

func (r *TagMembersResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	lifecycleOf(r).importState(ctx, req, resp, func(ctx context.Context, importID string, identity *tfsdk.ResourceIdentity, diags *diag.Diagnostics) (tagMembersModel, error) {
		id, ok := importedTagID(ctx, importID, identity, "wechat_tag_members", "tag_id", diags)
		if ok && (id == wechat.TagUngrouped || id == wechat.TagBlacklist) {
			diags.AddError("System tag cannot be imported",
				fmt.Sprintf("Tag %d is a WeChat system tag (0 untagged, 1 blacklist) whose members the tagging API cannot list or change. "+
					"Import a tag created on the account, or 2 for the starred tag.", id))
		}
		return importedTagMembers(id), nil
	})
}

// importedTagMembers is the state an import of the members of tagID starts from: null
// openids and openids_file tell the read that follows to adopt every member.
func importedTagMembers(tagID int64) tagMembersModel {
	return tagMembersModel{
		ID: types.StringValue(strconv.FormatInt(tagID, 10)), TagID: types.NumberValue(new(big.Float).SetInt64(tagID)),
		OpenIDs: types.ListNull(types.StringType), OpenIDsFile: types.StringNull(),
		OpenIDsSHA256: types.StringNull(), OpenIDsCount: types.Int64Null(), Exclusive: types.BoolValue(false),
	}
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

// openIDListValidators check an openids attribute: openids WeChat could issue, each
// once.
func openIDListValidators() []validator.List {
	return []validator.List{
		listvalidator.NoNullValues(),
		listvalidator.ValueStringsAre(validOpenID),
		distinctOpenIDsValidator{},
	}
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

// tagIDString is the id attribute of a tag_id: the tag id as a string, unknown while the
// tag id is.
func tagIDString(tagID types.Number) types.String {
	if tagID.IsUnknown() {
		return types.StringUnknown()
	}
	return types.StringValue(strconv.FormatInt(tagIDOf(tagID), 10))
}
