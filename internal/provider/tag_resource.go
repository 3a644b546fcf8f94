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
	client *wechat.Client
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
		r.addNameError(ctx, &resp.Diagnostics, "Unable to create the tag", name, 0, err)
		return
	}
	plan.ID = types.Int64Value(tag.ID)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
	setIdentity(ctx, resp.Identity, tagIdentityModel{ID: plan.ID}, &resp.Diagnostics)
}

func (r *TagResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state tagModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	tag, found, err := r.findTag(ctx, state.ID.ValueInt64())
	if err != nil {
		resp.Diagnostics.AddError("Unable to read the tag", err.Error())
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
	setIdentity(ctx, resp.Identity, tagIdentityModel{ID: state.ID}, &resp.Diagnostics)
}

func (r *TagResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
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
			r.addNameError(ctx, &resp.Diagnostics, "Unable to rename the tag", name, state.ID.ValueInt64(), err)
			return
		}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
	setIdentity(ctx, resp.Identity, tagIdentityModel{ID: plan.ID}, &resp.Diagnostics)
}

func (r *TagResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state tagModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := state.ID.ValueInt64()
	err := r.client.DeleteTag(ctx, id)
	if wechat.IsInvalidTagID(err) {
		// 45159 may also mean "not visible yet", so the tag counts as deleted only when
		// tags/get no longer lists it.
		if _, found, listErr := r.findTag(ctx, id); listErr == nil && !found {
			return
		}
	}
	switch {
	case err == nil:
	case wechat.HasCode(err, wechat.CodeTagHasTooManyFans):
		resp.Diagnostics.AddError("Tag has too many followers to delete",
			fmt.Sprintf("WeChat refuses to delete tag %d because more than 100,000 followers carry it. "+
				"Untag its followers first, then destroy again. (%s)", id, err))
	default:
		resp.Diagnostics.AddError("Unable to delete the tag", fmt.Sprintf("Deleting tag %d failed: %s", id, err))
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
	tag, found, err := r.findTag(ctx, id)
	if err != nil {
		resp.Diagnostics.AddError("Unable to read the tag to import", err.Error())
		return
	}
	if !found {
		resp.Diagnostics.AddError("Tag not found",
			fmt.Sprintf("The account has no tag with id %d. Check the id among the account's tags (tags/get).", id))
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, tagModel{ID: types.Int64Value(tag.ID), Name: types.StringValue(tag.Name)})...)
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

// findTag looks the tag up in tags/get, the only read the API offers for a tag, through the
// cache that lets every read of one command share a single call. Tag writes clear the
// cache, so a look-up after a write reads the service again.
func (r *TagResource) findTag(ctx context.Context, id int64) (wechat.Tag, bool, error) {
	tags, err := r.client.CachedTags(ctx)
	if err != nil {
		return wechat.Tag{}, false, err
	}
	tag, found := tagWhere(tags, func(t wechat.Tag) bool { return t.ID == id })
	return tag, found, nil
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
	if req.Plan.Raw.IsNull() || r.client == nil {
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
		resp.Diagnostics.AddAttributeError(path.Root("name"), "Tag name already in use", nameTakenDetail(name, existing.ID))
	}
}

// nameTakenDetail says which tag has the name, and how to manage it instead.
func nameTakenDetail(name string, existingID int64) string {
	return fmt.Sprintf("The account already has a tag named %q, with id %d; WeChat tag names are unique within an account. "+
		"To manage that tag with Terraform, import it instead of creating it:\n\n"+
		"  terraform import wechat_tag.<name> %d\n\n"+
		"or, with Terraform 1.5 or later, an import block:\n\n"+
		"  import {\n    to = wechat_tag.<name>\n    id = \"%d\"\n  }\n\n"+
		"If another resource of this configuration manages that tag and gives it up in this apply (a rename or a destroy), "+
		"apply that change first, or use a moved block when only the resource's address changed. "+
		"Otherwise choose another name.", name, existingID, existingID, existingID)
}

// addNameError explains a refused create or rename. WeChat returns one code, 45157, for an
// illegal name and for a name already in use, so the account's tags tell which it was.
func (r *TagResource) addNameError(ctx context.Context, diags *diag.Diagnostics, summary, name string, selfID int64, err error) {
	attr := path.Root("name")
	switch {
	case wechat.HasCode(err, wechat.CodeIllegalTagName):
		tags, listErr := r.client.CachedTags(ctx)
		existing, found := tagWhere(tags, func(t wechat.Tag) bool { return t.Name == name && t.ID != selfID })
		if listErr == nil && found {
			diags.AddAttributeError(attr, "Tag name already in use", fmt.Sprintf("%s (%s)", nameTakenDetail(name, existing.ID), err))
			return
		}
		diags.AddAttributeError(attr, "Tag name refused",
			fmt.Sprintf("WeChat refused the tag name %q as illegal. Use another name. (%s)", name, err))
	case wechat.HasCode(err, wechat.CodeTagNameTooLong):
		diags.AddAttributeError(attr, "Tag name too long",
			fmt.Sprintf("The name %q is %d bytes of UTF-8; WeChat allows at most %d. Shorten the name. (%s)",
				name, len(name), wechat.MaxTagNameBytes, err))
	case wechat.HasCode(err, wechat.CodeTagLimitReached):
		diags.AddError("Tag limit reached",
			fmt.Sprintf("The account already has 100 tags, the most WeChat allows. "+
				"Delete tags the account no longer uses, or remove this wechat_tag from the configuration. (%s)", err))
	case wechat.HasCode(err, wechat.CodeSystemTag):
		diags.AddError("System tag cannot be changed",
			fmt.Sprintf("Tag %d is a WeChat system tag, which cannot be renamed. (%s)", selfID, err))
	case wechat.IsInvalidTagID(err):
		diags.AddError("Tag not found",
			fmt.Sprintf("Tag %d no longer exists on the account; it was probably deleted outside Terraform. "+
				"Run terraform apply again: the refresh will plan to create it anew. (%s)", selfID, err))
	default:
		diags.AddError(summary, fmt.Sprintf("Tag %q: %s", name, err))
	}
}
