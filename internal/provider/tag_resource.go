package provider

import (
	"context"
	"fmt"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

var (
	_ resource.ResourceWithConfigure   = &TagResource{}
	_ resource.ResourceWithImportState = &TagResource{}
	_ resource.ResourceWithModifyPlan  = &TagResource{}
	_ resource.ResourceWithIdentity    = &TagResource{}
)

// TagResource is wechat_tag: one user tag of the account.
type TagResource struct {
	client tagsAPI
}

func NewTagResource() resource.Resource {
	return &TagResource{}
}

type tagModel struct {
	ID   types.Int64  `tfsdk:"id"`
	Name types.String `tfsdk:"name"`
}

func (r *TagResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_tag"
}

func (r *TagResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A user tag of the WeChat Official Account. " +
			"Changing `name` renames the tag in place: its id, and the followers that carry it, stay. " +
			"An account has at most 100 tags, and tag names are unique within it.",
		Attributes: map[string]schema.Attribute{
			"id": schema.Int64Attribute{
				MarkdownDescription: "The id WeChat gave the tag. Use it in `wechat_user_tags.tag_ids`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Name of the tag: 1 to 30 bytes of UTF-8 (a Chinese character takes 3 bytes), unique within the account, " +
					"without white space at either end or control characters. A name another tag already has is reported at plan time.",
				Required:   true,
				Validators: []validator.String{tagNameValidator{}},
			},
		},
	}
}

func (r *TagResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"id": identityschema.Int64Attribute{
				Description:       "The id WeChat gave the tag, such as 134.",
				RequiredForImport: true,
			},
		},
	}
}

func (r *TagResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.client = clientFrom(req.ProviderData, &resp.Diagnostics)
}

func (r *TagResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan tagModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := plan.Name.ValueString()
	tag, err := r.client.CreateTag(ctx, name)
	if err != nil {
		r.reportWrite(ctx, &resp.Diagnostics, tagSubject("Unable to create the tag", 0, name), err)
		return
	}
	plan.ID = types.Int64Value(tag.ID)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
	recordAccount(ctx, resp.Private, r.client.AppID(), &resp.Diagnostics)
	setIdentity(ctx, resp.Identity, tagIdentityModel{ID: plan.ID}, &resp.Diagnostics)
}

func (r *TagResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	if !sameAccount(ctx, req.Private, r.client.AppID(), &resp.Diagnostics) {
		return
	}
	var state tagModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	tag, found, err := r.client.LookupTag(ctx, state.ID.ValueInt64())
	if err != nil {
		report(&resp.Diagnostics, tagSubject("Unable to read the tag", state.ID.ValueInt64(), ""), err)
		return
	}
	if !found {
		// Only a successful tags/get without the tag proves it is gone; any error above
		// keeps the state as it was. The framework wants an identity even for a resource
		// that is gone.
		setIdentity(ctx, resp.Identity, tagIdentityModel{ID: state.ID}, &resp.Diagnostics)
		resp.State.RemoveResource(ctx)
		return
	}
	state.Name = types.StringValue(tag.Name)
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
	recordAccount(ctx, resp.Private, r.client.AppID(), &resp.Diagnostics)
	setIdentity(ctx, resp.Identity, tagIdentityModel{ID: state.ID}, &resp.Diagnostics)
}

func (r *TagResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	if !sameAccount(ctx, req.Private, r.client.AppID(), &resp.Diagnostics) {
		return
	}
	var plan, state tagModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	plan.ID = state.ID
	if !plan.Name.Equal(state.Name) {
		name := plan.Name.ValueString()
		if err := r.client.RenameTag(ctx, state.ID.ValueInt64(), name); err != nil {
			r.reportWrite(ctx, &resp.Diagnostics, tagSubject("Unable to rename the tag", state.ID.ValueInt64(), name), err)
			return
		}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
	recordAccount(ctx, resp.Private, r.client.AppID(), &resp.Diagnostics)
	setIdentity(ctx, resp.Identity, tagIdentityModel{ID: plan.ID}, &resp.Diagnostics)
}

func (r *TagResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	if !sameAccount(ctx, req.Private, r.client.AppID(), &resp.Diagnostics) {
		return
	}
	var state tagModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := state.ID.ValueInt64()
	// A tag already gone is deleted; the client tells that from a tag not visible yet.
	if err := r.client.DeleteTag(ctx, id); err != nil && !wechat.IsTagNotFound(err) {
		report(&resp.Diagnostics, tagSubject("Unable to delete the tag", id, ""), err)
	}
}

func (r *TagResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	id, ok := importedTagID(ctx, req, &resp.Diagnostics)
	if !ok {
		return
	}
	if wechat.IsSystemTag(id) {
		resp.Diagnostics.AddError("System tag cannot be imported",
			fmt.Sprintf("Tag %d is a WeChat system tag (0 untagged, 1 blacklist, 2 starred), which cannot be renamed or deleted, "+
				"so Terraform cannot manage it. Import a tag created on the account (id 100 or above).", id))
		return
	}
	tag, found, err := r.client.LookupTag(ctx, id)
	if err != nil {
		report(&resp.Diagnostics, tagSubject("Unable to read the tag to import", id, ""), err)
		return
	}
	if !found {
		resp.Diagnostics.Append(diagnose(tagNotFound, tagSubject("", id, ""), nil))
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, tagModel{ID: types.Int64Value(tag.ID), Name: types.StringValue(tag.Name)})...)
	recordAccount(ctx, resp.Private, r.client.AppID(), &resp.Diagnostics)
	setIdentity(ctx, resp.Identity, tagIdentityModel{ID: types.Int64Value(tag.ID)}, &resp.Diagnostics)
}

// importedTagID is the tag id of an import: the string of `terraform import` and of an
// import block's `id`, or the `id` of an import block's `identity`.
func importedTagID(ctx context.Context, req resource.ImportStateRequest, diags *diag.Diagnostics) (int64, bool) {
	if req.ID == "" && req.Identity != nil {
		var identity tagIdentityModel
		diags.Append(req.Identity.Get(ctx, &identity)...)
		if diags.HasError() {
			return 0, false
		}
		if identity.ID.IsNull() || identity.ID.IsUnknown() {
			diags.AddError("Missing tag id in identity",
				"Import a wechat_tag by identity with the numeric WeChat tag id: identity = { id = 134 }.")
			return 0, false
		}
		return identity.ID.ValueInt64(), true
	}
	id, err := strconv.ParseInt(req.ID, 10, 64)
	if err != nil {
		diags.AddError("Invalid import ID",
			fmt.Sprintf("%q is not a tag id. Import a wechat_tag by its numeric WeChat tag id, such as 134.", req.ID))
		return 0, false
	}
	return id, true
}

func tagWhere(tags []wechat.Tag, match func(wechat.Tag) bool) (wechat.Tag, bool) {
	for _, t := range tags {
		if match(t) {
			return t, true
		}
	}
	return wechat.Tag{}, false
}

// ModifyPlan reports, at plan time, a new name that another tag of the account already
// has: WeChat would refuse it at apply, after other resources were changed.
func (r *TagResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if r.client == nil || (!req.State.Raw.IsNull() && !sameAccount(ctx, req.Private, r.client.AppID(), &resp.Diagnostics)) {
		return
	}
	if req.Plan.Raw.IsNull() {
		return
	}
	var plan tagModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || plan.Name.IsUnknown() {
		return
	}
	var selfID int64 = -1
	if !req.State.Raw.IsNull() {
		var state tagModel
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
		if resp.Diagnostics.HasError() || state.Name.Equal(plan.Name) {
			return
		}
		selfID = state.ID.ValueInt64()
	}
	tags, err := r.client.CachedTags(ctx)
	if err != nil {
		// The apply still meets WeChat's own check, with the same guidance.
		resp.Diagnostics.AddWarning("Unable to check the tag name",
			fmt.Sprintf("Reading the account's tags to check that no other tag is named %q failed: %s", plan.Name.ValueString(), err))
		return
	}
	name := plan.Name.ValueString()
	if existing, taken := tagWhere(tags, func(t wechat.Tag) bool { return t.Name == name && t.ID != selfID }); taken {
		s := tagSubject("", selfID, name)
		s.existingTagID = existing.ID
		resp.Diagnostics.Append(diagnose(tagNameTaken, s, nil))
		return
	}
	if selfID < 0 {
		checkAccountRoom(ctx, r.client, name, &resp.Diagnostics)
	}
}

// checkAccountRoom counts the tag named name, which the plan creates, with the others it
// creates against the account's tag limit: WeChat would refuse the creations past it at
// apply, after others were made.
func checkAccountRoom(ctx context.Context, api tagsAPI, name string, diags *diag.Diagnostics) {
	room, err := api.PlanTag(ctx, name)
	if err != nil {
		// The name check read the same tags/get and warned if it failed; a read failing only
		// now leaves the limit to WeChat at apply, with the same guidance.
		return
	}
	s := tagSubject("", 0, name)
	s.accountTags, s.plannedTags = room.Existing, room.Planned
	switch {
	case room.Exceeded():
		diags.Append(diagnose(accountTagLimitPlanned, s, nil))
	case room.MayBeExceeded():
		diags.Append(diagnose(accountTagLimitUncertain, s, nil))
	}
}

// tagSubject is the subject of a failure about the tag id (0 for one not created yet)
// named name.
func tagSubject(failure string, id int64, name string) subject {
	about := fmt.Sprintf("Tag %d", id)
	if name != "" {
		about = fmt.Sprintf("Tag %q", name)
	}
	return subject{failure: failure, about: about, tagID: id, tagName: name, nameAttr: path.Root("name")}
}

// reportWrite explains a refused create or rename. WeChat returns one code, 45157, for an
// illegal name and for a name already in use, so the account's tags, read anew after the
// failed write, tell which it was.
func (r *TagResource) reportWrite(ctx context.Context, diags *diag.Diagnostics, s subject, err error) {
	c := conditionOf(err)
	switch c {
	case tagNameRefused:
		tags, listErr := r.client.CachedTags(ctx)
		if existing, found := tagWhere(tags, func(t wechat.Tag) bool { return t.Name == s.tagName && t.ID != s.tagID }); listErr == nil && found {
			c, s.existingTagID = tagNameTaken, existing.ID
		}
	case tagNotFound:
		c = tagDeletedOutside
	}
	diags.Append(diagnose(c, s, err))
}
